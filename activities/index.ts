/** The activities of the order lifecycle, built by a factory from the worker's configuration. */
import { createCompensationActivity, type CompensationDeps } from './compensation';
import { createConfirmationActivity, type ConfirmationDeps } from './confirmation';
import { createQueryActivity } from './query';
import { createReverseActivity } from './reverse';
import type { WechatpayCallDeps } from './wechatpay-call';

/** What the activities need from the worker. */
export interface ActivityDeps {
  /** The WeChat Pay calls (query and reverse): one client, one retry rule for auth failures, the metrics. */
  wechatpay: WechatpayCallDeps;
  compensation: CompensationDeps;
  confirmation: ConfirmationDeps;
  /** The pay window floor (`WECHATPAY_MIN_PAY_WINDOW`), in milliseconds. */
  payWindowFloorMs: number;
}

/** Builds the activities for `Worker.create({ activities })`. */
export function createActivities(deps: ActivityDeps) {
  return {
    queryCombineOrder: createQueryActivity(deps.wechatpay),
    reverseCombineOrder: createReverseActivity(deps.wechatpay),
    compensateSubOrder: createCompensationActivity(deps.compensation),
    confirmPayment: createConfirmationActivity(deps.confirmation),
    /**
     * The worker's pay window floor in milliseconds, run as a local activity when an order enters REVERSING: its
     * answer is recorded in the order's history, so replay never reads a worker's environment.
     */
    payWindowFloor: async (): Promise<number> => deps.payWindowFloorMs,
  };
}

/** The activity interface the workflow proxies (imported there as a type only). */
export type OrderActivities = ReturnType<typeof createActivities>;
