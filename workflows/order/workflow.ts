/**
 * `combinePapayOrderWorkflow`: one combined withholding order, from "awaiting payment" to paid, or — once the pay
 * window has closed and a signed query says what happened — to reversed at WeChat Pay, confirmed by a second query,
 * and compensated sub-order by sub-order. Deterministic code only.
 *
 * How changes ship: this is lifecycle 1.1 with the sub-orders' `out_trade_no` indexed (Worker Deployment version 1.2.0:
 * a start without `SubOutTradeNos` gets an upsert 1.1.0 did not send), one path, no `patched()`. Orders run to
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
import type { OrderActivities } from '../../activities';
import { formatDuration, iso } from '../duration';
import {
  CompensationReason,
  ErrorType,
  type FailureInfo,
  OrderPhase,
  type OrderResult,
  type OrderSpec,
  type OrderStatus,
  ReconcileDecision,
  ReverseOutcome,
} from '../contract';
import type { QueryResult, ReversingContext } from '../../activities/types';
import { compensatePending, type ConfirmedReversal } from './compensation';
import { OrderState, type ReadonlyDeep, type StepResult } from './state';
import * as say from './sentences';
import { CONFIRM_BACKOFF_MS, MAX_REVERSE_ROUNDS, paymentDeadline } from '../policies';
import {
  confirmedStates,
  decideAfterReverse,
  decideBeforeReverse,
  refundedSubOrders,
  summarizeQuery,
} from './reconcile';
import { formatIssues, validateOrderInput } from '../validation';
import { initialSearchAttributes, memoSetAtStart, notSetAtStart, orderMemo } from '../visibility';
import { adoptPaid } from './adopt';
import { queryStep, reverseStep, type StepContext } from './wechatpay-steps';

/**
 * Asked once when the order enters REVERSING, where money may first move (recorded in the history): the worker's pay
 * window floor and the earlier closed runs of this workflow id. The paid path never asks.
 */
const { reversingContext } = proxyLocalActivities<OrderActivities>({ startToCloseTimeout: '10s' });

/** How driving the reversal ended when it did not get stuck: confirmed (compensate), or adopted as paid. */
type Reconciled = { kind: 'CONFIRMED' } | { kind: 'ADOPT'; query: Extract<QueryResult, { found: true }> };

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
  /** What the order's steps share (see {@link StepContext}). */
  private readonly stepContext: StepContext;
  /**
   * A reverse was sent by the run this one restarts (or one before it): the order is confirming from its first query,
   * never adopted and never "nothing to reverse".
   */
  private reverseSentBefore = false;

  constructor(private readonly spec: OrderSpec) {
    this.deadline = paymentDeadline(spec);
    this.order = new OrderState(spec, this.deadline);
    this.stepContext = { spec, order: this.order, nonces: [] };
  }

  /** A Temporal cancellation request arrived (see {@link OrderState.cancellationRequested}). */
  cancellationRequested(): void {
    this.order.cancellationRequested();
  }

  /** The status, read-only: the lifecycle changes it through the verbs of {@link OrderState}. */
  private get state(): ReadonlyDeep<OrderStatus> {
    return this.order.view;
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
      const resolved = await this.order.operatorDecides('EARLIER_RUN', earlier);
      if (resolved) return resolved;
    }
    await this.waitForPayWindow(why, stoppedAt, context.payWindowFloorMs);
    return this.order.withOperator(
      () => this.reconcileAndReverse(why),
      (reconciled) =>
        reconciled.kind === 'ADOPT' ? adoptPaid(this.stepContext, reconciled.query) : this.compensateUntilDone(reason),
    );
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
    this.order.enter(OrderPhase.AWAITING_PAYMENT, say.waitingForPayment(state.deadline));
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
    const { spec } = this;
    const { earlierRuns } = context;
    this.reverseSentBefore = context.reverseSentByEarlierRun || spec.restart?.reverseSent === true;
    this.order.earlierRunsFound(spec.restart, earlierRuns);
    if (earlierRuns.length === 0) return undefined;
    const [newest] = earlierRuns;
    const followsNewest = spec.restart !== undefined && newest?.runId === spec.restart.previousRunId;
    const completed = earlierRuns.filter((r) => r.status === 'COMPLETED');
    if (followsNewest && completed.length === 0) return undefined;
    const runs = earlierRuns.map((r) => `${r.runId} ${r.status}${r.closedAt ? ` at ${r.closedAt}` : ''}`).join(', ');
    const failure: FailureInfo = {
      type: ErrorType.EARLIER_RUN_ENDED,
      message: say.earlierRunsMessage(runs, completed.length > 0),
      at: iso(Date.now()),
    };
    this.order.blocked(failure);
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
    this.order.payWindowFixed(notBefore, windowStart, floorMs);
    if (Date.now() >= notBefore) return;
    this.order.waitingForPayWindow(why, notBefore, windowStart);
    await sleep(notBefore - Date.now(), { summary: `pay window until ${iso(notBefore)}` });
  }

  /**
   * Step 3: query; decide; reverse; query again until WeChat Pay confirms the order closed, reversed or refunded.
   * Once a reverse was sent (whatever its answer) the order is confirming for life: an operator's retry resumes with
   * a query and reverses again only if the query still shows something to reverse. Bounded rounds, then an operator.
   */
  private async reconcileAndReverse(why: string): Promise<StepResult<Reconciled>> {
    const { state } = this;
    /** The last reverse was refused (REVERSE_REJECTED): the next query tells whether the order is settled anyway. */
    let refused: FailureInfo | undefined;
    for (let round = 0; ;) {
      const confirming = state.reverse.rounds > 0 || this.reverseSentBefore;
      const queried = await queryStep(this.stepContext, confirming ? 'CONFIRM' : 'RECONCILE');
      if (!queried.ok) return { ok: false, step: 'QUERY', failure: queried.failure };
      const { query } = queried;
      const decision = this.decide(query, confirming);
      if (decision === ReconcileDecision.ADOPT && query.found) return { ok: true, value: { kind: 'ADOPT', query } };
      if (decision === ReconcileDecision.CONFIRMED || decision === ReconcileDecision.NOTHING_TO_REVERSE) {
        this.confirm(query, confirming);
        return { ok: true, value: { kind: 'CONFIRMED' } };
      }
      if (decision === ReconcileDecision.REFUNDED_BEFORE_REVERSE) {
        return { ok: false, step: 'QUERY', failure: this.refundedBeforeReverse(query) };
      }
      // The only reverse ever sent was refused and the order is not settled: our request itself is wrong.
      if (refused && state.reverse.rounds === 1) return { ok: false, step: 'REVERSE', failure: refused };
      if (confirming) {
        if (round >= MAX_REVERSE_ROUNDS) return { ok: false, step: 'CONFIRM', failure: this.notConfirmed(query) };
        await this.pauseBeforeNextRound(query, decision, round);
        round += 1;
        // A contradiction ("no such order" for an order WeChat Pay showed) is never acted on: only queried again.
        if (decision === ReconcileDecision.NOT_FOUND_AFTER_FOUND) continue;
      } else {
        round += 1;
      }
      const reversed = await reverseStep(this.stepContext, why);
      if (!reversed.ok && !reversed.refused) return { ok: false, step: 'REVERSE', failure: reversed.failure };
      refused = reversed.ok ? undefined : reversed.failure;
    }
  }

  /** The decision of one query: before any reverse, or (once one was sent) whether it is confirmed. */
  private decide(query: QueryResult, confirming: boolean): ReconcileDecision {
    const { spec, state } = this;
    const decision = confirming
      ? // A reverse sent by an earlier run may have been answered 204: "no such order" then proves nothing.
        decideAfterReverse(query, spec.subOrders, state.reverse.existsSince !== undefined || this.reverseSentBefore)
      : decideBeforeReverse(query, spec.subOrders, spec.onPaidAtDeadline);
    this.order.decided(decision);
    log.info('reconcile decision', { combineOutTradeNo: spec.combineOutTradeNo, decision });
    return decision;
  }

  /** Waits before the next round of reverse-and-confirm (5 s, then doubling), saying why. */
  private async pauseBeforeNextRound(query: QueryResult, decision: ReconcileDecision, round: number): Promise<void> {
    const seen = summarizeQuery(query, this.spec.subOrders);
    const pause = CONFIRM_BACKOFF_MS * 2 ** Math.max(0, round - 1);
    const notFound = decision === ReconcileDecision.NOT_FOUND_AFTER_FOUND;
    const sentence = say.pausingBeforeNextRound(seen, this.state.reverse.existsSince, notFound, formatDuration(pause));
    this.order.enter(OrderPhase.REVERSING, sentence);
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
          message: say.notFoundAfterFoundMessage(seen, state.reverse.existsSince),
          at: iso(Date.now()),
        };
    this.order.blocked(failure);
    return failure;
  }

  /** A refund started elsewhere before any reverse of ours: an operator settles it (nothing compensated). */
  private refundedBeforeReverse(query: QueryResult): FailureInfo {
    const refunded = refundedSubOrders(query, this.spec.subOrders);
    const failure: FailureInfo = {
      type: ErrorType.REFUNDED_BEFORE_REVERSE,
      message: say.refundedBeforeReverseMessage(refunded),
      at: iso(Date.now()),
    };
    this.order.blocked(failure);
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
    this.order.confirmed(afterReverse, reverseOutcome);
  }

  /** Step 4: compensate every sub-order (in parallel); failed ones wait for an operator, then only they run again. */
  private compensateUntilDone(reason: CompensationReason): Promise<OrderResult> {
    return this.order.withOperator(
      () => this.compensate(reason),
      () => {
        this.order.enter(OrderPhase.REVERSED, 'Nothing: the order was reversed and every sub-order compensated.');
        return this.order.finish(OrderPhase.REVERSED);
      },
    );
  }

  /** One round: the sub-orders not yet compensated, in parallel. */
  private async compensate(reason: CompensationReason): Promise<StepResult<undefined>> {
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
      say.compensating(pending.length, state.subOrders.length, confirmed.reverseOutcome),
    );
    const round = await compensatePending(spec, this.order, pending, confirmed, reason);
    return round.ok
      ? { ok: true, value: undefined }
      : { ok: false, step: 'COMPENSATION', failure: round.failure, failedCount: round.failedCount };
  }
}
