/**
 * The benchmark's engine ceiling: the order lifecycle's shape with no work in it — one durable timer, one activity,
 * then two in parallel. Not registered by the product's worker (see bench/).
 */
import { proxyActivities, sleep } from '@temporalio/workflow';

/** No-op activities standing in for reverse and compensation. */
export interface CeilingActivities {
  noop(step: string): Promise<string>;
}

const { noop } = proxyActivities<CeilingActivities>({ startToCloseTimeout: '30 seconds' });

/** Waits until `deadlineMs` (epoch), then runs one no-op activity and two more in parallel. */
export async function ceilingWorkflow(deadlineMs: number): Promise<string> {
  const wait = deadlineMs - Date.now();
  if (wait > 0) await sleep(wait);
  await noop('reverse');
  await Promise.all([noop('compensate-1'), noop('compensate-2')]);
  return 'done';
}
