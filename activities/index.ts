/** The activities of the order lifecycle, built by a factory from the worker's configuration. */
import { createCompensationActivity, type CompensationDeps } from './compensation';
import { createConfirmationActivity, type ConfirmationDeps } from './confirmation';
import { createQueryActivity } from './query';
import { createReverseActivity } from './reverse';
import { createReversingContextActivity, type RunLookup } from './reversing-context';
import type { createTradeBillActivities } from './trade-bill';
import type { WechatpayCallDeps } from './wechatpay-call';

/** What the activities need from the worker. */
export interface ActivityDeps {
  /** The WeChat Pay calls (query and reverse): one client, one retry rule for auth failures, the metrics. */
  wechatpay: WechatpayCallDeps;
  compensation: CompensationDeps;
  confirmation: ConfirmationDeps;
  /** The pay window floor (`WECHATPAY_MIN_PAY_WINDOW`), in milliseconds. */
  payWindowFloorMs: number;
  /** The look-up of an order's earlier runs (the worker's connection to Temporal). */
  runs: RunLookup;
}

/** Builds the activities for `Worker.create({ activities })`. */
export function createActivities(deps: ActivityDeps) {
  return {
    queryCombineOrder: createQueryActivity(deps.wechatpay),
    reverseCombineOrder: createReverseActivity(deps.wechatpay),
    compensateSubOrder: createCompensationActivity(deps.compensation),
    confirmPayment: createConfirmationActivity(deps.confirmation),
    /** Lifecycle 1.1's local activity when an order enters REVERSING (floor and earlier runs). */
    reversingContext: createReversingContextActivity(deps),
    /**
     * Lifecycle 1.0's local activity when an order enters REVERSING (the floor alone), kept for orders pinned to
     * deployment version 1.0.0 while a worker of this build serves them in tests.
     */
    payWindowFloor: async (): Promise<number> => deps.payWindowFloorMs,
  };
}

/** The activity interface the workflows proxy (imported there as a type only). */
export type OrderActivities = ReturnType<typeof createActivities>;
/** The trade-bill reconciliation's activities (`createTradeBillActivities`; the same worker registers them). */
export type TradeBillActivities = ReturnType<typeof createTradeBillActivities>;
