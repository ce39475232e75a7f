/**
 * The order's observable state — what the `status` query answers, the Web UI's current details and the
 * `PaymentPhase` search attribute — its one writer: the verbs the lifecycle and its steps call as things happen
 * (`querying`, `queried`, `reverseSent`, `reverseAccepted`, `confirmed`, `compensated`, …), the operator loop
 * (`withOperator`), and the message handlers (markPaid, beginPayment, cancelOrder, retry, resolve). The lifecycle
 * (`workflow.ts`) reads it through `view`. Deterministic code only.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  log,
  metricMeter,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { formatDuration, iso } from '../duration';
import {
  type AttentionStep,
  type BeginPaymentDetails,
  beginPaymentUpdate,
  cancelOrderSignal,
  type ConfirmedTradeState,
  type EarlierRun,
  ErrorType,
  type FailureInfo,
  type MarkPaidDetails,
  markPaidUpdate,
  MetricName,
  OrderPhase,
  type OrderResult,
  type OrderSpec,
  type OrderStatus,
  PaymentPhaseKey,
  type QueryPurpose,
  type ReconcileDecision,
  resolveSignal,
  type RestartOf,
  retrySignal,
  type ReverseOutcome,
  type ReverseStatus,
  statusQuery,
  type SubOrderStatus,
} from '../contract';
import type { CompensationResult, PaymentConfirmationResult, QueryResult, ReverseResult } from '../../activities/types';
import { escapeMarkdown, printableText } from '../markdown';
import * as say from './sentences';
import { orderTerms } from '../terms';
import { checkBeginPaymentDetails, checkMarkPaidDetails } from '../validation';

/** Most operator actions kept in the status (older ones remain in the history). */
const MAX_STATUS_ENTRIES = 20;
/** Longest note or reason kept from a signal (characters; the rest is cut). */
const MAX_NOTE_LENGTH = 1_000;

/** Counts orders entering each phase (replay-safe: the SDK skips it during replay). */
const phaseEntered = metricMeter.createCounter(MetricName.PHASE_ENTERED, '1', 'orders entering each phase');

/** Most queries kept in the status (older ones remain in the history). */
const MAX_QUERIES_SHOWN = 10;

/** What an operator asked for in NEEDS_ATTENTION. */
type OperatorAction = { action: 'retry' } | { action: 'resolve'; note: string };

/**
 * What a step that may need an operator answers: its value, or the step it is stuck at and why (`failedCount`: how
 * many sub-orders failed, for the compensation).
 */
export type StepResult<T> =
  { ok: true; value: T } | { ok: false; step: AttentionStep; failure: FailureInfo; failedCount?: number };

/** A value that cannot be written through (the status, as everything but {@link OrderState} sees it). */
export type ReadonlyDeep<T> = T extends (infer U)[]
  ? readonly ReadonlyDeep<U>[]
  : T extends object
    ? { readonly [K in keyof T]: ReadonlyDeep<T[K]> }
    : T;

/**
 * The order's state and its message handlers (installed by the constructor): the one writer of its status. The
 * lifecycle and its steps read it through {@link OrderState.view} and change it with the verbs below, each named
 * for what happened.
 */
export class OrderState {
  /** What the `status` query answers (**contract**). */
  private readonly status: OrderStatus;
  private operatorAction: OperatorAction | undefined;
  /** The `PaymentPhase` visibility holds, once known: a phase is upserted only when it differs. */
  private indexedPhase: OrderPhase | undefined;

  constructor(
    private readonly spec: OrderSpec,
    deadline: number,
  ) {
    this.status = {
      combineOutTradeNo: spec.combineOutTradeNo,
      phase: OrderPhase.AWAITING_PAYMENT,
      deadline: iso(deadline),
      orderCreatedAt: iso(spec.orderCreatedAt),
      payWindow: formatDuration(spec.payWindowMs),
      waitingFor: '',
      reverse: { state: 'NOT_STARTED', rounds: 0 },
      subOrders: spec.subOrders.map((s) => ({
        outTradeNo: s.outTradeNo,
        mchid: s.mchid,
        subMchid: s.subMchid,
        compensation: 'NOT_STARTED',
      })),
      operatorActions: [],
    };
    this.installHandlers();
  }

  /** The status, read-only. */
  get view(): ReadonlyDeep<OrderStatus> {
    return this.status;
  }

  /**
   * Enters a phase (search attribute upserted only when it changes) and says what the order waits for. The Web UI
   * renders the current details as Markdown: the sentence is escaped there (it may carry notes, reasons and a
   * peer's error text), so it reads as written and nothing in it becomes a link.
   */
  enter(phase: OrderPhase, waitingFor: string): void {
    const entered = this.status.phase !== phase || this.status.waitingFor === '';
    this.status.phase = phase;
    this.status.waitingFor = waitingFor;
    setCurrentDetails(`**${phase}** — ${escapeMarkdown(waitingFor)}`);
    if (entered) phaseEntered.add(1, { phase });
    if (phase !== this.indexedPhase) {
      upsertSearchAttributes([{ key: PaymentPhaseKey, value: phase }]);
      this.indexedPhase = phase;
    }
  }

  /** Visibility already holds this phase (set at start, or upserted with the order's other attributes). */
  phaseIndexed(phase: OrderPhase): void {
    this.indexedPhase = phase;
  }

  /**
   * Runs `attempt` until it succeeds, then `then` with its value. Each failure waits for an operator: `retry` runs
   * the attempt again, `resolve` ends the order as handled by hand.
   */
  async withOperator<T>(
    attempt: () => Promise<StepResult<T>>,
    then: (value: T) => Promise<OrderResult>,
  ): Promise<OrderResult> {
    for (;;) {
      const result = await attempt();
      if (result.ok) return then(result.value);
      const resolved = await this.operatorDecides(result.step, result.failure, result.failedCount);
      if (resolved) return resolved;
    }
  }

  /** NEEDS_ATTENTION until an operator decides: undefined on `retry`, the order's result once resolved by hand. */
  async operatorDecides(step: AttentionStep, failure: FailureInfo, failedCount = 0): Promise<OrderResult | undefined> {
    const action = await this.awaitOperator(step, failure, failedCount);
    return action.action === 'resolve' ? this.resolveManually(action.note) : undefined;
  }

  /** NEEDS_ATTENTION until an operator signals `retry` or `resolve`. */
  private async awaitOperator(step: AttentionStep, failure: FailureInfo, failedCount: number): Promise<OperatorAction> {
    const reason = say.attentionReason(step, failure, failedCount);
    this.status.attention = { step, reason, since: iso(Date.now()) };
    this.operatorAction = undefined;
    this.enter(OrderPhase.NEEDS_ATTENTION, say.waitingForOperator(reason));
    await condition(() => this.operatorAction !== undefined);
    const action = this.operatorAction;
    this.operatorAction = undefined;
    if (!action) throw ApplicationFailure.create({ type: ErrorType.INVARIANT_VIOLATED, message: 'no operator action' });
    return action;
  }

  // The reversal, as it goes: every write to `status.reverse` is one of these.

  /** The order's earlier closed runs (if any) and the run it restarts, as found when it entered REVERSING. */
  earlierRunsFound(restart: RestartOf | undefined, earlierRuns: EarlierRun[]): void {
    if (restart) this.status.restartOf = restart;
    if (earlierRuns.length > 0) this.status.earlierRuns = earlierRuns;
  }

  /** The pay window in force: when it started, the worker's floor, and the earliest first query. */
  payWindowFixed(notBefore: number, windowStart: NonNullable<ReverseStatus['windowStart']>, floorMs: number): void {
    Object.assign(this.status.reverse, {
      notBefore: iso(notBefore),
      windowStart,
      payWindowFloor: formatDuration(floorMs),
    });
  }

  /** Nothing reaches WeChat Pay until `notBefore`. */
  waitingForPayWindow(why: string, notBefore: number, windowStart: NonNullable<ReverseStatus['windowStart']>): void {
    this.status.reverse.state = 'WAITING_FOR_PAY_WINDOW';
    this.enter(OrderPhase.REVERSING, say.waitingForPayWindow(why, iso(notBefore), windowStart));
  }

  /** A query is on its way (to decide, or to confirm a reverse). */
  querying(purpose: QueryPurpose): void {
    this.status.reverse.state = purpose === 'CONFIRM' ? 'CONFIRMING' : 'QUERYING';
    this.enter(OrderPhase.REVERSING, say.querying(purpose));
  }

  /** A query was answered with a signed fact (`seen`: its one-line summary). */
  queried(purpose: QueryPurpose, query: QueryResult, seen: string): void {
    const { reverse } = this.status;
    if (query.found) this.existsAtWechatpay();
    const queries = (reverse.queries ??= []);
    queries.push({
      at: iso(Date.now()),
      purpose,
      host: query.host,
      seen,
      ...(query.answerNonce ? { answerNonce: query.answerNonce } : {}),
    });
    if (queries.length > MAX_QUERIES_SHOWN) queries.shift();
    if (purpose === 'CONFIRM') reverse.state = 'ACCEPTED';
  }

  /** A query failed for good (a confirming query leaves the accepted reverse as it was). */
  queryFailed(purpose: QueryPurpose, failure: FailureInfo): void {
    this.status.reverse.state = purpose === 'CONFIRM' ? 'ACCEPTED' : 'FAILED';
    this.status.reverse.lastFailure = failure;
  }

  /** What the lifecycle decided from a query. */
  decided(decision: ReconcileDecision): void {
    this.status.reverse.decision = decision;
  }

  /** A reverse is on its way (one more round). */
  reverseSent(why: string): void {
    this.status.reverse.state = 'IN_PROGRESS';
    this.status.reverse.rounds += 1;
    this.enter(OrderPhase.REVERSING, say.reversing(why));
  }

  /** WeChat Pay accepted a reverse: its answer replaces the last round's (a 204 carries no code). */
  reverseAccepted(result: ReverseResult, exists: boolean): void {
    const { reverse } = this.status;
    if (exists) this.existsAtWechatpay();
    delete reverse.code;
    delete reverse.answerNonce;
    Object.assign(reverse, {
      state: 'ACCEPTED',
      outcome: result.outcome,
      httpStatus: result.httpStatus,
      verified: result.verified,
      acceptedAt: iso(Date.now()),
      ...(result.code ? { code: result.code } : {}),
      host: result.host,
      ...(result.answerNonce ? { answerNonce: result.answerNonce } : {}),
    });
  }

  /** A reverse failed for good. */
  reverseFailed(failure: FailureInfo): void {
    this.status.reverse.state = 'FAILED';
    this.status.reverse.lastFailure = failure;
  }

  /** The lifecycle cannot go on without an operator: why, recorded as the reverse's last failure. */
  blocked(failure: FailureInfo): void {
    this.status.reverse.lastFailure = failure;
  }

  /** A query settled the order: confirmed after a reverse, or nothing to reverse. */
  confirmed(afterReverse: boolean, reverseOutcome: ReverseOutcome): void {
    const { reverse } = this.status;
    reverse.state = afterReverse ? 'CONFIRMED' : 'NOT_NEEDED';
    reverse.outcome = reverseOutcome;
    reverse.confirmedAt = iso(Date.now());
  }

  /** WeChat Pay showed the order exists: from then on "no such order" confirms nothing. */
  private existsAtWechatpay(): void {
    this.status.reverse.existsSince ??= iso(Date.now());
  }

  // The sub-orders' compensation and the adopted payment.

  /** A sub-order's compensation is on its way, carrying the state WeChat Pay confirmed. */
  compensating(outTradeNo: string, tradeState: ConfirmedTradeState): void {
    const sub = this.subOrder(outTradeNo);
    sub.compensation = 'IN_PROGRESS';
    sub.tradeState = tradeState;
    delete sub.lastFailure;
  }

  /** A sub-order was compensated downstream. */
  compensated(outTradeNo: string, result: CompensationResult): void {
    Object.assign(this.subOrder(outTradeNo), {
      compensation: 'DONE',
      httpStatus: result.httpStatus,
      alreadyCompensated: result.alreadyCompensated,
      completedAt: iso(Date.now()),
    });
  }

  /** A sub-order's compensation failed for good. */
  compensationFailed(outTradeNo: string, failure: FailureInfo): void {
    const sub = this.subOrder(outTradeNo);
    sub.compensation = 'FAILED';
    sub.lastFailure = failure;
  }

  /** WeChat Pay showed the order paid and the merchant adopts it (`transactionIds` by sub-order). */
  adopted(transactionIds: Record<string, string>): void {
    this.status.paid = { at: iso(Date.now()), source: 'WECHATPAY_QUERY', transactionIds };
  }

  /** The adopted payment was announced downstream. */
  paymentAnnounced(result: PaymentConfirmationResult): void {
    const { paid } = this.status;
    if (paid)
      paid.confirmation = {
        httpStatus: result.httpStatus,
        alreadyConfirmed: result.alreadyConfirmed,
        at: iso(Date.now()),
      };
  }

  private subOrder(outTradeNo: string): SubOrderStatus {
    const sub = this.status.subOrders.find((s) => s.outTradeNo === outTradeNo);
    if (!sub)
      throw ApplicationFailure.create({ type: ErrorType.INVARIANT_VIOLATED, message: `no sub-order ${outTradeNo}` });
    return sub;
  }

  /** Ends the order as handled by hand. */
  resolveManually(note: string): Promise<OrderResult> {
    this.status.resolution = { note, at: iso(Date.now()) };
    for (const sub of this.status.subOrders) {
      if (sub.compensation !== 'DONE') sub.compensation = 'RESOLVED_MANUALLY';
    }
    this.enter(OrderPhase.RESOLVED_MANUALLY, `Nothing: an operator resolved the order by hand (${note}).`);
    return this.finish(OrderPhase.RESOLVED_MANUALLY);
  }

  /** The workflow's result (**contract**), once every handler has finished. */
  async finish(outcome: OrderResult['outcome']): Promise<OrderResult> {
    await condition(allHandlersFinished);
    const state = this.status;
    return {
      outcome,
      combineOutTradeNo: state.combineOutTradeNo,
      ...(state.paid ? { paid: state.paid } : {}),
      ...(outcome !== OrderPhase.PAID || state.paid?.source === 'WECHATPAY_QUERY' ? { reverse: state.reverse } : {}),
      subOrders: state.subOrders,
      ...(state.resolution ? { resolution: state.resolution } : {}),
    };
  }

  private installHandlers(): void {
    const { spec } = this;
    const state = this.status;
    setHandler(statusQuery, () => state);
    setHandler(
      markPaidUpdate,
      (details?: MarkPaidDetails) => {
        if (state.phase !== OrderPhase.PAID) {
          state.paid = { at: iso(Date.now()), source: 'MARK_PAID', ...(details ? { details } : {}) };
          log.info('order confirmed paid', { combineOutTradeNo: state.combineOutTradeNo });
        }
        return { phase: OrderPhase.PAID, paidAt: state.paid?.at ?? iso(Date.now()) };
      },
      {
        validator: (details?: MarkPaidDetails) => {
          if (state.phase === OrderPhase.PAID) return;
          if (state.phase !== OrderPhase.AWAITING_PAYMENT || state.cancelled) {
            throw new Error(
              `markPaid refused: the order is ${this.refusalState()}; the reversal has begun, so any money taken comes back through the reverse`,
            );
          }
          checkMarkPaidDetails(details);
        },
      },
    );
    setHandler(
      beginPaymentUpdate,
      () => {
        const now = Date.now();
        const count = (state.payments?.count ?? 0) + 1;
        state.payments = { count, lastAt: iso(now) };
        return { reverseNotBefore: iso(now + spec.payWindowMs), payments: count, order: orderTerms(spec) };
      },
      {
        validator: (details?: BeginPaymentDetails) => {
          if (state.phase !== OrderPhase.AWAITING_PAYMENT || state.cancelled || state.paid) {
            throw new Error(
              `beginPayment refused: the order is ${state.paid ? 'already paid' : this.refusalState()}; do not send the pay call`,
            );
          }
          checkBeginPaymentDetails(details);
        },
      },
    );
    setHandler(cancelOrderSignal, (reason?: string) => {
      const accepted = state.phase === OrderPhase.AWAITING_PAYMENT && !state.paid && !state.cancelled;
      // Printable and bounded: the reason is shown in the status and the Web UI.
      const note = typeof reason === 'string' ? printableText(reason, MAX_NOTE_LENGTH) || undefined : undefined;
      this.recordAction('cancelOrder', accepted, note);
      if (accepted) state.cancelled = { at: iso(Date.now()), ...(note ? { reason: note } : {}) };
    });
    setHandler(retrySignal, () => {
      const accepted = state.phase === OrderPhase.NEEDS_ATTENTION && !this.operatorAction;
      this.recordAction('retry', accepted);
      if (accepted) this.operatorAction = { action: 'retry' };
    });
    setHandler(resolveSignal, (arg: string | { note: string }) => {
      const raw: unknown = typeof arg === 'object' && arg !== null ? (arg as { note?: unknown }).note : arg;
      // Printable and bounded: the note ends the order and is shown in the status, the result and the Web UI.
      const note = typeof raw === 'string' ? printableText(raw, MAX_NOTE_LENGTH) : '';
      const accepted = state.phase === OrderPhase.NEEDS_ATTENTION && !this.operatorAction && note.length > 0;
      this.recordAction('resolve', accepted, note || undefined);
      if (accepted) this.operatorAction = { action: 'resolve', note };
    });
  }

  private refusalState(): string {
    return this.status.cancelled && this.status.phase === OrderPhase.AWAITING_PAYMENT ? 'cancelled' : this.status.phase;
  }

  /**
   * A Temporal cancellation request never strands an order: while awaiting payment it acts like cancelOrder
   * (reconcile, reverse, compensate); once the reversal has begun the order finishes it; in NEEDS_ATTENTION an
   * operator must `resolve` instead. It is recorded in every case.
   */
  cancellationRequested(): void {
    const state = this.status;
    const awaiting = state.phase === OrderPhase.AWAITING_PAYMENT && !state.paid && !state.cancelled;
    const note = awaiting
      ? 'treated as cancelOrder: the order is reconciled and reversed'
      : state.phase === OrderPhase.NEEDS_ATTENTION
        ? 'refused: an order waiting for an operator ends with "resolve" (a note saying what was done by hand)'
        : `recorded: the order is ${state.phase}; it finishes what it is doing`;
    this.recordAction('cancelRequest', awaiting, note);
    if (awaiting) state.cancelled = { at: iso(Date.now()), reason: 'Temporal cancellation request' };
  }

  private recordAction(
    action: OrderStatus['operatorActions'][number]['action'],
    accepted: boolean,
    note?: string,
  ): void {
    this.status.operatorActions.push({ action, at: iso(Date.now()), accepted, ...(note ? { note } : {}) });
    if (this.status.operatorActions.length > MAX_STATUS_ENTRIES) this.status.operatorActions.shift();
    const context = { combineOutTradeNo: this.status.combineOutTradeNo, phase: this.status.phase };
    if (accepted) log.info(`operator ${action} accepted`, context);
    else log.warn(`operator ${action} ignored in this phase or with this input`, context);
  }
}
