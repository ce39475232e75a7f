/**
 * `combinePapayOrderWorkflow`: one combined withholding order, from "awaiting payment" to paid, or to reversed at
 * WeChat Pay and compensated sub-order by sub-order. Deterministic code only.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  TimeoutFailure,
  allHandlersFinished,
  condition,
  log,
  metricMeter,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { OrderActivities } from '../activities';
import { formatDuration } from './duration';
import { ErrorType } from './errors';
import { cancelOrderSignal, markPaidUpdate, resolveSignal, retrySignal, statusQuery } from './messages';
import { ACTIVITY_START_TO_CLOSE_MS, REVERSE_FLOOR_MS } from './policies';
import { CombineOutTradeNoKey, PaymentDeadlineKey, PaymentPhaseKey, SubMchIdsKey } from './search-attributes';
import {
  CompensationReason,
  OrderPhase,
  type FailureInfo,
  type MarkPaidDetails,
  type OrderResult,
  type OrderSpec,
  type OrderStatus,
  type ResolvedRetry,
  type SubOrderStatus,
} from './types';
import { formatIssues, validateOrderInput } from './validation';

const { reverseCombineOrder, compensateSubOrder } = proxyActivities<OrderActivities>({
  startToCloseTimeout: ACTIVITY_START_TO_CLOSE_MS,
});

/** Most operator actions kept in the status (older ones remain in the history). */
const MAX_OPERATOR_ACTIONS = 20;
/** Counts orders entering each phase (replay-safe: the SDK skips it during replay). */
const phaseEntered = metricMeter.createCounter('combine_papay_phase_entered', '1', 'orders entering each phase');
const MAX_NOTE_LENGTH = 1_000;

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
  const spec = checked.spec;
  const order = new OrderLifecycle(spec);
  return order.run();
}

class OrderLifecycle {
  private readonly state: OrderStatus;
  private readonly deadline: number;
  private operatorAction: { action: 'retry' } | { action: 'resolve'; note: string } | undefined;

  constructor(private readonly spec: OrderSpec) {
    this.deadline = spec.orderCreatedAt + Math.max(spec.paymentTimeoutMs, REVERSE_FLOOR_MS);
    this.state = {
      combineOutTradeNo: spec.combineOutTradeNo,
      phase: OrderPhase.AWAITING_PAYMENT,
      deadline: iso(this.deadline),
      orderCreatedAt: iso(spec.orderCreatedAt),
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

  private installHandlers(): void {
    const state = this.state;
    setHandler(statusQuery, () => state);
    setHandler(
      markPaidUpdate,
      (details?: MarkPaidDetails) => {
        if (state.phase !== OrderPhase.PAID) {
          state.paid = { at: iso(Date.now()), ...(details ? { details } : {}) };
          log.info('order confirmed paid', { combineOutTradeNo: state.combineOutTradeNo });
        }
        return { phase: OrderPhase.PAID, paidAt: state.paid?.at ?? iso(Date.now()) };
      },
      {
        validator: (details?: MarkPaidDetails) => {
          if (state.phase === OrderPhase.PAID) return;
          if (state.phase !== OrderPhase.AWAITING_PAYMENT || state.cancelled) {
            throw new Error(
              `markPaid refused: the order is ${state.cancelled && state.phase === OrderPhase.AWAITING_PAYMENT ? 'cancelled' : state.phase}; the reversal has begun, so any money taken comes back through the reverse`,
            );
          }
          checkMarkPaidDetails(details);
        },
      },
    );
    setHandler(cancelOrderSignal, (reason?: string) => {
      const accepted = state.phase === OrderPhase.AWAITING_PAYMENT && !state.paid && !state.cancelled;
      const note = typeof reason === 'string' ? reason.slice(0, MAX_NOTE_LENGTH) : undefined;
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
      const note = typeof raw === 'string' ? raw.trim().slice(0, MAX_NOTE_LENGTH) : '';
      const accepted = state.phase === OrderPhase.NEEDS_ATTENTION && !this.operatorAction && note.length > 0;
      this.recordAction('resolve', accepted, note || undefined);
      if (accepted) this.operatorAction = { action: 'resolve', note };
    });
  }

  private recordAction(
    action: OrderStatus['operatorActions'][number]['action'],
    accepted: boolean,
    note?: string,
  ): void {
    this.state.operatorActions.push({ action, at: iso(Date.now()), accepted, ...(note ? { note } : {}) });
    if (this.state.operatorActions.length > MAX_OPERATOR_ACTIONS) this.state.operatorActions.shift();
    const context = { combineOutTradeNo: this.state.combineOutTradeNo, phase: this.state.phase };
    if (accepted) log.info(`operator ${action} accepted`, context);
    else log.warn(`operator ${action} ignored in this phase or with this input`, context);
  }

  async run(): Promise<OrderResult> {
    const { spec, state } = this;
    upsertSearchAttributes([
      { key: CombineOutTradeNoKey, value: spec.combineOutTradeNo },
      { key: PaymentDeadlineKey, value: new Date(this.deadline) },
      { key: SubMchIdsKey, value: [...new Set(spec.subOrders.map((s) => s.subMchid))] },
    ]);
    upsertMemo({
      order: {
        combineOutTradeNo: spec.combineOutTradeNo,
        combineAppid: spec.combineAppid,
        subOrders: spec.subOrders.length,
        paymentTimeout: formatDuration(spec.paymentTimeoutMs),
        orderCreatedAt: state.orderCreatedAt,
        deadline: state.deadline,
      },
    });
    this.enter(
      OrderPhase.AWAITING_PAYMENT,
      `Waiting for markPaid until the payment deadline ${state.deadline}; without it the order is reversed at WeChat Pay.`,
    );
    const remaining = this.deadline - Date.now();
    if (remaining > 0) {
      await condition(() => state.paid !== undefined || state.cancelled !== undefined, remaining, {
        summary: `payment deadline ${state.deadline}`,
      });
    }
    // The flag decides, not the timer: a markPaid accepted in the same activation as the deadline wins.
    if (state.paid) {
      this.enter(OrderPhase.PAID, 'Nothing: the order was confirmed paid.');
      return this.finish(OrderPhase.PAID);
    }

    const reason = state.cancelled ? CompensationReason.CANCELLED : CompensationReason.PAYMENT_TIMEOUT;
    const why = reason === CompensationReason.CANCELLED ? 'the order was cancelled' : 'the payment deadline passed';
    const floor = spec.orderCreatedAt + REVERSE_FLOOR_MS;
    state.reverse.notBefore = iso(floor);
    if (Date.now() < floor) {
      state.reverse.state = 'WAITING_FOR_FLOOR';
      this.enter(
        OrderPhase.REVERSING,
        `Waiting until ${iso(floor)} before reversing (${why}): the pay call may still be running.`,
      );
      await sleep(floor - Date.now(), { summary: `reverse safety floor ${iso(floor)}` });
    }

    for (;;) {
      if (state.reverse.state !== 'ACCEPTED') {
        const accepted = await this.reverse(why);
        if (!accepted) {
          const action = await this.awaitOperator('REVERSE', state.reverse.lastFailure);
          if (action.action === 'resolve') return this.resolveManually(action.note);
          continue;
        }
      }
      await this.compensate(reason);
      const failed = state.subOrders.filter((s) => s.compensation !== 'DONE');
      if (failed.length === 0) {
        this.enter(OrderPhase.REVERSED, 'Nothing: the order was reversed and every sub-order compensated.');
        return this.finish(OrderPhase.REVERSED);
      }
      const action = await this.awaitOperator('COMPENSATION', failed[0]?.lastFailure, failed.length);
      if (action.action === 'resolve') return this.resolveManually(action.note);
    }
  }

  private async reverse(why: string): Promise<boolean> {
    const { spec, state } = this;
    state.reverse.state = 'IN_PROGRESS';
    state.reverse.rounds += 1;
    this.enter(
      OrderPhase.REVERSING,
      `Reversing at WeChat Pay because ${why}: a signed POST, retried until an accepted answer.`,
    );
    try {
      const result = await reverseCombineOrder.executeWithOptions(
        {
          summary: `reverse ${spec.combineOutTradeNo}`,
          ...retryOptions(spec.reverseRetry, [ErrorType.REVERSE_REJECTED]),
        },
        [{ combineOutTradeNo: spec.combineOutTradeNo, combineAppid: spec.combineAppid, subOrders: spec.subOrders }],
      );
      Object.assign(state.reverse, {
        state: 'ACCEPTED',
        outcome: result.outcome,
        httpStatus: result.httpStatus,
        verified: result.verified,
        acceptedAt: iso(Date.now()),
        ...(result.code ? { code: result.code } : {}),
      });
      log.info('reverse accepted', { combineOutTradeNo: spec.combineOutTradeNo, outcome: result.outcome });
      return true;
    } catch (err) {
      state.reverse.state = 'FAILED';
      state.reverse.lastFailure = describeFailure(err);
      log.error('reverse failed for good', {
        combineOutTradeNo: spec.combineOutTradeNo,
        failureType: state.reverse.lastFailure.type,
      });
      return false;
    }
  }

  private async compensate(reason: CompensationReason): Promise<void> {
    const { spec, state } = this;
    const outcome = state.reverse.outcome;
    if (state.reverse.state !== 'ACCEPTED' || !outcome) {
      // Unreachable by construction; guarded because compensation without an accepted reverse releases stock wrongly.
      throw ApplicationFailure.create({
        type: 'INVARIANT_VIOLATED',
        message: 'compensation without an accepted reverse',
      });
    }
    const pending = state.subOrders.filter((s) => s.compensation !== 'DONE');
    this.enter(
      OrderPhase.COMPENSATING,
      `Compensating ${pending.length} of ${state.subOrders.length} sub-orders downstream (reverse ${outcome}).`,
    );
    await Promise.all(
      pending.map(async (sub: SubOrderStatus) => {
        sub.compensation = 'IN_PROGRESS';
        delete sub.lastFailure;
        try {
          const result = await compensateSubOrder.executeWithOptions(
            {
              summary: `compensate sub-order ${sub.outTradeNo}`,
              ...retryOptions(spec.compensationRetry, [ErrorType.COMPENSATION_REJECTED]),
            },
            [
              {
                combineOutTradeNo: spec.combineOutTradeNo,
                outTradeNo: sub.outTradeNo,
                mchid: sub.mchid,
                subMchid: sub.subMchid,
                reason,
                reverseOutcome: outcome,
              },
            ],
          );
          sub.compensation = 'DONE';
          sub.httpStatus = result.httpStatus;
          sub.alreadyCompensated = result.alreadyCompensated;
          sub.completedAt = iso(Date.now());
        } catch (err) {
          sub.compensation = 'FAILED';
          sub.lastFailure = describeFailure(err);
          log.error('compensation failed for good', {
            combineOutTradeNo: spec.combineOutTradeNo,
            outTradeNo: sub.outTradeNo,
            failureType: sub.lastFailure.type,
          });
        }
      }),
    );
  }

  private async awaitOperator(
    step: 'REVERSE' | 'COMPENSATION',
    failure: FailureInfo | undefined,
    failedCount = 0,
  ): Promise<NonNullable<OrderLifecycle['operatorAction']>> {
    const reason =
      step === 'REVERSE'
        ? `the reverse cannot succeed by retrying (${failure?.type ?? 'unknown'}: ${failure?.message ?? 'no detail'})`
        : `${failedCount} sub-order compensation(s) failed (${failure?.type ?? 'unknown'}: ${failure?.message ?? 'no detail'})`;
    this.state.attention = { step, reason, since: iso(Date.now()) };
    this.operatorAction = undefined;
    this.enter(
      OrderPhase.NEEDS_ATTENTION,
      `Waiting for an operator because ${reason}. Signal "retry" to drive it again, or "resolve" with a note once handled by hand.`,
    );
    await condition(() => this.operatorAction !== undefined);
    const action = this.operatorAction as unknown as NonNullable<OrderLifecycle['operatorAction']>;
    this.operatorAction = undefined;
    return action;
  }

  private async resolveManually(note: string): Promise<OrderResult> {
    this.state.resolution = { note, at: iso(Date.now()) };
    for (const sub of this.state.subOrders) {
      if (sub.compensation !== 'DONE') sub.compensation = 'RESOLVED_MANUALLY';
    }
    this.enter(OrderPhase.RESOLVED_MANUALLY, `Nothing: an operator resolved the order by hand (${note}).`);
    return this.finish(OrderPhase.RESOLVED_MANUALLY);
  }

  private enter(phase: OrderPhase, waitingFor: string): void {
    const changed = this.state.phase !== phase || this.state.waitingFor === '';
    this.state.phase = phase;
    this.state.waitingFor = waitingFor;
    setCurrentDetails(`**${phase}** — ${waitingFor}`);
    if (changed) {
      upsertSearchAttributes([{ key: PaymentPhaseKey, value: phase }]);
      phaseEntered.add(1, { phase });
    }
  }

  private async finish(outcome: OrderResult['outcome']): Promise<OrderResult> {
    await condition(allHandlersFinished);
    const { state } = this;
    return {
      outcome,
      combineOutTradeNo: state.combineOutTradeNo,
      ...(state.paid ? { paid: state.paid } : {}),
      ...(outcome !== OrderPhase.PAID ? { reverse: state.reverse } : {}),
      subOrders: state.subOrders,
      ...(state.resolution ? { resolution: state.resolution } : {}),
    };
  }
}

function retryOptions(retry: ResolvedRetry, nonRetryableErrorTypes: string[]): Partial<ActivityOptions> {
  return {
    scheduleToCloseTimeout: retry.scheduleToCloseMs,
    retry: {
      initialInterval: retry.initialIntervalMs,
      backoffCoefficient: retry.backoffCoefficient,
      maximumInterval: retry.maximumIntervalMs,
      nonRetryableErrorTypes,
    },
  };
}

function checkMarkPaidDetails(details: unknown): void {
  if (details === undefined || details === null) return;
  if (typeof details !== 'object' || Array.isArray(details)) {
    throw new Error('markPaid details must be an object such as { "transactionId": "…", "source": "query" }');
  }
  for (const [key, value] of Object.entries(details)) {
    if (!['transactionId', 'source', 'note'].includes(key))
      throw new Error(`markPaid details.${key} is not a known field`);
    if (typeof value !== 'string' || value.length > 256) {
      throw new Error(`markPaid details.${key} must be a string of at most 256 characters`);
    }
  }
}

/** Turns an activity failure into a status entry: its type and message, never a stack or a payload. */
function describeFailure(err: unknown): FailureInfo {
  const at = iso(Date.now());
  if (err instanceof ActivityFailure) {
    const cause = err.cause;
    if (cause instanceof ApplicationFailure) return { type: cause.type ?? 'UNKNOWN', message: cause.message, at };
    if (cause instanceof TimeoutFailure) {
      const last = cause.cause;
      const remembered = (cause.lastHeartbeatDetails as { lastFailure?: { type?: unknown; row?: unknown } } | undefined)
        ?.lastFailure;
      const lastText =
        last instanceof ApplicationFailure
          ? `; last failure ${last.type ?? 'UNKNOWN'}: ${last.message}`
          : remembered && typeof remembered.type === 'string' && typeof remembered.row === 'string'
            ? `; last failure ${remembered.type}: ${remembered.row}`
            : '';
      return {
        type: ErrorType.RETRIES_EXHAUSTED,
        message: `retry window closed (${cause.timeoutType})${lastText}`,
        at,
      };
    }
    return { type: cause?.name ?? 'UNKNOWN', message: cause?.message ?? err.message, at };
  }
  return { type: 'UNKNOWN', message: err instanceof Error ? err.message : String(err), at };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
