/**
 * The worker's look-up of an order's earlier runs, through the connection it polls with: a visibility list of the
 * workflow id's other runs, and the history of one run (for whether it scheduled a reverse).
 */
import type { NativeConnection } from '@temporalio/worker';
import { MAX_EARLIER_RUNS, type RunLookup } from '../activities/reversing-context';
import { schedulesReverse, type EarlierRun } from '../workflows/contract';
import { visibilityString } from './order-index';

/** Temporal's execution statuses by number (`temporal.api.enums.v1.WorkflowExecutionStatus`). */
const EXECUTION_STATUS = [
  'UNSPECIFIED',
  'RUNNING',
  'COMPLETED',
  'FAILED',
  'CANCELED',
  'TERMINATED',
  'CONTINUED_AS_NEW',
  'TIMED_OUT',
] as const;

/** Milliseconds of a protobuf timestamp, or undefined. */
function millis(ts: { seconds?: { toString(): string } | number | null; nanos?: number | null } | null | undefined) {
  if (!ts || ts.seconds === undefined || ts.seconds === null) return undefined;
  return Number(ts.seconds.toString()) * 1_000 + Math.floor((ts.nanos ?? 0) / 1e6);
}

/** Builds the look-up over a worker's connection to `namespace`. */
export function createRunLookup(connection: NativeConnection, namespace: string): RunLookup {
  return {
    async earlierRuns(workflowId, runId): Promise<EarlierRun[]> {
      const query = `WorkflowId = ${visibilityString(workflowId)} AND RunId != ${visibilityString(runId)}`;
      const res = await connection.workflowService.listWorkflowExecutions({ namespace, query, pageSize: 50 });
      return (res.executions ?? [])
        .map((e) => ({ runId: e.execution?.runId ?? '', status: e.status ?? 0, closed: millis(e.closeTime) }))
        .sort((a, b) => (b.closed ?? 0) - (a.closed ?? 0))
        .slice(0, MAX_EARLIER_RUNS)
        .map(({ runId: id, status, closed }) => ({
          runId: id,
          status: EXECUTION_STATUS[status] ?? String(status),
          ...(closed !== undefined ? { closedAt: new Date(closed).toISOString() } : {}),
        }));
    },
    async scheduledReverse(workflowId, runId): Promise<boolean> {
      let nextPageToken: Uint8Array | undefined;
      do {
        const page = await connection.workflowService.getWorkflowExecutionHistory({
          namespace,
          execution: { workflowId, runId },
          maximumPageSize: 1_000,
          ...(nextPageToken ? { nextPageToken } : {}),
        });
        if (schedulesReverse(page.history?.events ?? [])) return true;
        nextPageToken = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
      } while (nextPageToken);
      return false;
    },
  };
}
