/**
 * What one BullMQ job does for one order at its deadline: the product's steps, in the product's order, with the
 * product's own activity functions and decision functions — a signed query (RECONCILE), the reverse, a confirming
 * query (CONFIRM), then the two compensations in parallel. The job keeps its progress in its data (the step it is at,
 * the nonces it accepted, what the confirming query showed, the sub-orders already compensated), saved after each
 * step (BullMQ's "process step jobs" pattern), so that a retry resumes at the step that failed. Retries are BullMQ's:
 * `attempts` and a backoff that follows the product's WeChat Pay retry policy ({@link peerBackoff}).
 */
import { ApplicationFailure } from '@temporalio/common';
import { UnrecoverableError } from 'bullmq';
import type { OrderActivities } from '../../../../activities';
import {
  CompensationReason,
  type ConfirmedTradeState,
  OnPaidAtDeadline,
  ReconcileDecision,
  ReverseOutcome,
  type SubOrderInput,
} from '../../../../workflows/contract';
import type { QueryRequest, QueryResult } from '../../../../activities/types';
import { DEFAULT_WECHATPAY_RETRY, MAX_REVERSE_ROUNDS } from '../../../../workflows/policies';
import { confirmedStates, decideAfterReverse, decideBeforeReverse } from '../../../../workflows/order/reconcile';
import { runActivity } from './activity-context';

/** What WeChat Pay knows of the order: what the job carries from the checkout. */
export interface PeerOrder {
  combineOutTradeNo: string;
  combineAppid: string;
  subOrders: SubOrderInput[];
}

/** The step a job is at. */
export type PeerStep = 'QUERY' | 'REVERSE' | 'CONFIRM' | 'COMPENSATE';

/** A job's data: the order and the progress saved after each step. */
export interface PeerJobData {
  order: PeerOrder;
  step: PeerStep;
  /** The `Wechatpay-Nonce` of every answer accepted so far (a replay of one is refused). */
  nonces: string[];
  /** A query found the order, or a reverse of it was accepted (then "no such order" is a contradiction). */
  existed: boolean;
  rounds: number;
  reverseOutcome?: ReverseOutcome;
  tradeStates?: ConfirmedTradeState[];
  /** `outTradeNo` of the sub-orders compensated so far. */
  compensated: string[];
  /** The heartbeat details the last failed call left (the backup host after a network fault). */
  heartbeat?: unknown;
}

/** A completed job's return value: the order reached a confirmed end. */
export interface PeerJobResult {
  reverseOutcome: ReverseOutcome;
  tradeStates: ConfirmedTradeState[];
  compensated: number;
}

/** The job as the steps see it: its id, its attempt (1 = first), its data, and how to save progress. */
export interface StepJob {
  id: string;
  attempt: number;
  data: PeerJobData;
  save(data: PeerJobData): Promise<void>;
}

/** The product activities the steps call. */
export type PeerActivities = Pick<OrderActivities, 'queryCombineOrder' | 'reverseCombineOrder' | 'compensateSubOrder'>;

/** The data of a new job for `order`. */
export function newJobData(order: PeerOrder): PeerJobData {
  return { order, step: 'QUERY', nonces: [], existed: false, rounds: 0, compensated: [] };
}

/** A non-retryable failure of the product's becomes BullMQ's UnrecoverableError; anything else is retried. */
function forBullmq(error: unknown): unknown {
  if (error instanceof ApplicationFailure && error.nonRetryable) {
    return new UnrecoverableError(`${error.type ?? 'failure'}: ${error.message}`);
  }
  return error;
}

/** One attempt of one activity for the job; a failure keeps its heartbeat in the job's data, then is thrown. */
async function call<A, R>(job: StepJob, type: string, fn: (arg: A) => Promise<R>, arg: A): Promise<R> {
  const attempt = { attempt: job.attempt, heartbeatDetails: job.data.heartbeat };
  const out = await runActivity(type, job.id, attempt, fn, arg);
  if (out.ok) return out.value;
  if (out.heartbeatDetails !== undefined) {
    job.data = { ...job.data, heartbeat: out.heartbeatDetails };
    await job.save(job.data);
  }
  throw forBullmq(out.error);
}

function queryRequest(data: PeerJobData, purpose: QueryRequest['purpose']): QueryRequest {
  return {
    combineOutTradeNo: data.order.combineOutTradeNo,
    subOrders: data.order.subOrders.map(({ mchid, outTradeNo, subMchid }) => ({ mchid, outTradeNo, subMchid })),
    purpose,
    refuseNonces: [...data.nonces],
  };
}

/** The data after an accepted answer: its nonce kept, `existed` set when it showed the order. */
function accepted(data: PeerJobData, nonce: string | undefined, exists: boolean): PeerJobData {
  const { heartbeat: _previous, ...rest } = data;
  return { ...rest, nonces: nonce ? [...data.nonces, nonce] : data.nonces, existed: data.existed || exists };
}

async function queryStep(job: StepJob, acts: PeerActivities): Promise<PeerJobData> {
  const query: QueryResult = await call(
    job,
    'queryCombineOrder',
    acts.queryCombineOrder,
    queryRequest(job.data, 'RECONCILE'),
  );
  const data = accepted(job.data, query.answerNonce, query.found);
  const decision = decideBeforeReverse(query, data.order.subOrders, OnPaidAtDeadline.REFUND);
  if (decision === ReconcileDecision.REVERSE) return { ...data, step: 'REVERSE' };
  if (decision === ReconcileDecision.NOTHING_TO_REVERSE) {
    const tradeStates = confirmedStates(query, data.order.subOrders);
    return { ...data, step: 'COMPENSATE', reverseOutcome: ReverseOutcome.NOT_NEEDED, tradeStates };
  }
  throw new UnrecoverableError(`the query decided ${decision}: it needs a human`);
}

async function reverseStep(job: StepJob, acts: PeerActivities): Promise<PeerJobData> {
  const { order, nonces } = job.data;
  const result = await call(job, 'reverseCombineOrder', acts.reverseCombineOrder, {
    combineOutTradeNo: order.combineOutTradeNo,
    combineAppid: order.combineAppid,
    subOrders: order.subOrders,
    refuseNonces: [...nonces],
  });
  const data = accepted(job.data, result.answerNonce, result.outcome !== ReverseOutcome.ORDER_NOT_FOUND);
  return { ...data, step: 'CONFIRM', rounds: data.rounds + 1, reverseOutcome: result.outcome };
}

/** The confirming query; not confirmed yet: back to the reverse (saved), and BullMQ's backoff is the pause. */
async function confirmStep(job: StepJob, acts: PeerActivities): Promise<PeerJobData> {
  const query: QueryResult = await call(
    job,
    'queryCombineOrder',
    acts.queryCombineOrder,
    queryRequest(job.data, 'CONFIRM'),
  );
  const data = accepted(job.data, query.answerNonce, query.found);
  const decision = decideAfterReverse(query, data.order.subOrders, job.data.existed);
  if (decision === ReconcileDecision.CONFIRMED) {
    const tradeStates = confirmedStates(query, data.order.subOrders);
    return {
      ...data,
      step: 'COMPENSATE',
      tradeStates,
      reverseOutcome: data.reverseOutcome ?? ReverseOutcome.ALREADY_CLOSED,
    };
  }
  if (data.rounds >= MAX_REVERSE_ROUNDS) throw new UnrecoverableError(`not confirmed after ${data.rounds} reverses`);
  job.data = decision === ReconcileDecision.NOT_FOUND_AFTER_FOUND ? data : { ...data, step: 'REVERSE' };
  await job.save(job.data);
  throw new Error(`the reverse is not confirmed yet (${decision}); retrying`);
}

/** Both compensations in parallel; the delivered ones are saved, a failed one fails the attempt. */
async function compensateStep(job: StepJob, acts: PeerActivities): Promise<PeerJobResult> {
  const { order, tradeStates = [], reverseOutcome = ReverseOutcome.REVERSED } = job.data;
  const pending = order.subOrders.filter((s) => !job.data.compensated.includes(s.outTradeNo));
  const attempt = { attempt: job.attempt };
  const outcomes = await Promise.all(
    pending.map((sub) =>
      runActivity('compensateSubOrder', job.id, attempt, acts.compensateSubOrder, {
        combineOutTradeNo: order.combineOutTradeNo,
        outTradeNo: sub.outTradeNo,
        mchid: sub.mchid,
        subMchid: sub.subMchid,
        reason: CompensationReason.PAYMENT_TIMEOUT,
        reverseOutcome,
        tradeState: tradeStates[order.subOrders.indexOf(sub)] ?? 'NOT_FOUND',
      }),
    ),
  );
  const done = pending.filter((_, i) => outcomes[i]!.ok).map((s) => s.outTradeNo);
  const failed = outcomes.find((o) => !o.ok);
  if (failed && !failed.ok) {
    if (done.length > 0) {
      job.data = { ...job.data, compensated: [...job.data.compensated, ...done] };
      await job.save(job.data);
    }
    throw forBullmq(failed.error);
  }
  return { reverseOutcome, tradeStates, compensated: order.subOrders.length };
}

const STEPS: Record<Exclude<PeerStep, 'COMPENSATE'>, (job: StepJob, acts: PeerActivities) => Promise<PeerJobData>> = {
  QUERY: queryStep,
  REVERSE: reverseStep,
  CONFIRM: confirmStep,
};

/** The job processor: runs the steps from the saved one, saving after each, until the compensations are done. */
export function createStepProcessor(acts: PeerActivities): (job: StepJob) => Promise<PeerJobResult> {
  return async (job) => {
    for (;;) {
      if (job.data.step === 'COMPENSATE') return compensateStep(job, acts);
      job.data = await STEPS[job.data.step](job, acts);
      await job.save(job.data);
    }
  };
}

/**
 * BullMQ's backoff for the peer's jobs, the product's WeChat Pay retry policy: 1 s, doubling, at most 60 s apart; a
 * `Retry-After` the answer carried (the failure's `nextRetryDelay`) wins.
 */
export function peerBackoff(attemptsMade: number, _type?: string, err?: Error): number {
  if (err instanceof ApplicationFailure && typeof err.nextRetryDelay === 'number') return err.nextRetryDelay;
  const { initialIntervalMs, backoffCoefficient, maximumIntervalMs } = DEFAULT_WECHATPAY_RETRY;
  return Math.min(maximumIntervalMs, initialIntervalMs * backoffCoefficient ** Math.max(0, attemptsMade - 1));
}

/** Attempts per job: retrying at most a minute apart for the product's one day of retries. */
export const PEER_ATTEMPTS =
  Math.ceil(DEFAULT_WECHATPAY_RETRY.scheduleToCloseMs / DEFAULT_WECHATPAY_RETRY.maximumIntervalMs) + 7;

/** The backoff type name the jobs carry and the worker resolves with {@link peerBackoff}. */
export const PEER_BACKOFF_TYPE = 'product-retry-policy';
