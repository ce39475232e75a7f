/** The activities of the order lifecycle, built by a factory from the worker's configuration. */
import { createCompensationActivity, type CompensationDeps } from './compensation';
import { createConfirmationActivity, type ConfirmationDeps } from './confirmation';
import { createQueryActivity } from './query';
import { createReverseActivity, type ReverseDeps } from './reverse';

/** What the activities need from the worker. */
export interface ActivityDeps {
  /** The WeChat Pay calls (query and reverse) share one client, one retry rule for auth failures and the metrics. */
  reverse: ReverseDeps;
  compensation: CompensationDeps;
  confirmation: ConfirmationDeps;
}

/** Builds the activities for `Worker.create({ activities })`. */
export function createActivities(deps: ActivityDeps) {
  return {
    queryCombineOrder: createQueryActivity(deps.reverse),
    reverseCombineOrder: createReverseActivity(deps.reverse),
    compensateSubOrder: createCompensationActivity(deps.compensation),
    confirmPayment: createConfirmationActivity(deps.confirmation),
  };
}

/** The activity interface the workflow proxies (imported there as a type only). */
export type OrderActivities = ReturnType<typeof createActivities>;
