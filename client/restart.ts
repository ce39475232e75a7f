/**
 * Restarting an order whose run ended without an outcome (failed, terminated, timed out, cancelled): the new run must
 * carry the same order as the ended one. A restart with other input (`onPaidAtDeadline` flipped, another sub-order)
 * could settle one order two ways — confirmed paid by one run and compensated by the other — so it is refused, naming
 * the fields that differ, unless the caller forces it.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { schedulesReverse, type OrderSpec } from '../workflows/contract';
import { orderTerms, termsDifferences } from '../workflows/terms';
import { validateOrderInput } from '../workflows/validation';

/** Run statuses of an order's workflow that end it without an outcome. */
export const ENDED_WITHOUT_OUTCOME: ReadonlySet<string> = new Set([
  'FAILED',
  'TERMINATED',
  'TIMED_OUT',
  'CANCELLED',
  'CANCELED',
]);

/** The restart's input differs from the ended run's; `fields` names each difference (input field names). */
export class RestartInputMismatchError extends Error {
  constructor(
    readonly combineOutTradeNo: string,
    readonly fields: string[],
  ) {
    super(
      `order ${combineOutTradeNo}: the restart's input differs from the ended run's in ${fields.join(', ')}; ` +
        'a restart must carry the same order. Force it (forceInput, combine-papay-order start --restart --force-input …) ' +
        "only once you know the ended run's input was wrong.",
    );
    this.name = 'RestartInputMismatchError';
  }
}

/**
 * The ended run of an order: its run id and status, its input as sent, that input resolved as its run resolved it,
 * and whether it (or a run it followed) sent a reverse.
 */
export interface EndedRun {
  runId: string;
  status: string;
  /** A reverse was scheduled by this run, or carried by its own `restart` input: the next run starts confirming. */
  reverseSent: boolean;
  input: Record<string, unknown>;
  /** Undefined when the ended run's input was invalid (that run failed on it): nothing to compare with. */
  spec: OrderSpec | undefined;
}

/** The order's last run if it ended without an outcome; undefined when it is running, completed or absent. */
export async function endedRun(client: Client, workflowId: string): Promise<EndedRun | undefined> {
  const handle = client.workflow.getHandle(workflowId);
  let status: string;
  let runId: string;
  try {
    const described = await handle.describe();
    status = described.status.name;
    runId = described.runId;
  } catch {
    return undefined;
  }
  if (!ENDED_WITHOUT_OUTCOME.has(status)) return undefined;
  const events = (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
  const { input, spec } = startInput(client, events);
  return { runId, status, reverseSent: schedulesReverse(events) || spec?.restart?.reverseSent === true, input, spec };
}

/** The input a run was started with (its first history event), as sent and as its run resolved it. */
export function startInput(
  client: Client,
  events: readonly HistoryEvent[],
): { input: Record<string, unknown>; spec: OrderSpec | undefined } {
  const started = events[0];
  const payload = started?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload || !started?.eventTime) return { input: {}, spec: undefined };
  const input = client.options.loadedDataConverter.payloadConverter.fromPayload<Record<string, unknown>>(payload);
  const startedAt = Number(started.eventTime.seconds ?? 0) * 1_000 + Math.floor((started.eventTime.nanos ?? 0) / 1e6);
  const checked = validateOrderInput(input, startedAt);
  return { input, spec: checked.ok ? checked.spec : undefined };
}

/** One event of a fetched history. */
type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

/** The input fields in which two resolved orders differ (empty: the same order), retry settings included. */
export function inputDifferences(ended: OrderSpec, next: OrderSpec): string[] {
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  return [
    ...termsDifferences(orderTerms(ended), orderTerms(next), true),
    ...(same(ended.wechatpayRetry, next.wechatpayRetry) ? [] : ['retryPolicy.wechatpay']),
    ...(same(ended.downstreamRetry, next.downstreamRetry) ? [] : ['retryPolicy.downstream']),
  ];
}
