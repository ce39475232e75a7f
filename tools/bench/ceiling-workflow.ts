/**
 * The benchmark's engine ceilings: the product's shapes with no work in them. Deterministic workflow code (linted
 * like workflows/); not registered by the product's worker.
 *
 * - `ceilingWorkflow`: the reversed lifecycle — one durable timer, then the same activities in the same order and on
 *   the same kind of task queue as the product (query, reverse, confirming query on a separate, rate-limited queue
 *   that never dispatches eagerly; then two compensations in parallel on the workflow's own queue), each a no-op.
 * - `ceilingPaidWorkflow`: the paid path — a timer to the deadline, ended by one no-op update.
 */
import { condition, defineUpdate, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';

/** No-op activities standing in for the query, the reverse and the compensations. */
export interface CeilingActivities {
  noop(step: string): Promise<string>;
}

/** Suffix of the queue serving the ceiling's stand-ins for the WeChat Pay calls (see tools/bench/ceiling-worker.ts). */
export const CALLS_QUEUE_SUFFIX = '-calls';

const local = proxyActivities<CeilingActivities>({ startToCloseTimeout: '30 seconds' });

/** Waits until `deadlineMs` (epoch), then runs the lifecycle's activities as no-ops. */
export async function ceilingWorkflow(deadlineMs: number): Promise<string> {
  const calls = proxyActivities<CeilingActivities>({
    startToCloseTimeout: '30 seconds',
    taskQueue: `${workflowInfo().taskQueue}${CALLS_QUEUE_SUFFIX}`,
  });
  const wait = deadlineMs - Date.now();
  if (wait > 0) await sleep(wait);
  await calls.noop('query');
  await calls.noop('reverse');
  await calls.noop('confirming-query');
  await Promise.all([local.noop('compensate-1'), local.noop('compensate-2')]);
  return 'done';
}

/** The no-op update standing in for `markPaid`. */
export const ceilingPaidUpdate = defineUpdate<string>('ceilingPaid');

/** Waits for the update or the deadline, whichever comes first. */
export async function ceilingPaidWorkflow(deadlineMs: number): Promise<string> {
  let paid = false;
  setHandler(ceilingPaidUpdate, () => {
    paid = true;
    return 'paid';
  });
  await condition(() => paid, Math.max(1, deadlineMs - Date.now()));
  return paid ? 'paid' : 'deadline';
}
