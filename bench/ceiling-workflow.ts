/**
 * The benchmark's engine ceiling: the reversed order lifecycle's shape with no work in it — one durable timer, then
 * the same activities in the same order as the product (query, reverse, confirming query, then two compensations in
 * parallel), each a no-op. Deterministic workflow code (linted like workflows/); not registered by the product's
 * worker.
 */
import { proxyActivities, sleep } from '@temporalio/workflow';

/** No-op activities standing in for the query, the reverse and the compensations. */
export interface CeilingActivities {
  noop(step: string): Promise<string>;
}

const { noop } = proxyActivities<CeilingActivities>({ startToCloseTimeout: '30 seconds' });

/** Waits until `deadlineMs` (epoch), then runs the lifecycle's activities as no-ops. */
export async function ceilingWorkflow(deadlineMs: number): Promise<string> {
  const wait = deadlineMs - Date.now();
  if (wait > 0) await sleep(wait);
  await noop('query');
  await noop('reverse');
  await noop('confirming-query');
  await Promise.all([noop('compensate-1'), noop('compensate-2')]);
  return 'done';
}
