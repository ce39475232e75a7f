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
import { formatDuration, iso, parseDuration } from '../workflows/duration';
import { escapeMarkdown, inlineCode, printableText } from '../workflows/markdown';
import {
  beginPaymentUpdate,
  cancelOrderSignal,
  CombineOutTradeNoKey,
  DEFAULT_TASK_QUEUE,
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
  type OrderSpec,
  type OrderStatus,
} from '../workflows/contract';
import { PAY_CALL_TIMEOUT_MS, paymentDeadline } from '../workflows/policies';
import { formatIssues, validateOrderInput, type ValidationIssue } from '../workflows/validation';
import { initialSearchAttributes, orderMemo } from '../workflows/visibility';
import { ENDED_WITHOUT_OUTCOME, RestartInputMismatchError, endedRun, inputDifferences } from './restart';

export * from '../workflows/contract';
export { RestartInputMismatchError } from './restart';

/** The input broke a rule; `issues` names every bad field. */
export class OrderInputError extends Error {
  constructor(readonly issues: ValidationIssue[]) {
    super(`invalid order input: ${formatIssues(issues)}`);
    this.name = 'OrderInputError';
  }
}

/** An order's Update was refused; the message is the workflow's own reason. */
export class OrderUpdateRefusedError extends Error {
  constructor(
    readonly combineOutTradeNo: string,
    reason: string,
  ) {
    super(reason);
    this.name = 'OrderUpdateRefusedError';
  }
}

/** `markPaid` was refused: the reversal has begun (any money taken comes back through the reverse). */
export class MarkPaidRefusedError extends OrderUpdateRefusedError {
  override name = 'MarkPaidRefusedError';
}

/** `beginPayment` was refused: the reversal has begun (or the order is paid), so the pay call must not be sent. */
export class BeginPaymentRefusedError extends OrderUpdateRefusedError {
  override name = 'BeginPaymentRefusedError';
}

/**
 * The order's workflow exists but ended without an outcome (FAILED, TERMINATED, TIMED_OUT, CANCELED): nobody will
 * reverse this order. Start it again with `{ restartIfEnded: true }` (`npm run order -- start --restart …`) once the
 * cause is understood, or handle the order by hand.
 */
export class OrderRunEndedError extends Error {
  constructor(
    readonly combineOutTradeNo: string,
    readonly workflowId: string,
    readonly runStatus: string,
  ) {
    super(
      `order ${combineOutTradeNo} has a workflow (${workflowId}) that ended ${runStatus}: it will not be reversed. ` +
        'Start it again with restartIfEnded (npm run order -- start --restart …) or handle the order by hand.',
    );
    this.name = 'OrderRunEndedError';
  }
}

/** Options of {@link startOrder}. */
export interface StartOptions {
  /** Task queue of the workers; default `TEMPORAL_TASK_QUEUE` or `combine-papay`. */
  taskQueue?: string;
  /**
   * Start a new run when the order's last run ended without an outcome (FAILED, TERMINATED, TIMED_OUT, CANCELED).
   * A running or completed order is never started again. Default false: such a start throws
   * {@link OrderRunEndedError}. The new run carries the ended run's `orderCreatedAt` when the input has none, and
   * is refused with {@link RestartInputMismatchError} when its input differs from the ended run's.
   */
  restartIfEnded?: boolean;
  /** With `restartIfEnded`: start even when the input differs from the ended run's (it was wrong). Default false. */
  forceInput?: boolean;
  /**
   * The pay window floor of the workers (`WECHATPAY_MIN_PAY_WINDOW`, a duration or milliseconds): a shorter
   * `payWindow` is refused. Default: the `WECHATPAY_MIN_PAY_WINDOW` of this process's environment, else 60 s.
   */
  minPayWindow?: string | number;
}

/**
 * The pay window floor a start checks against: `minPayWindow`, else `WECHATPAY_MIN_PAY_WINDOW`, else 60 s (WeChat
 * Pay's pay call timeout). Throws naming the option or variable when it is not a duration.
 */
export function payWindowFloorMs(options: Pick<StartOptions, 'minPayWindow'> = {}): number {
  const [name, raw] =
    options.minPayWindow !== undefined
      ? ['minPayWindow', options.minPayWindow]
      : ['WECHATPAY_MIN_PAY_WINDOW', process.env.WECHATPAY_MIN_PAY_WINDOW?.trim() || undefined];
  if (raw === undefined) return PAY_CALL_TIMEOUT_MS;
  const ms = parseDuration(raw);
  if (ms === undefined || ms < 0)
    throw new Error(`${name} must be a duration such as "60s", got ${JSON.stringify(raw)}`);
  return ms;
}

/** A started (or already running) order workflow. */
export interface StartedOrder {
  handle: WorkflowHandle<(input: OrderInput) => Promise<OrderResult>>;
  workflowId: string;
  /** True when the order had been started before: nothing new was started. */
  alreadyStarted: boolean;
}

/**
 * Validates the input like the workflow does, and its `payWindow` against the floor (`minPayWindowMs`, default
 * {@link payWindowFloorMs}); returns the resolved spec or throws {@link OrderInputError}.
 */
export function checkOrderInput(input: unknown, now = Date.now(), minPayWindowMs = payWindowFloorMs()): OrderSpec {
  const checked = validateOrderInput(input, now, { minPayWindowMs });
  if (!checked.ok) throw new OrderInputError(checked.issues);
  return checked.spec;
}

/**
 * Starts the order's workflow, id `combine-papay-<combineOutTradeNo>`. Idempotent: a second start of the same order,
 * running or completed, returns that workflow's handle and never starts another. A run that ended without an outcome
 * (failed, terminated, timed out, cancelled) is never hidden: it throws {@link OrderRunEndedError} unless
 * `restartIfEnded` asks for a new run.
 */
export async function startOrder(client: Client, input: OrderInput, options: StartOptions = {}): Promise<StartedOrder> {
  const floorMs = payWindowFloorMs(options);
  let spec = checkOrderInput(input, Date.now(), floorMs);
  const workflowId = workflowIdFor(spec.combineOutTradeNo);
  const args = options.restartIfEnded ? await restartInput(client, workflowId, input, options) : input;
  if (args !== input) spec = checkOrderInput(args, Date.now(), floorMs);
  const deadline = new Date(paymentDeadline(spec));
  try {
    const handle = await client.workflow.start(WORKFLOW_TYPE, {
      workflowId,
      taskQueue: options.taskQueue ?? process.env.TEMPORAL_TASK_QUEUE ?? DEFAULT_TASK_QUEUE,
      // An order without `orderCreatedAt` is pinned to the moment validated here, so the deadline in the start's
      // search attributes, memo and summary is the very one the workflow computes (nothing for it to correct).
      args: [args.orderCreatedAt === undefined ? { ...args, orderCreatedAt: iso(spec.orderCreatedAt) } : args],
      workflowIdReusePolicy: options.restartIfEnded ? 'ALLOW_DUPLICATE_FAILED_ONLY' : 'REJECT_DUPLICATE',
      workflowIdConflictPolicy: 'FAIL',
      // Everything the order shows in visibility comes with the start: the workflow then sends no upsert for it.
      typedSearchAttributes: new TypedSearchAttributes(initialSearchAttributes(spec, deadline.getTime())),
      memo: { ...orderMemo(spec, deadline.getTime()) },
      staticSummary: orderSummary(spec, deadline),
      staticDetails: orderDetails(spec, deadline),
    });
    return { handle: handle as StartedOrder['handle'], workflowId, alreadyStarted: false };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    // Running or completed: that run is the order's. Ended without an outcome: nobody reverses it — say so.
    const handle = client.workflow.getHandle<(input: OrderInput) => Promise<OrderResult>>(workflowId);
    const status = (await handle.describe()).status.name;
    if (ENDED_WITHOUT_OUTCOME.has(status)) throw new OrderRunEndedError(spec.combineOutTradeNo, workflowId, status);
    return { handle, workflowId, alreadyStarted: true };
  }
}

/**
 * The input of a restart: the order as given, with the ended run's `orderCreatedAt` when it has none (the order was
 * created once; its deadline does not move). Refused when it differs from the ended run's input, unless forced.
 */
async function restartInput(
  client: Client,
  workflowId: string,
  input: OrderInput,
  options: StartOptions,
): Promise<OrderInput> {
  const ended = await endedRun(client, workflowId);
  if (!ended) return input;
  const createdAt = ended.input.orderCreatedAt;
  const next =
    input.orderCreatedAt === undefined && typeof createdAt === 'string'
      ? { ...input, orderCreatedAt: createdAt }
      : input;
  if (ended.spec && !options.forceInput) {
    const differs = inputDifferences(ended.spec, checkOrderInput(next, Date.now(), payWindowFloorMs(options)));
    if (differs.length > 0) throw new RestartInputMismatchError(input.combineOutTradeNo, differs);
  }
  return next;
}

/**
 * The Web UI's one-line summary of the order (rendered as Markdown: the order number is escaped — order numbers may
 * hold `|`, `*` and `_`).
 */
export function orderSummary(spec: OrderSpec, deadline: Date): string {
  return `Combined order ${escapeMarkdown(spec.combineOutTradeNo)}: ${spec.subOrders.length} sub-order(s), reverse at ${deadline.toISOString()} unless paid`;
}

/**
 * The Web UI's details of the order, as Markdown: ids in code spans, and every table cell escaped so that no value
 * can end a cell, start a link or emphasise (the validator's character sets already keep brackets out of ids).
 */
export function orderDetails(spec: OrderSpec, deadline: Date): string {
  const cell = (value: string | undefined): string => escapeMarkdown(value ?? '');
  const rows = spec.subOrders
    .map((s) => `| ${cell(s.outTradeNo)} | ${cell(s.mchid)} | ${cell(s.subMchid)} | ${cell(s.subAppid)} |`)
    .join('\n');
  return [
    `**Combined order** ${inlineCode(spec.combineOutTradeNo)} (appid ${inlineCode(spec.combineAppid)})`,
    `Created ${new Date(spec.orderCreatedAt).toISOString()}, payment timeout ${formatDuration(spec.paymentTimeoutMs)}, deadline ${deadline.toISOString()}, pay window ${formatDuration(spec.payWindowMs)}, paid at the deadline: ${spec.onPaidAtDeadline}.`,
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
    const refusal = refusalOf(err);
    if (refusal) throw new MarkPaidRefusedError(combineOutTradeNo, refusal);
    // The workflow has finished (e.g. an earlier markPaid whose answer was lost): its result tells the truth.
    if ((await runStatus(handle)) !== 'COMPLETED') throw err;
    const result = await handle.result();
    if (result.outcome === OrderPhase.PAID && result.paid) return { phase: OrderPhase.PAID, paidAt: result.paid.at };
    throw new MarkPaidRefusedError(combineOutTradeNo, `markPaid refused: the order already ended ${result.outcome}`);
  }
}

/**
 * Announces a pay call: call it right before each pay call to WeChat Pay, and send the pay call only if it
 * resolves. Throws {@link BeginPaymentRefusedError} once the reversal has begun (or the order is already paid).
 */
export async function beginPayment(
  client: Client,
  combineOutTradeNo: string,
  details?: BeginPaymentDetails,
): Promise<BeginPaymentResult> {
  const handle = client.workflow.getHandle(workflowIdFor(combineOutTradeNo));
  try {
    return await handle.executeUpdate(beginPaymentUpdate, { args: [details] });
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
}

/** The workflow's reason when an Update was refused by its validator or handler; undefined for other errors. */
function refusalOf(err: unknown): string | undefined {
  return err instanceof WorkflowUpdateFailedError ? (err.cause?.message ?? err.message) : undefined;
}

/** The run's status name (RUNNING, COMPLETED, …), or undefined when it cannot be described. */
function runStatus(handle: WorkflowHandle): Promise<string | undefined> {
  return handle.describe().then(
    (d) => d.status.name,
    () => undefined,
  );
}

/** Abandons the order: it is reconciled and reversed now (once the last pay call's window has closed). */
export async function cancelOrder(client: Client, combineOutTradeNo: string, reason?: string): Promise<void> {
  await client.workflow.getHandle(workflowIdFor(combineOutTradeNo)).signal(cancelOrderSignal, reason);
}

/** Operator: in NEEDS_ATTENTION, drive the failed step again (ignored, and recorded, in any other phase). */
export async function retryOrder(client: Client, combineOutTradeNo: string): Promise<void> {
  await client.workflow.getHandle(workflowIdFor(combineOutTradeNo)).signal(retrySignal);
}

/**
 * Operator: in NEEDS_ATTENTION, close the order as handled by hand; `note` (required) says what was done. Nothing is
 * compensated by the workflow afterwards: whoever resolves owns the rest.
 */
export async function resolveOrder(client: Client, combineOutTradeNo: string, note: string): Promise<void> {
  // The workflow keeps printable text only (controls and invisible characters removed): so does this check.
  if (!printableText(note, 1)) throw new Error('resolve needs a note saying what was done by hand');
  await client.workflow.getHandle(workflowIdFor(combineOutTradeNo)).signal(resolveSignal, note);
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
