/**
 * Restarting an order whose run ended without an outcome (failed, terminated, timed out, cancelled): the new run must
 * carry the same order as the ended one. A restart with other input (`onPaidAtDeadline` flipped, another sub-order)
 * could settle one order two ways — confirmed paid by one run and compensated by the other — so it is refused, naming
 * the fields that differ, unless the caller forces it.
 */
import type { Client } from '@temporalio/client';
import type { OrderSpec } from '../workflows/contract';
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
        'a restart must carry the same order. Force it (forceInput, npm run order -- start --restart --force-input …) ' +
        "only once you know the ended run's input was wrong.",
    );
    this.name = 'RestartInputMismatchError';
  }
}

/** The ended run of an order: its status, its input as sent, and that input resolved as its run resolved it. */
export interface EndedRun {
  status: string;
  input: Record<string, unknown>;
  /** Undefined when the ended run's input was invalid (that run failed on it): nothing to compare with. */
  spec: OrderSpec | undefined;
}

/** The order's last run if it ended without an outcome; undefined when it is running, completed or absent. */
export async function endedRun(client: Client, workflowId: string): Promise<EndedRun | undefined> {
  const handle = client.workflow.getHandle(workflowId);
  let status: string;
  try {
    status = (await handle.describe()).status.name;
  } catch {
    return undefined;
  }
  if (!ENDED_WITHOUT_OUTCOME.has(status)) return undefined;
  const started = (await handle.fetchHistory()).events?.[0];
  const attributes = started?.workflowExecutionStartedEventAttributes;
  const payload = attributes?.input?.payloads?.[0];
  if (!payload || !started?.eventTime) return { status, input: {}, spec: undefined };
  const input = client.options.loadedDataConverter.payloadConverter.fromPayload<Record<string, unknown>>(payload);
  const startedAt = Number(started.eventTime.seconds ?? 0) * 1_000 + Math.floor((started.eventTime.nanos ?? 0) / 1e6);
  const checked = validateOrderInput(input, startedAt);
  return { status, input, spec: checked.ok ? checked.spec : undefined };
}

/** The input fields in which two resolved orders differ (empty: the same order). */
export function inputDifferences(ended: OrderSpec, next: OrderSpec): string[] {
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  const fields: [string, unknown, unknown][] = [
    ['combineAppid', ended.combineAppid, next.combineAppid],
    ['subOrders', byOutTradeNo(ended.subOrders), byOutTradeNo(next.subOrders)],
    ['paymentTimeout', ended.paymentTimeoutMs, next.paymentTimeoutMs],
    ['orderCreatedAt', ended.orderCreatedAt, next.orderCreatedAt],
    ['payWindow', ended.payWindowMs, next.payWindowMs],
    ['onPaidAtDeadline', ended.onPaidAtDeadline, next.onPaidAtDeadline],
    ['retryPolicy.wechatpay', ended.wechatpayRetry, next.wechatpayRetry],
    ['retryPolicy.downstream', ended.downstreamRetry, next.downstreamRetry],
  ];
  return fields.filter(([, a, b]) => !same(a, b)).map(([name]) => name);
}

function byOutTradeNo(subOrders: OrderSpec['subOrders']): OrderSpec['subOrders'] {
  return [...subOrders].sort((a, b) => (a.outTradeNo < b.outTradeNo ? -1 : a.outTradeNo > b.outTradeNo ? 1 : 0));
}
