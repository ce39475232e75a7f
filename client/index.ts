/**
 * What a checkout service imports: validated, idempotent start of an order's workflow, `markPaid`, `cancelOrder`,
 * `getStatus`, and listing orders by phase.
 */
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { formatDuration } from '../workflows/duration';
import {
  DEFAULT_TASK_QUEUE,
  WORKFLOW_TYPE,
  cancelOrderSignal,
  markPaidUpdate,
  statusQuery,
  workflowIdFor,
} from '../workflows/messages';
import { REVERSE_FLOOR_MS } from '../workflows/policies';
import {
  CombineOutTradeNoKey,
  PaymentDeadlineKey,
  PaymentPhaseKey,
  SubMchIdsKey,
} from '../workflows/search-attributes';
import {
  OrderPhase,
  type MarkPaidDetails,
  type MarkPaidResult,
  type OrderInput,
  type OrderResult,
  type OrderSpec,
  type OrderStatus,
} from '../workflows/types';
import { formatIssues, validateOrderInput, type ValidationIssue } from '../workflows/validation';

export * from '../workflows/types';
export { workflowIdFor, WORKFLOW_TYPE, DEFAULT_TASK_QUEUE } from '../workflows/messages';
export { ErrorType } from '../workflows/errors';

/** The input broke a rule; `issues` names every bad field. */
export class OrderInputError extends Error {
  constructor(readonly issues: ValidationIssue[]) {
    super(`invalid order input: ${formatIssues(issues)}`);
    this.name = 'OrderInputError';
  }
}

/** `markPaid` was refused: the reversal has begun (any money taken comes back through the reverse). */
export class MarkPaidRefusedError extends Error {
  constructor(
    readonly combineOutTradeNo: string,
    reason: string,
  ) {
    super(reason);
    this.name = 'MarkPaidRefusedError';
  }
}

/** Options of {@link startOrderTimeout}. */
export interface StartOptions {
  /** Task queue of the workers; default `TEMPORAL_TASK_QUEUE` or `combine-papay`. */
  taskQueue?: string;
}

/** A started (or already running) order workflow. */
export interface StartedOrder {
  handle: WorkflowHandle<(input: OrderInput) => Promise<OrderResult>>;
  workflowId: string;
  /** True when the order had been started before: nothing new was started. */
  alreadyStarted: boolean;
}

/** Validates the input like the workflow does; returns the resolved spec or throws {@link OrderInputError}. */
export function checkOrderInput(input: unknown, now = Date.now()): OrderSpec {
  const checked = validateOrderInput(input, now);
  if (!checked.ok) throw new OrderInputError(checked.issues);
  return checked.spec;
}

/**
 * Starts the order's workflow, id `combine-papay-<combineOutTradeNo>`. Idempotent: a second start of the same order,
 * running or finished, returns that workflow's handle and never starts another.
 */
export async function startOrderTimeout(
  client: Client,
  input: OrderInput,
  options: StartOptions = {},
): Promise<StartedOrder> {
  const spec = checkOrderInput(input);
  const workflowId = workflowIdFor(spec.combineOutTradeNo);
  const deadline = new Date(spec.orderCreatedAt + Math.max(spec.paymentTimeoutMs, REVERSE_FLOOR_MS));
  try {
    const handle = await client.workflow.start(WORKFLOW_TYPE, {
      workflowId,
      taskQueue: options.taskQueue ?? process.env.TEMPORAL_TASK_QUEUE ?? DEFAULT_TASK_QUEUE,
      args: [input],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      workflowIdConflictPolicy: 'FAIL',
      typedSearchAttributes: new TypedSearchAttributes([
        { key: CombineOutTradeNoKey, value: spec.combineOutTradeNo },
        { key: PaymentPhaseKey, value: OrderPhase.AWAITING_PAYMENT },
        { key: PaymentDeadlineKey, value: deadline },
        { key: SubMchIdsKey, value: [...new Set(spec.subOrders.map((s) => s.subMchid))] },
      ]),
      staticSummary: `Combined order ${spec.combineOutTradeNo}: ${spec.subOrders.length} sub-order(s), reverse at ${deadline.toISOString()} unless paid`,
      staticDetails: orderDetails(spec, deadline),
    });
    return { handle: handle as StartedOrder['handle'], workflowId, alreadyStarted: false };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      return { handle: client.workflow.getHandle(workflowId), workflowId, alreadyStarted: true };
    }
    throw err;
  }
}

function orderDetails(spec: OrderSpec, deadline: Date): string {
  const rows = spec.subOrders
    .map((s) => `| ${s.outTradeNo} | ${s.mchid} | ${s.subMchid} | ${s.subAppid ?? ''} |`)
    .join('\n');
  return [
    `**Combined order** \`${spec.combineOutTradeNo}\` (appid \`${spec.combineAppid}\`)`,
    `Created ${new Date(spec.orderCreatedAt).toISOString()}, payment timeout ${formatDuration(spec.paymentTimeoutMs)}, deadline ${deadline.toISOString()}.`,
    '',
    '| sub-order | mchid | sub_mchid | sub_appid |',
    '|---|---|---|---|',
    rows,
  ].join('\n');
}

/**
 * Confirms the order paid. Idempotent: confirming an order that already ended PAID answers as the first time did.
 * Throws {@link MarkPaidRefusedError} once the reversal has begun (or the order has already been reversed).
 */
export async function markPaid(
  client: Client,
  combineOutTradeNo: string,
  details?: MarkPaidDetails,
): Promise<MarkPaidResult> {
  const handle = client.workflow.getHandle<(input: OrderInput) => Promise<OrderResult>>(
    workflowIdFor(combineOutTradeNo),
  );
  try {
    return await handle.executeUpdate(markPaidUpdate, { args: [details] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      throw new MarkPaidRefusedError(combineOutTradeNo, err.cause?.message ?? err.message);
    }
    // The workflow has finished (e.g. an earlier markPaid whose answer was lost): its result tells the truth.
    const finished = await handle.describe().then(
      (d) => d.status.name === 'COMPLETED',
      () => false,
    );
    if (!finished) throw err;
    const result = await handle.result();
    if (result.outcome === OrderPhase.PAID && result.paid) return { phase: OrderPhase.PAID, paidAt: result.paid.at };
    throw new MarkPaidRefusedError(combineOutTradeNo, `markPaid refused: the order already ended ${result.outcome}`);
  }
}

/** Abandons the order: it is reversed now (not earlier than the safety floor after creation). */
export async function cancelOrder(client: Client, combineOutTradeNo: string, reason?: string): Promise<void> {
  await client.workflow.getHandle(workflowIdFor(combineOutTradeNo)).signal(cancelOrderSignal, reason);
}

/** The order's current status (works for finished orders too, while their history is retained). */
export async function getStatus(client: Client, combineOutTradeNo: string): Promise<OrderStatus> {
  return client.workflow.getHandle(workflowIdFor(combineOutTradeNo)).query(statusQuery);
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
