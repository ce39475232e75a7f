/**
 * `combinePapayOrderWorkflow`: one combined withholding order, from "awaiting payment" to paid, or — once the pay
 * window has closed and a signed query says what happened — to reversed at WeChat Pay, confirmed by a second query,
 * and compensated sub-order by sub-order. Deterministic code only.
 *
 * How changes ship: this is lifecycle 1.1 (Worker Deployment version 1.1.0), one path, no `patched()`. Orders run to
 * their end on the deployment version that started them (Worker Versioning, pinned): a change to the command sequence
 * is a new version, built and tested beside the old ones, with replay fixtures per version (test/fixtures/deployments).
 */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  log,
  proxyLocalActivities,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { OrderActivities } from '../activities';
import { formatDuration, iso } from './duration';
import {
  CompensationReason,
  ErrorType,
  OrderPhase,
  ReconcileDecision,
  ReverseOutcome,
  type AttentionStep,
  type FailureInfo,
  type OrderResult,
  type OrderSpec,
  type OrderStatus,
  type QueryResult,
  type ReversingContext,
} from './contract';
import { compensatePending, type ConfirmedReversal } from './compensation';
import { OrderState } from './order-state';
import { CONFIRM_BACKOFF_MS, MAX_REVERSE_ROUNDS, paymentDeadline } from './policies';
import {
  confirmedStates,
  decideAfterReverse,
  decideBeforeReverse,
  refundedSubOrders,
  summarizeQuery,
} from './reconcile';
import { formatIssues, validateOrderInput } from './validation';
import { initialSearchAttributes, memoSetAtStart, notSetAtStart, orderMemo } from './visibility';
import { adoptPaid } from './adopt';
import { queryStep, reverseStep, type WechatpayStep } from './wechatpay-steps';

/**
 * Asked once when the order enters REVERSING, where money may first move (recorded in the history): the worker's pay
 * window floor and the earlier closed runs of this workflow id. The paid path never asks.
 */
const { reversingContext } = proxyLocalActivities<OrderActivities>({ startToCloseTimeout: '10s' });

/** How driving the reversal ended: confirmed (compensate), adopted as paid, or stuck (an operator decides). */
type Reconciled =
  | { kind: 'CONFIRMED' }
  | { kind: 'ADOPT'; query: Extract<QueryResult, { found: true }> }
  | { kind: 'STUCK'; step: AttentionStep; failure: FailureInfo };

/** Reverses and compensates a combined withholding order that is not confirmed paid by its deadline. */
export async function combinePapayOrderWorkflow(input: unknown): Promise<OrderResult> {
  const checked = validateOrderInput(input, workflowInfo().startTime.getTime());
  if (!checked.ok) {
    throw ApplicationFailure.create({
      type: ErrorType.INVALID_ORDER_INPUT,
      nonRetryable: true,
      message: `invalid order input: ${formatIssues(checked.issues)}`,
      details: [checked.issues],
    });
  }
  const lifecycle = new OrderLifecycle(checked.spec);
  // A cancellation request must not end the order wherever it is (a debit could land unreversed, stock stay held):
  // the lifecycle runs in a non-cancellable scope and the request is handled as an order event.
  CancellationScope.current().cancelRequested.catch(() => lifecycle.cancellationRequested());
  return CancellationScope.nonCancellable(() => lifecycle.run());
}

class OrderLifecycle {
  private readonly order: OrderState;
  private readonly deadline: number;
  /** Set once WeChat Pay confirmed the order closed/reversed/refunded: what each compensation carries. */
  private confirmed: ConfirmedReversal | undefined;
  /** What the WeChat Pay steps work on (see {@link WechatpayStep}). */
  private readonly steps: WechatpayStep;
  /**
   * A reverse was sent by the run this one restarts (or one before it): the order is confirming from its first query,
   * never adopted and never "nothing to reverse".
   */
  private reverseSentBefore = false;

  constructor(private readonly spec: OrderSpec) {
    this.deadline = paymentDeadline(spec);
    this.order = new OrderState(spec, this.deadline);
    this.steps = { spec, order: this.order, nonces: [] };
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
    const stoppedAt = Date.now();
    // Entering REVERSING first (same activation) refuses every later beginPayment: the window below is final.
    this.order.enter(OrderPhase.REVERSING, `Reconciling with WeChat Pay because ${why}.`);
    const context = await reversingContext();
    const earlier = this.checkEarlierRuns(context);
    if (earlier) {
      const action = await this.order.awaitOperator('EARLIER_RUN', earlier);
      if (action.action === 'resolve') return this.order.resolveManually(action.note);
    }
    await this.waitForPayWindow(why, stoppedAt, context.payWindowFloorMs);
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
   * Search attributes and memo of the order. A client start sets them all (nothing to send); a raw start gets what it
   * left out in one upsert and one memo change.
   */
  private announce(): void {
    const { spec } = this;
    const info = workflowInfo();
    const missing = notSetAtStart(initialSearchAttributes(spec, this.deadline), info.typedSearchAttributes);
    if (missing.length > 0) upsertSearchAttributes(missing);
    this.order.phaseIndexed(OrderPhase.AWAITING_PAYMENT);
    const memo = orderMemo(spec, this.deadline);
    if (!memoSetAtStart(memo, info.memo)) upsertMemo({ ...memo });
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

  /**
   * One order, one lifecycle: a run that finds an earlier closed run of its workflow id moves no money on its own
   * (the order was paid, reversed or resolved by that run, or a forgotten start repeats it), unless it is the client's
   * restart of the newest one and every earlier run ended without an outcome. Whatever decides, a reverse sent by an
   * earlier run is carried: the order is confirming for life. Answers why an operator must decide, or undefined.
   */
  private checkEarlierRuns(context: ReversingContext): FailureInfo | undefined {
    const { spec, state } = this;
    const { earlierRuns } = context;
    this.reverseSentBefore = context.reverseSentByEarlierRun || spec.restart?.reverseSent === true;
    if (spec.restart) state.restartOf = spec.restart;
    if (earlierRuns.length === 0) return undefined;
    state.earlierRuns = earlierRuns;
    const [newest] = earlierRuns;
    const followsNewest = spec.restart !== undefined && newest?.runId === spec.restart.previousRunId;
    const completed = earlierRuns.filter((r) => r.status === 'COMPLETED');
    if (followsNewest && completed.length === 0) return undefined;
    const runs = earlierRuns.map((r) => `${r.runId} ${r.status}${r.closedAt ? ` at ${r.closedAt}` : ''}`).join(', ');
    const failure: FailureInfo = {
      type: ErrorType.EARLIER_RUN_ENDED,
      message:
        `this order's workflow id has earlier closed run(s): ${runs}; ` +
        (completed.length > 0
          ? 'one of them ended the order (paid, reversed or resolved), so this run is a second start of it'
          : "this run is not the client's restart of the newest one") +
        '. Resolve it with a note, or retry once you have confirmed this is a new order',
      at: iso(Date.now()),
    };
    state.reverse.lastFailure = failure;
    return failure;
  }

  /**
   * Step 2: nothing reaches WeChat Pay before every pay call may have landed. A checkout may send a pay call it did
   * not announce (its SDK's own retry, a second device) until the order stopped waiting for payment, so the window
   * starts at the later of that moment and the last announced pay call, and lasts the longer of `payWindow` and the
   * worker's floor. One early `beginPayment` never shortens the wait.
   */
  private async waitForPayWindow(why: string, stoppedAt: number, floorMs: number): Promise<void> {
    const { spec, state } = this;
    const windowMs = Math.max(spec.payWindowMs, floorMs);
    const lastPayment = state.payments ? Date.parse(state.payments.lastAt) : -Infinity;
    const windowStart =
      lastPayment > stoppedAt
        ? { at: iso(lastPayment), by: 'beginPayment' as const }
        : { at: iso(stoppedAt), by: state.cancelled ? ('cancelled' as const) : ('deadline' as const) };
    const notBefore = Date.parse(windowStart.at) + windowMs;
    Object.assign(state.reverse, { notBefore: iso(notBefore), windowStart, payWindowFloor: formatDuration(floorMs) });
    if (Date.now() >= notBefore) return;
    state.reverse.state = 'WAITING_FOR_PAY_WINDOW';
    const sent = windowStart.by === 'beginPayment' ? 'sent at' : 'sent until';
    this.order.enter(
      OrderPhase.REVERSING,
      `Waiting for the pay window until ${iso(notBefore)} (${why}): a pay call ${sent} ${windowStart.at} may still land.`,
    );
    await sleep(notBefore - Date.now(), { summary: `pay window until ${iso(notBefore)}` });
  }

  /**
   * Step 3: query; decide; reverse; query again until WeChat Pay confirms the order closed, reversed or refunded.
   * Once a reverse was sent (whatever its answer) the order is confirming for life: an operator's retry resumes with
   * a query and reverses again only if the query still shows something to reverse. Bounded rounds, then an operator.
   */
  private async reconcileAndReverse(why: string): Promise<Reconciled> {
    const { state } = this;
    /** The last reverse was refused (REVERSE_REJECTED): the next query tells whether the order is settled anyway. */
    let refused: FailureInfo | undefined;
    for (let round = 0; ;) {
      const confirming = state.reverse.rounds > 0 || this.reverseSentBefore;
      const query = await queryStep(this.steps, confirming ? 'CONFIRM' : 'RECONCILE');
      if ('type' in query) return { kind: 'STUCK', step: 'QUERY', failure: query };
      const decision = this.decide(query, confirming);
      if (decision === ReconcileDecision.ADOPT && query.found) return { kind: 'ADOPT', query };
      if (decision === ReconcileDecision.CONFIRMED || decision === ReconcileDecision.NOTHING_TO_REVERSE) {
        this.confirm(query, confirming);
        return { kind: 'CONFIRMED' };
      }
      if (decision === ReconcileDecision.REFUNDED_BEFORE_REVERSE) {
        return { kind: 'STUCK', step: 'QUERY', failure: this.refundedBeforeReverse(query) };
      }
      // The only reverse ever sent was refused and the order is not settled: our request itself is wrong.
      if (refused && state.reverse.rounds === 1) return { kind: 'STUCK', step: 'REVERSE', failure: refused };
      if (confirming) {
        if (round >= MAX_REVERSE_ROUNDS) return { kind: 'STUCK', step: 'CONFIRM', failure: this.notConfirmed(query) };
        await this.pauseBeforeNextRound(query, decision, round);
        round += 1;
        // A contradiction ("no such order" for an order WeChat Pay showed) is never acted on: only queried again.
        if (decision === ReconcileDecision.NOT_FOUND_AFTER_FOUND) continue;
      } else {
        round += 1;
      }
      const failure = await reverseStep(this.steps, why);
      refused = failure?.type === ErrorType.REVERSE_REJECTED ? failure : undefined;
      if (failure && !refused) return { kind: 'STUCK', step: 'REVERSE', failure };
    }
  }

  /** The decision of one query: before any reverse, or (once one was sent) whether it is confirmed. */
  private decide(query: QueryResult, confirming: boolean): ReconcileDecision {
    const { spec, state } = this;
    const decision = confirming
      ? // A reverse sent by an earlier run may have been answered 204: "no such order" then proves nothing.
        decideAfterReverse(query, spec.subOrders, state.reverse.existsSince !== undefined || this.reverseSentBefore)
      : decideBeforeReverse(query, spec.subOrders, spec.onPaidAtDeadline);
    state.reverse.decision = decision;
    log.info('reconcile decision', { combineOutTradeNo: spec.combineOutTradeNo, decision });
    return decision;
  }

  /** Waits before the next round of reverse-and-confirm (5 s, then doubling), saying why. */
  private async pauseBeforeNextRound(query: QueryResult, decision: ReconcileDecision, round: number): Promise<void> {
    const seen = summarizeQuery(query, this.spec.subOrders);
    const pause = CONFIRM_BACKOFF_MS * 2 ** Math.max(0, round - 1);
    this.order.enter(
      OrderPhase.REVERSING,
      decision === ReconcileDecision.NOT_FOUND_AFTER_FOUND
        ? `WeChat Pay answers "no such order" (${seen}) for an order it showed on ${this.state.reverse.existsSince ?? '?'}: querying again after ${formatDuration(pause)}.`
        : `The reverse is not confirmed yet (${seen}): reversing again after ${formatDuration(pause)}.`,
    );
    await sleep(pause, { summary: 'pause before the next reverse round' });
  }

  /** Why the order waits for an operator after the bounded rounds (recorded as the reverse's last failure). */
  private notConfirmed(query: QueryResult): FailureInfo {
    const { state } = this;
    const seen = summarizeQuery(query, this.spec.subOrders);
    const failure: FailureInfo = query.found
      ? {
          type: ErrorType.REVERSE_NOT_CONFIRMED,
          message: `after ${state.reverse.rounds} reverse(s) the query still shows ${seen}`,
          at: iso(Date.now()),
        }
      : {
          type: ErrorType.NOT_FOUND_AFTER_FOUND,
          message: `WeChat Pay answers "no such order" (${seen}) for an order it showed on ${state.reverse.existsSince ?? '?'}: a contradiction proves nothing; check the order in the merchant portal`,
          at: iso(Date.now()),
        };
    state.reverse.lastFailure = failure;
    return failure;
  }

  /** A refund started elsewhere before any reverse of ours: an operator settles it (nothing compensated). */
  private refundedBeforeReverse(query: QueryResult): FailureInfo {
    const refunded = refundedSubOrders(query, this.spec.subOrders);
    const failure: FailureInfo = {
      type: ErrorType.REFUNDED_BEFORE_REVERSE,
      message:
        `sub-order(s) ${refunded.join(', ')} show REFUND before any reverse of ours: a refund was started elsewhere ` +
        '(e.g. customer service in the merchant portal), and the query cannot tell a partial refund from a full one; ' +
        'settle the order by hand, then resolve it with a note',
      at: iso(Date.now()),
    };
    this.state.reverse.lastFailure = failure;
    return failure;
  }

  /** A query settled the order: what each compensation will carry, and the status. */
  private confirm(query: QueryResult, afterReverse: boolean): void {
    const { spec, state } = this;
    // A reverse was sent but no answer to it was accepted (refused, or timed out after it took effect): the query is
    // the proof; the order was found closed (or absent).
    const unanswered = query.found ? ReverseOutcome.ALREADY_CLOSED : ReverseOutcome.ORDER_NOT_FOUND;
    const reverseOutcome = afterReverse ? (state.reverse.outcome ?? unanswered) : ReverseOutcome.NOT_NEEDED;
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
}
