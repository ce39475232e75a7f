/** The activities of the order lifecycle, built by a factory from the worker's configuration. */
import { createCompensationActivity, type CompensationDeps } from './compensation';
import { createReverseActivity, type ReverseDeps } from './reverse';

/** What the activities need from the worker. */
export interface ActivityDeps {
  reverse: ReverseDeps;
  compensation: CompensationDeps;
}

/** Builds the activities for `Worker.create({ activities })`. */
export function createActivities(deps: ActivityDeps) {
  return {
    reverseCombineOrder: createReverseActivity(deps.reverse),
    compensateSubOrder: createCompensationActivity(deps.compensation),
  };
}

/** The activity interface the workflow proxies (imported there as a type only). */
export type OrderActivities = ReturnType<typeof createActivities>;
