/**
 * `combinePapayOrderWorkflow`: one combined withholding order, from "awaiting payment" to paid, or — once the pay
 * window has closed and a signed query says what happened — to reversed at WeChat Pay, confirmed by a second query,
 * and compensated sub-order by sub-order. Deterministic code only.
 */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  log,
  patched,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { formatDuration, iso } from './duration';
import { ErrorType } from './errors';
import { compensatePending, type ConfirmedReversal } from './compensation';
import { wechatpayTaskQueue } from './messages';
import { OrderState } from './order-state';
import { Patches } from './patches';
import {
  CONFIRM_BACKOFF_MS,
  MAX_REVERSE_ROUNDS,
  PAY_CALL_TIMEOUT_MS,
  REVERSE_FLOOR_MS,
  paymentDeadline,
} from './policies';
import { confirmedStates, decideAfterReverse, decideBeforeReverse, summarizeQuery } from './reconcile';
import {
  CompensationReason,
  OrderPhase,
  ReconcileDecision,
  ReverseOutcome,
  type AttentionStep,
  type FailureInfo,
  type OrderResult,
  type OrderSpec,
  type OrderStatus,
  type QueryResult,
} from './types';
import { formatIssues, validateOrderInput } from './validation';
import { initialSearchAttributes, memoSetAtStart, notSetAtStart, orderMemo, orderSearchAttributes } from './visibility';
import { adoptPaid } from './adopt';
import { queryStep, reverseStep, type WechatpayStep } from './wechatpay-steps';

/** How driving the reversal ended: confirmed (compensate), adopted as paid, or stuck (an operator decides). */
type Reconciled =
  | { kind: 'CONFIRMED' }
  | { kind: 'ADOPT'; query: Extract<QueryResult, { found: true }> }
  | { kind: 'STUCK'; step: AttentionStep; failure: FailureInfo };

/** Reverses and compensates a combined withholding order that is not confirmed paid by its deadline. */
export async function combinePapayOrderWorkflow(input: unknown): Promise<OrderResult> {
  // Orders started before the stricter rules replay under the rules that accepted them (see Patches.STRICT_INPUT);
  // orders with attributes at start imply those rules (one marker, see Patches.ATTRIBUTES_AT_START).
  const attributesAtStart = patched(Patches.ATTRIBUTES_AT_START);
  const strict = attributesAtStart || patched(Patches.STRICT_INPUT);
  const checked = validateOrderInput(input, workflowInfo().startTime.getTime(), { legacy: !strict });
  if (!checked.ok) {
    throw ApplicationFailure.create({
      type: ErrorType.INVALID_ORDER_INPUT,
      nonRetryable: true,
      message: `invalid order input: ${formatIssues(checked.issues)}`,
      details: [checked.issues],
    });
  }
  const lifecycle = new OrderLifecycle(checked.spec, { strict, attributesAtStart });
  // A cancellation request must not end the order wherever it is (a debit could land unreversed, stock stay held):
  // the lifecycle runs in a non-cancellable scope and the request is handled as an order event.
  CancellationScope.current().cancelRequested.catch(() => lifecycle.cancellationRequested());
  return CancellationScope.nonCancellable(() => lifecycle.run());
}

/** Which version of the lifecycle wrote the order's history (see {@link Patches}). */
interface LifecycleVersion {
  /** The stricter input and note rules. */
  strict: boolean;
  /** Visibility set at start; implies every earlier patch. */
  attributesAtStart: boolean;
}

class OrderLifecycle {
  private readonly order: OrderState;
  private readonly deadline: number;
  /** Set once WeChat Pay confirmed the order closed/reversed/refunded: what each compensation carries. */
  private confirmed: ConfirmedReversal | undefined;
  /** Where the WeChat Pay calls go, decided at the first one (see {@link OrderLifecycle.wechatpayQueue}). */
  private wechatpayOptions: { taskQueue?: string } | undefined;
  /** What the WeChat Pay steps work on (see {@link WechatpayStep}). */
  private readonly steps: WechatpayStep;

  constructor(
    private readonly spec: OrderSpec,
    private readonly version: LifecycleVersion,
  ) {
    this.deadline = paymentDeadline(spec);
    this.order = new OrderState(spec, this.deadline, { strictNotes: version.strict });
    this.steps = { spec, order: this.order, queue: () => this.wechatpayQueue() };
  }

  /**
   * The task queue of the WeChat Pay calls: the dedicated, rate-limited one (`<task queue>-wechatpay`), or — for an
   * order whose first call was scheduled by an earlier version — the workflow's own, for the rest of its life (the
   * worker serves the calls on both). Decided at the first call, so that orders still waiting for payment when
   * this version was deployed move over too.
   */
  private wechatpayQueue(): { taskQueue?: string } {
    this.wechatpayOptions ??= this.since(Patches.WECHATPAY_TASK_QUEUE)
      ? { taskQueue: wechatpayTaskQueue(workflowInfo().taskQueue) }
      : {};
    return this.wechatpayOptions;
  }

  /**
   * Whether the order takes the path a patch introduced: `patched()`, except for orders started with attributes at
   * start, which imply every earlier patch without recording its marker.
   */
  private since(patch: Exclude<(typeof Patches)[keyof typeof Patches], typeof Patches.ATTRIBUTES_AT_START>): boolean {
    return this.version.attributesAtStart || patched(patch);
  }

  /** A Temporal cancellation request arrived (see {@link OrderState.cancellationRequested}). */
  cancellationRequested(): void {
    this.order.cancellationRequested();
  }

  /** The status the lifecycle updates as it goes. */
  private get state(): OrderStatus {
    return this.order.status;
  }

  /** The lifecycle, top to bottom. */
  async run(): Promise<OrderResult> {
    this.announce();
    await this.waitForPayment();
    if (this.state.paid) return this.order.finish(OrderPhase.PAID);

    const reason = this.state.cancelled ? CompensationReason.CANCELLED : CompensationReason.PAYMENT_TIMEOUT;
    const why = reason === CompensationReason.CANCELLED ? 'the order was cancelled' : 'the payment deadline passed';
    if (!this.since(Patches.RECONCILE_BY_QUERY)) return this.legacyReverseThenCompensate(reason, why);

    await this.waitForPayWindow(why);
    for (;;) {
      const reconciled = await this.reconcileAndReverse(why);
      if (reconciled.kind === 'CONFIRMED') break;
      if (reconciled.kind === 'ADOPT') return adoptPaid(this.steps, reconciled.query);
      const action = await this.order.awaitOperator(reconciled.step, reconciled.failure);
      if (action.action === 'resolve') return this.order.resolveManually(action.note);
    }
    return this.compensateUntilDone(reason);
  }

  /**
   * Search attributes and memo of the order. A client start sets them all (nothing to send); a raw start gets
   * what it left out in one upsert. Orders started before that keep the commands they sent (three upserts).
   */
  private announce(): void {
    const { spec, state } = this;
    if (this.version.attributesAtStart) {
      const info = workflowInfo();
      const missing = notSetAtStart(initialSearchAttributes(spec, this.deadline), info.typedSearchAttributes);
      if (missing.length > 0) upsertSearchAttributes(missing);
      this.order.phaseIndexed(OrderPhase.AWAITING_PAYMENT);
      const memo = orderMemo(spec, this.deadline);
      if (!memoSetAtStart(memo, info.memo)) upsertMemo({ ...memo });
    } else {
      upsertSearchAttributes(orderSearchAttributes(spec, this.deadline));
      upsertMemo({ ...orderMemo(spec, this.deadline) });
    }
    if (spec.payWindowMs < PAY_CALL_TIMEOUT_MS) {
      log.warn('payWindow is shorter than the pay call may run: a late debit could land after the query', {
        combineOutTradeNo: spec.combineOutTradeNo,
        payWindow: state.payWindow,
      });
    }
  }

  /** Step 1: wait for markPaid, cancelOrder or the deadline. */
  private async waitForPayment(): Promise<void> {
    const { state } = this;
    this.order.enter(
      OrderPhase.AWAITING_PAYMENT,
      `Waiting for markPaid until the payment deadline ${state.deadline}; without it the order is reconciled with WeChat Pay and reversed.`,
    );
    const remaining = this.deadline - Date.now();
    if (remaining > 0) {
      await condition(() => state.paid !== undefined || state.cancelled !== undefined, remaining, {
        summary: `payment deadline ${state.deadline}`,
      });
    }
    // The flag decides, not the timer: a markPaid accepted in the same activation as the deadline wins.
    if (state.paid) this.order.enter(OrderPhase.PAID, 'Nothing: the order was confirmed paid.');
  }

  /** Step 2: no query or reverse before every announced pay call may have landed. */
  private async waitForPayWindow(why: string): Promise<void> {
    const { spec, state } = this;
    // Entering REVERSING first (same activation) refuses every later beginPayment: the window below is final.
    this.order.enter(OrderPhase.REVERSING, `Reconciling with WeChat Pay because ${why}.`);
    const lastPayCall = state.payments ? Date.parse(state.payments.lastAt) : spec.orderCreatedAt;
    const notBefore = lastPayCall + spec.payWindowMs;
    state.reverse.notBefore = iso(notBefore);
    if (Date.now() >= notBefore) return;
    state.reverse.state = 'WAITING_FOR_PAY_WINDOW';
    this.order.enter(
      OrderPhase.REVERSING,
      `Waiting for the pay window until ${iso(notBefore)} (${why}): a pay call sent at ${iso(lastPayCall)} may still land.`,
    );
    await sleep(notBefore - Date.now(), { summary: `pay window until ${iso(notBefore)}` });
  }

  /**
   * Step 3: query; decide; reverse; query again until WeChat Pay confirms the order closed, reversed or refunded.
   * Bounded rounds of reverse-and-confirm, then an operator.
   */
  private async reconcileAndReverse(why: string): Promise<Reconciled> {
    const { spec, state } = this;
    for (let sent = 0; ;) {
      const confirming = state.reverse.state === 'ACCEPTED';
      const query = await queryStep(this.steps, confirming ? 'CONFIRM' : 'RECONCILE');
      if ('type' in query) return { kind: 'STUCK', step: 'QUERY', failure: query };
      const decision = confirming
        ? decideAfterReverse(query, spec.subOrders)
        : decideBeforeReverse(query, spec.subOrders, spec.onPaidAtDeadline);
      state.reverse.decision = decision;
      log.info('reconcile decision', { combineOutTradeNo: spec.combineOutTradeNo, decision });
      if (decision === ReconcileDecision.ADOPT && query.found) return { kind: 'ADOPT', query };
      if (decision === ReconcileDecision.CONFIRMED || decision === ReconcileDecision.NOTHING_TO_REVERSE) {
        this.confirm(query, confirming);
        return { kind: 'CONFIRMED' };
      }
      if (confirming) {
        const seen = summarizeQuery(query, spec.subOrders);
        if (sent >= MAX_REVERSE_ROUNDS) {
          const failure = {
            type: ErrorType.REVERSE_NOT_CONFIRMED,
            message: `after ${sent} accepted reverse(s) the query still shows ${seen}`,
            at: iso(Date.now()),
          };
          state.reverse.lastFailure = failure;
          return { kind: 'STUCK', step: 'CONFIRM', failure };
        }
        const pause = CONFIRM_BACKOFF_MS * 2 ** Math.max(0, sent - 1);
        this.order.enter(
          OrderPhase.REVERSING,
          `The reverse is not confirmed yet (${seen}): reversing again after ${formatDuration(pause)}.`,
        );
        await sleep(pause, { summary: 'pause before reversing again' });
      }
      const failure = await reverseStep(this.steps, why);
      if (failure) return { kind: 'STUCK', step: 'REVERSE', failure };
      sent += 1;
    }
  }

  /** A query settled the order: what each compensation will carry, and the status. */
  private confirm(query: QueryResult, afterReverse: boolean): void {
    const { spec, state } = this;
    const reverseOutcome = afterReverse
      ? (state.reverse.outcome ?? ReverseOutcome.REVERSED)
      : ReverseOutcome.NOT_NEEDED;
    this.confirmed = { reverseOutcome, tradeStates: confirmedStates(query, spec.subOrders) };
    state.reverse.state = afterReverse ? 'CONFIRMED' : 'NOT_NEEDED';
    state.reverse.outcome = reverseOutcome;
    state.reverse.confirmedAt = iso(Date.now());
  }

  /** Step 4: compensate every sub-order (in parallel); failed ones wait for an operator, then only they run again. */
  private async compensateUntilDone(reason: CompensationReason): Promise<OrderResult> {
    for (;;) {
      await this.compensate(reason);
      const failed = this.state.subOrders.filter((s) => s.compensation !== 'DONE');
      if (failed.length === 0) {
        this.order.enter(OrderPhase.REVERSED, 'Nothing: the order was reversed and every sub-order compensated.');
        return this.order.finish(OrderPhase.REVERSED);
      }
      const failure = failed[0]?.lastFailure ?? { type: ErrorType.UNKNOWN, message: 'no detail', at: iso(Date.now()) };
      const action = await this.order.awaitOperator('COMPENSATION', failure, failed.length);
      if (action.action === 'resolve') return this.order.resolveManually(action.note);
    }
  }

  private async compensate(reason: CompensationReason): Promise<void> {
    const { spec, state, confirmed } = this;
    if (!confirmed) {
      // Unreachable by construction; guarded because compensation without a confirmed reverse releases stock wrongly.
      throw ApplicationFailure.create({
        type: ErrorType.INVARIANT_VIOLATED,
        message: 'compensation without a confirmed reverse',
      });
    }
    const pending = state.subOrders.filter((s) => s.compensation !== 'DONE');
    this.order.enter(
      OrderPhase.COMPENSATING,
      `Compensating ${pending.length} of ${state.subOrders.length} sub-orders downstream (reverse ${confirmed.reverseOutcome}).`,
    );
    await compensatePending(spec, pending, confirmed, reason);
  }

  /**
   * The path of orders whose reversal began under the previous version (no pay window, no query): kept so that
   * their histories replay. Safety floor after creation, blind reverse, compensation on the reverse answer.
   */
  private async legacyReverseThenCompensate(reason: CompensationReason, why: string): Promise<OrderResult> {
    const { spec, state } = this;
    const floor = spec.orderCreatedAt + REVERSE_FLOOR_MS;
    state.reverse.notBefore = iso(floor);
    if (Date.now() < floor) {
      state.reverse.state = 'WAITING_FOR_FLOOR';
      this.order.enter(
        OrderPhase.REVERSING,
        `Waiting until ${iso(floor)} before reversing (${why}): the pay call may still be running.`,
      );
      await sleep(floor - Date.now(), { summary: `reverse safety floor ${iso(floor)}` });
    }
    for (;;) {
      const failure = await reverseStep(this.steps, why);
      if (!failure) break;
      const action = await this.order.awaitOperator('REVERSE', failure);
      if (action.action === 'resolve') return this.order.resolveManually(action.note);
    }
    this.confirmed = { reverseOutcome: state.reverse.outcome ?? ReverseOutcome.REVERSED };
    return this.compensateUntilDone(reason);
  }
}
