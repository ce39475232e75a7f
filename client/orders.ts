/**
 * Calls to a started order: the checkout's `beginPayment`, `markPaid` and `cancelOrder`, the operator's `retryOrder`
 * and `resolveOrder`, `orderStatus` and `listOrders`. Every call takes a deadline ({@link CallOptions}) and fails
 * with {@link OrderNotAnsweringError} when nothing answers within it.
 */
import { WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { printableText } from '../workflows/markdown';
import {
  beginPaymentUpdate,
  cancelOrderSignal,
  CombineOutTradeNoKey,
  markPaidUpdate,
  OrderPhase,
  PaymentDeadlineKey,
  PaymentPhaseKey,
  resolveSignal,
  retrySignal,
  statusQuery,
  WORKFLOW_TYPE,
  workflowIdFor,
  type BeginPaymentDetails,
  type BeginPaymentResult,
  type MarkPaidDetails,
  type MarkPaidResult,
  type OrderInput,
  type OrderResult,
  type OrderStatus,
} from '../workflows/contract';
import { sendUpdate } from './aborted-update';
import { withCallDeadline, type CallOptions } from './deadline';
import { BeginPaymentRefusedError, MarkPaidRefusedError } from './errors';

/** The order's workflow handle. */
function orderHandle(
  client: Client,
  combineOutTradeNo: string,
): WorkflowHandle<(input: OrderInput) => Promise<OrderResult>> {
  return client.workflow.getHandle(workflowIdFor(combineOutTradeNo));
}

/** The workflow's reason when an Update was refused by its validator or handler; undefined for other errors. */
export function refusalOf(err: unknown): string | undefined {
  return err instanceof WorkflowUpdateFailedError ? (err.cause?.message ?? err.message) : undefined;
}

/** The run's status name (RUNNING, COMPLETED, …), or undefined when it cannot be described. */
function runStatus(handle: WorkflowHandle): Promise<string | undefined> {
  return handle.describe().then(
    (d) => d.status.name,
    () => undefined,
  );
}

/**
 * Confirms the order paid. Idempotent: confirming an order that already ended PAID answers as the first time did.
 * Throws {@link MarkPaidRefusedError} once the reversal has begun (or the order has already been reversed).
 */
export async function markPaid(
  client: Client,
  combineOutTradeNo: string,
  details?: MarkPaidDetails,
  options: CallOptions = {},
): Promise<MarkPaidResult> {
  const handle = orderHandle(client, combineOutTradeNo);
  return withCallDeadline(client, combineOutTradeNo, 'markPaid', options, async () => {
    try {
      return await sendUpdate(
        (updateId) => handle.executeUpdate(markPaidUpdate, { args: [details], updateId }),
        async () => (await runStatus(handle)) === 'RUNNING',
      );
    } catch (err) {
      const refusal = refusalOf(err);
      if (refusal) throw new MarkPaidRefusedError(combineOutTradeNo, refusal);
      // The workflow has finished (e.g. an earlier markPaid whose answer was lost): its result tells the truth.
      if ((await runStatus(handle)) !== 'COMPLETED') throw err;
      const result = await handle.result();
      if (result.outcome === OrderPhase.PAID && result.paid) return { phase: OrderPhase.PAID, paidAt: result.paid.at };
      throw new MarkPaidRefusedError(combineOutTradeNo, `markPaid refused: the order already ended ${result.outcome}`);
    }
  });
}

/**
 * Announces a pay call: call it right before each pay call to WeChat Pay, and send the pay call only if it
 * resolves. Throws {@link BeginPaymentRefusedError} once the reversal has begun (or the order is already paid).
 */
export async function beginPayment(
  client: Client,
  combineOutTradeNo: string,
  details?: BeginPaymentDetails,
  options: CallOptions = {},
): Promise<BeginPaymentResult> {
  const handle = orderHandle(client, combineOutTradeNo);
  return withCallDeadline(client, combineOutTradeNo, 'beginPayment', options, async () => {
    try {
      return await sendUpdate(
        (updateId) => handle.executeUpdate(beginPaymentUpdate, { args: [details], updateId }),
        async () => (await runStatus(handle)) === 'RUNNING',
      );
    } catch (err) {
      const refusal = refusalOf(err);
      if (refusal) throw new BeginPaymentRefusedError(combineOutTradeNo, refusal);
      // A finished order takes no pay call.
      const status = await runStatus(handle);
      if (status && status !== 'RUNNING') {
        throw new BeginPaymentRefusedError(combineOutTradeNo, 'beginPayment refused: the order has ended');
      }
      throw err;
    }
  });
}

/** Abandons the order: it is reconciled and reversed now (once the last pay call's window has closed). */
export async function cancelOrder(
  client: Client,
  combineOutTradeNo: string,
  reason?: string,
  options: CallOptions = {},
): Promise<void> {
  await withCallDeadline(client, combineOutTradeNo, 'cancelOrder', options, () =>
    orderHandle(client, combineOutTradeNo).signal(cancelOrderSignal, reason),
  );
}

/** Operator: in NEEDS_ATTENTION, drive the failed step again (ignored, and recorded, in any other phase). */
export async function retryOrder(client: Client, combineOutTradeNo: string, options: CallOptions = {}): Promise<void> {
  await withCallDeadline(client, combineOutTradeNo, 'retry', options, () =>
    orderHandle(client, combineOutTradeNo).signal(retrySignal),
  );
}

/**
 * Operator: in NEEDS_ATTENTION, close the order as handled by hand; `note` (required) says what was done. Nothing is
 * compensated by the workflow afterwards: whoever resolves owns the rest.
 */
export async function resolveOrder(
  client: Client,
  combineOutTradeNo: string,
  note: string,
  options: CallOptions = {},
): Promise<void> {
  // The workflow keeps printable text only (controls and invisible characters removed): so does this check.
  if (!printableText(note, 1)) throw new Error('resolve needs a note saying what was done by hand');
  await withCallDeadline(client, combineOutTradeNo, 'resolve', options, () =>
    orderHandle(client, combineOutTradeNo).signal(resolveSignal, note),
  );
}

/** The order's current status (works for finished orders too, while their history is retained). */
export async function orderStatus(
  client: Client,
  combineOutTradeNo: string,
  options: CallOptions = {},
): Promise<OrderStatus> {
  return withCallDeadline(client, combineOutTradeNo, 'status', options, () =>
    orderHandle(client, combineOutTradeNo).query(statusQuery),
  );
}

/** One order in a listing. */
export interface OrderListEntry {
  workflowId: string;
  combineOutTradeNo: string | undefined;
  phase: string | undefined;
  deadline: Date | undefined;
  status: string;
}

/** Lists orders, optionally in one phase (e.g. NEEDS_ATTENTION), newest first. */
export async function listOrders(
  client: Client,
  options: { phase?: OrderPhase; limit?: number } = {},
): Promise<OrderListEntry[]> {
  const clauses = [`WorkflowType = '${WORKFLOW_TYPE}'`];
  if (options.phase) clauses.push(`PaymentPhase = '${options.phase}'`);
  const out: OrderListEntry[] = [];
  for await (const wf of client.workflow.list({ query: clauses.join(' AND ') })) {
    out.push({
      workflowId: wf.workflowId,
      combineOutTradeNo: wf.typedSearchAttributes.get(CombineOutTradeNoKey),
      phase: wf.typedSearchAttributes.get(PaymentPhaseKey),
      deadline: wf.typedSearchAttributes.get(PaymentDeadlineKey),
      status: wf.status.name,
    });
    if (out.length >= (options.limit ?? 100)) break;
  }
  return out;
}
