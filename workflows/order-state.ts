/**
 * The order's observable state — what the `status` query answers, the Web UI's current details and the
 * `PaymentPhase` search attribute — and the message handlers that change it (markPaid, beginPayment, cancelOrder,
 * retry, resolve). The lifecycle (`order.ts`) reads and drives it. Deterministic code only.
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
import { formatDuration, iso } from './duration';
import {
  beginPaymentUpdate,
  cancelOrderSignal,
  ErrorType,
  markPaidUpdate,
  MetricName,
  OrderPhase,
  PaymentPhaseKey,
  resolveSignal,
  retrySignal,
  statusQuery,
  type AttentionStep,
  type BeginPaymentDetails,
  type FailureInfo,
  type MarkPaidDetails,
  type OrderResult,
  type OrderSpec,
  type OrderStatus,
} from './contract';
import { escapeMarkdown, printableText } from './markdown';
import { orderTerms } from './terms';
import { checkBeginPaymentDetails, checkMarkPaidDetails } from './validation';

/** Most operator actions kept in the status (older ones remain in the history). */
const MAX_STATUS_ENTRIES = 20;
/** Longest note or reason kept from a signal (characters; the rest is cut). */
const MAX_NOTE_LENGTH = 1_000;

/** Counts orders entering each phase (replay-safe: the SDK skips it during replay). */
const phaseEntered = metricMeter.createCounter(MetricName.PHASE_ENTERED, '1', 'orders entering each phase');

/** What an operator asked for in NEEDS_ATTENTION. */
export type OperatorAction = { action: 'retry' } | { action: 'resolve'; note: string };

/** The order's state and its message handlers (installed by the constructor). */
export class OrderState {
  /** What the `status` query answers (**contract**). */
  readonly status: OrderStatus;
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

  /** NEEDS_ATTENTION until an operator signals `retry` or `resolve`. */
  async awaitOperator(step: AttentionStep, failure: FailureInfo, failedCount = 0): Promise<OperatorAction> {
    const detail = `${failure.type}: ${failure.message}`;
    const reason = {
      EARLIER_RUN: `an earlier run of this order's workflow id has closed and nothing may move money twice (${detail})`,
      QUERY: `the query cannot succeed by retrying (${detail})`,
      REVERSE: `the reverse cannot succeed by retrying (${detail})`,
      CONFIRM: `WeChat Pay did not confirm the reverse (${detail})`,
      COMPENSATION: `${failedCount} sub-order compensation(s) failed (${detail})`,
      PAYMENT_CONFIRMATION: `the adopted payment could not be announced downstream (${detail})`,
    }[step];
    this.status.attention = { step, reason, since: iso(Date.now()) };
    this.operatorAction = undefined;
    this.enter(
      OrderPhase.NEEDS_ATTENTION,
      `Waiting for an operator because ${reason}. Signal "retry" to drive it again, or "resolve" with a note once handled by hand.`,
    );
    await condition(() => this.operatorAction !== undefined);
    const action = this.operatorAction;
    this.operatorAction = undefined;
    if (!action) throw ApplicationFailure.create({ type: ErrorType.INVARIANT_VIOLATED, message: 'no operator action' });
    return action;
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
