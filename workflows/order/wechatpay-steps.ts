/**
 * The WeChat Pay steps of the order lifecycle: one signed query, one reverse, each through its activity on the
 * rate-limited WeChat Pay task queue, recorded through the order's state (the one writer of its status), keeping the
 * nonce of the answer it accepted.
 * Deterministic code only.
 */
import { log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { OrderActivities } from '../../activities';
import { iso } from '../duration';
import {
  ErrorType,
  type FailureInfo,
  type OrderSpec,
  type QueryPurpose,
  ReverseOutcome,
  wechatpayTaskQueue,
} from '../contract';
import type { QueryResult } from '../../activities/types';
import { describeFailure } from '../failures';
import type { OrderState } from './state';
import { ACTIVITY_START_TO_CLOSE_MS, retryOptions } from '../policies';
import { summarizeQuery } from './reconcile';

const { queryCombineOrder, reverseCombineOrder } = proxyActivities<OrderActivities>({
  startToCloseTimeout: ACTIVITY_START_TO_CLOSE_MS,
});

/** What the order's steps share: the order, its state, and the answers it accepted. */
export interface StepContext {
  /** The validated order. */
  readonly spec: OrderSpec;
  /** The order's observable state, updated as the step goes. */
  readonly order: OrderState;
  /**
   * The `Wechatpay-Nonce` of every answer the order accepted: sent with each call, so that a replay of any of them is
   * refused (the worker process also refuses a nonce it saw within the skew window, for any order).
   */
  readonly nonces: string[];
}

/** The rate-limited task queue of the WeChat Pay calls (`<the workflow's task queue>-wechatpay`). */
function wechatpayQueue(): { taskQueue: string } {
  return { taskQueue: wechatpayTaskQueue(workflowInfo().taskQueue) };
}

/** How a query ended: a signed fact, or why it failed for good. */
export type QueryStepResult = { ok: true; query: QueryResult } | { ok: false; failure: FailureInfo };

/**
 * How a reverse ended: accepted, or why it failed for good (`refused`: WeChat Pay refused it, REVERSE_REJECTED; the
 * next query tells whether the order is settled anyway).
 */
export type ReverseStepResult =
  { ok: true; outcome: ReverseOutcome } | { ok: false; failure: FailureInfo; refused: boolean };

/** One query through the activity (retried until a signed fact); its record in the status, or why it failed. */
export async function queryStep(context: StepContext, purpose: QueryPurpose): Promise<QueryStepResult> {
  const { spec, order } = context;
  order.querying(purpose);
  try {
    const query = await queryCombineOrder.executeWithOptions(
      {
        summary: `${purpose === 'CONFIRM' ? 'confirming query' : 'query'} ${spec.combineOutTradeNo}`,
        ...wechatpayQueue(),
        ...retryOptions(spec.wechatpayRetry, [ErrorType.QUERY_REJECTED, ErrorType.QUERY_ANSWER_MISMATCH]),
      },
      [
        {
          combineOutTradeNo: spec.combineOutTradeNo,
          subOrders: spec.subOrders.map(({ mchid, outTradeNo, subMchid }) => ({ mchid, outTradeNo, subMchid })),
          purpose,
          refuseNonces: [...context.nonces],
        },
      ],
    );
    if (query.answerNonce) context.nonces.push(query.answerNonce);
    order.queried(purpose, query, summarizeQuery(query, spec.subOrders));
    return { ok: true, query };
  } catch (err) {
    const failure = describeFailure(err, iso(Date.now()));
    order.queryFailed(purpose, failure);
    log.error('query failed for good', { combineOutTradeNo: spec.combineOutTradeNo, failureType: failure.type });
    return { ok: false, failure };
  }
}

/** One reverse through the activity (retried until an accepted, signed answer); its outcome, or why it failed. */
export async function reverseStep(context: StepContext, why: string): Promise<ReverseStepResult> {
  const { spec, order } = context;
  order.reverseSent(why);
  try {
    const result = await reverseCombineOrder.executeWithOptions(
      {
        summary: `reverse ${spec.combineOutTradeNo}`,
        ...wechatpayQueue(),
        ...retryOptions(spec.wechatpayRetry, [ErrorType.REVERSE_REJECTED]),
      },
      [
        {
          combineOutTradeNo: spec.combineOutTradeNo,
          combineAppid: spec.combineAppid,
          subOrders: spec.subOrders,
          refuseNonces: [...context.nonces],
        },
      ],
    );
    if (result.answerNonce) context.nonces.push(result.answerNonce);
    order.reverseAccepted(result, result.outcome !== ReverseOutcome.ORDER_NOT_FOUND);
    log.info('reverse accepted', { combineOutTradeNo: spec.combineOutTradeNo, outcome: result.outcome });
    return { ok: true, outcome: result.outcome };
  } catch (err) {
    const failure = describeFailure(err, iso(Date.now()));
    order.reverseFailed(failure);
    log.error('reverse failed for good', { combineOutTradeNo: spec.combineOutTradeNo, failureType: failure.type });
    return { ok: false, failure, refused: failure.type === ErrorType.REVERSE_REJECTED };
  }
}
