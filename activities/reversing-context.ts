/**
 * The local activity an order runs when it enters REVERSING, where money may first move: the worker's pay window
 * floor, and the earlier closed runs of the order's workflow id (one order, one lifecycle). Its answer is recorded in
 * the order's history, so replay never reads a worker's environment or visibility.
 */
import { Context } from '@temporalio/activity';
import type { EarlierRun } from '../workflows/contract';
import type { ReversingContext } from './types';

/** Most earlier runs reported (the newest ones). */
export const MAX_EARLIER_RUNS = 10;

/** How the worker looks up an order's runs (the Temporal server's visibility and histories). */
export interface RunLookup {
  /** The closed runs of `workflowId` other than `runId`, newest first, at most {@link MAX_EARLIER_RUNS}. */
  earlierRuns(workflowId: string, runId: string): Promise<EarlierRun[]>;
  /** Whether the run scheduled a reverse (a `reverseCombineOrder` activity) at any point of its history. */
  scheduledReverse(workflowId: string, runId: string): Promise<boolean>;
}

/** What the activity needs from the worker. */
export interface ReversingContextDeps {
  /** The pay window floor (`WECHATPAY_MIN_PAY_WINDOW`), in milliseconds. */
  payWindowFloorMs: number;
  runs: RunLookup;
}

/** Builds the `reversingContext` local activity. */
export function createReversingContextActivity(deps: ReversingContextDeps): () => Promise<ReversingContext> {
  return async function reversingContext() {
    const execution = Context.current().info.workflowExecution;
    // Only a workflow runs this activity; outside one there is no order and nothing earlier.
    if (!execution) return { payWindowFloorMs: deps.payWindowFloorMs, earlierRuns: [], reverseSentByEarlierRun: false };
    const { workflowId, runId } = execution;
    const earlierRuns = await deps.runs.earlierRuns(workflowId, runId);
    let reverseSentByEarlierRun = false;
    // Only runs that ended without an outcome can leave a reverse unconfirmed; a completed run settled its order.
    for (const run of earlierRuns.filter((r) => r.status !== 'COMPLETED')) {
      if (await deps.runs.scheduledReverse(workflowId, run.runId)) {
        reverseSentByEarlierRun = true;
        break;
      }
    }
    if (earlierRuns.length > 0) {
      Context.current().log.warn('the order has earlier closed runs', {
        workflowId,
        earlierRuns: earlierRuns.map((r) => `${r.runId}:${r.status}`).join(','),
        reverseSentByEarlierRun,
      });
    }
    return { payWindowFloorMs: deps.payWindowFloorMs, earlierRuns, reverseSentByEarlierRun };
  };
}
