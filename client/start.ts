/**
 * Starting an order's workflow: validated like the workflow validates, idempotent (one workflow per order, id
 * `combine-papay-<combineOutTradeNo>`), with everything the order shows in the Web UI given at start. Either
 * {@link startOrder} alone, or {@link startOrderAndBeginPayment}: the start and the first pay-call announcement in
 * one round trip (Update-With-Start).
 */
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  type Client,
  type WorkflowHandle,
  type WorkflowStartOptions,
} from '@temporalio/client';
import { formatDuration, iso } from '../workflows/duration';
import { escapeMarkdown, inlineCode } from '../workflows/markdown';
import {
  beginPaymentUpdate,
  DEFAULT_TASK_QUEUE,
  WORKFLOW_TYPE,
  workflowIdFor,
  type BeginPaymentDetails,
  type BeginPaymentResult,
  type OrderInput,
  type OrderResult,
  type OrderSpec,
} from '../workflows/contract';
import { PAY_CALL_TIMEOUT_MS, paymentDeadline } from '../workflows/policies';
import { orderTerms, termsDifferences } from '../workflows/terms';
import { validateOrderInput } from '../workflows/validation';
import { initialSearchAttributes, orderMemo } from '../workflows/visibility';
import { sendUpdate } from './aborted-update';
import { durationSetting, withCallDeadline, type CallOptions } from './deadline';
import { BeginPaymentRefusedError, OrderInputConflictError, OrderInputError, OrderRunEndedError } from './errors';
import { refusalOf } from './orders';
import { ENDED_WITHOUT_OUTCOME, RestartInputMismatchError, endedRun, inputDifferences, startInput } from './restart';

/** The workflow function's shape, for typed handles. */
type OrderWorkflow = (input: OrderInput) => Promise<OrderResult>;

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
  return durationSetting(['minPayWindow', options.minPayWindow], 'WECHATPAY_MIN_PAY_WINDOW', PAY_CALL_TIMEOUT_MS, {
    minimumMs: 0,
    example: '60s',
  });
}

/** A started (or already running) order workflow. */
export interface StartedOrder {
  handle: WorkflowHandle<OrderWorkflow>;
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
 * The start options of an order's workflow: its id, task queue, input (pinned to the moment validated when it has no
 * `orderCreatedAt`, so the deadline shown at start is the one the workflow computes), search attributes, memo,
 * summary and details.
 */
function orderStartOptions(
  spec: OrderSpec,
  args: OrderInput,
  taskQueue: string | undefined,
): WorkflowStartOptions<OrderWorkflow> & { workflowId: string } {
  const deadline = new Date(paymentDeadline(spec));
  return {
    workflowId: workflowIdFor(spec.combineOutTradeNo),
    taskQueue: taskQueue ?? process.env.TEMPORAL_TASK_QUEUE ?? DEFAULT_TASK_QUEUE,
    args: [args.orderCreatedAt === undefined ? { ...args, orderCreatedAt: iso(spec.orderCreatedAt) } : args],
    // Everything the order shows in visibility comes with the start: the workflow then sends no upsert for it.
    typedSearchAttributes: initialSearchAttributes(spec, deadline.getTime()),
    memo: { ...orderMemo(spec, deadline.getTime()) },
    staticSummary: orderSummary(spec, deadline),
    staticDetails: orderDetails(spec, deadline),
  };
}

/**
 * The order's existing run. Throws {@link OrderRunEndedError} when it ended without an outcome, and
 * {@link OrderInputConflictError} when it is running with other terms than `spec` (`givenCreatedAt`: the caller's
 * input named its `orderCreatedAt`, so that is compared too).
 */
async function existingRun(
  client: Client,
  spec: OrderSpec,
  givenCreatedAt: boolean,
): Promise<WorkflowHandle<OrderWorkflow>> {
  const workflowId = workflowIdFor(spec.combineOutTradeNo);
  const handle = client.workflow.getHandle<OrderWorkflow>(workflowId);
  const described = await handle.describe();
  const status = described.status.name;
  if (ENDED_WITHOUT_OUTCOME.has(status)) throw new OrderRunEndedError(spec.combineOutTradeNo, workflowId, status);
  if (status === 'RUNNING') {
    const running = await runningSpec(client, workflowId, described.runId);
    const differs = running ? termsDifferences(orderTerms(running), orderTerms(spec), givenCreatedAt) : [];
    if (differs.length > 0) throw new OrderInputConflictError(spec.combineOutTradeNo, differs);
  }
  return handle;
}

/** The running run's order as its workflow resolved it (from its first history event), or undefined. */
async function runningSpec(client: Client, workflowId: string, runId: string): Promise<OrderSpec | undefined> {
  const { events } = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  return startInput(client, events ?? []).spec;
}

/**
 * Starts the order's workflow. Idempotent: a second start of the same order, running or completed, returns that
 * workflow's handle and never starts another. A run that ended without an outcome (failed, terminated, timed out,
 * cancelled) is never hidden: it throws {@link OrderRunEndedError} unless `restartIfEnded` asks for a new run.
 */
export async function startOrder(client: Client, input: OrderInput, options: StartOptions = {}): Promise<StartedOrder> {
  const floorMs = payWindowFloorMs(options);
  let spec = checkOrderInput(input, Date.now(), floorMs);
  const args = options.restartIfEnded
    ? await restartInput(client, workflowIdFor(spec.combineOutTradeNo), input, options)
    : input;
  if (args !== input) spec = checkOrderInput(args, Date.now(), floorMs);
  const startOptions = orderStartOptions(spec, args, options.taskQueue);
  try {
    const handle = await client.workflow.start(WORKFLOW_TYPE, {
      ...startOptions,
      workflowIdReusePolicy: options.restartIfEnded ? 'ALLOW_DUPLICATE_FAILED_ONLY' : 'REJECT_DUPLICATE',
      workflowIdConflictPolicy: 'FAIL',
    });
    return { handle: handle as StartedOrder['handle'], workflowId: startOptions.workflowId, alreadyStarted: false };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    // Running (with the same terms) or completed: that run is the order's. Ended without an outcome: nobody reverses
    // it — say so.
    const handle = await existingRun(client, spec, args.orderCreatedAt !== undefined);
    return { handle, workflowId: startOptions.workflowId, alreadyStarted: true };
  }
}

/** Options of {@link startOrderAndBeginPayment}. */
export type StartAndPayOptions = Pick<StartOptions, 'taskQueue' | 'minPayWindow'> & CallOptions;

/** What {@link startOrderAndBeginPayment} returns: the order's workflow and the announcement's answer. */
export interface StartedPayment {
  handle: WorkflowHandle<OrderWorkflow>;
  workflowId: string;
  payment: BeginPaymentResult;
}

/**
 * Starts the order's workflow (or finds it running) and announces a pay call, in one round trip (Update-With-Start).
 * Send the pay call only if it resolves. Throws {@link BeginPaymentRefusedError} when the order takes no pay call
 * (reversal begun, paid, ended), {@link OrderRunEndedError} when its run ended without an outcome, and
 * {@link OrderNotAnsweringError} when no worker answered within the deadline (do not send the pay call; retry).
 */
export async function startOrderAndBeginPayment(
  client: Client,
  input: OrderInput,
  details?: BeginPaymentDetails,
  options: StartAndPayOptions = {},
): Promise<StartedPayment> {
  const spec = checkOrderInput(input, Date.now(), payWindowFloorMs(options));
  const startOptions = orderStartOptions(spec, input, options.taskQueue);
  // One operation per send: an Update the server aborted is sent again (sendUpdate), with a fresh operation.
  let startWorkflowOperation: WithStartWorkflowOperation<OrderWorkflow> | undefined;
  const payment = await withCallDeadline(client, spec.combineOutTradeNo, 'beginPayment', options, async () => {
    try {
      return await sendUpdate((updateId) => {
        startWorkflowOperation = new WithStartWorkflowOperation<OrderWorkflow>(WORKFLOW_TYPE, {
          ...startOptions,
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          workflowIdConflictPolicy: 'USE_EXISTING',
        });
        return client.workflow.executeUpdateWithStart(beginPaymentUpdate, {
          args: [details],
          startWorkflowOperation,
          updateId,
        });
      });
    } catch (err) {
      const refusal = refusalOf(err);
      if (refusal) throw new BeginPaymentRefusedError(spec.combineOutTradeNo, refusal);
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      // The order's run has closed: it takes no pay call (and a run that ended without an outcome is named).
      await existingRun(client, spec, input.orderCreatedAt !== undefined);
      throw new BeginPaymentRefusedError(spec.combineOutTradeNo, 'beginPayment refused: the order has ended');
    }
  });
  // The order answers its terms (lifecycle 1.1 on): attached to a running order with other terms, send no pay call.
  const differs = payment.order
    ? termsDifferences(payment.order, orderTerms(spec), input.orderCreatedAt !== undefined)
    : [];
  if (differs.length > 0) throw new OrderInputConflictError(spec.combineOutTradeNo, differs);
  return { handle: await startWorkflowOperation!.workflowHandle(), workflowId: startOptions.workflowId, payment };
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
  // The new run follows the ended one: it carries what that run did (a reverse sent → it starts confirming).
  const next: OrderInput = {
    ...input,
    ...(input.orderCreatedAt === undefined && typeof createdAt === 'string' ? { orderCreatedAt: createdAt } : {}),
    restart: { previousRunId: ended.runId, reverseSent: ended.reverseSent },
  };
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
