/**
 * The WeChat Pay steps of the order lifecycle: one signed query, one reverse, each through its activity on the
 * rate-limited WeChat Pay task queue, with its record in the order status and the nonce of the answer it accepted.
 * Deterministic code only.
 */
import { log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { OrderActivities } from '../activities';
import { iso } from './duration';
import {
  ErrorType,
  OrderPhase,
  ReverseOutcome,
  wechatpayTaskQueue,
  type FailureInfo,
  type OrderSpec,
  type QueryRequest,
  type QueryResult,
} from './contract';
import { describeFailure } from './failures';
import type { OrderState } from './order-state';
import { ACTIVITY_START_TO_CLOSE_MS, retryOptions } from './policies';
import { summarizeQuery } from './reconcile';

const { queryCombineOrder, reverseCombineOrder } = proxyActivities<OrderActivities>({
  startToCloseTimeout: ACTIVITY_START_TO_CLOSE_MS,
});

/** Most queries kept in the status (older ones remain in the history). */
const MAX_QUERIES_SHOWN = 10;

/** What a WeChat Pay step works on: the order, its state, and the answers it accepted. */
export interface WechatpayStep {
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

/** Keeps an accepted answer's nonce; `exists`: the answer showed the order exists at WeChat Pay. */
function accepted(step: WechatpayStep, answerNonce: string | undefined, exists: boolean): void {
  if (answerNonce) step.nonces.push(answerNonce);
  if (exists) step.order.status.reverse.existsSince ??= iso(Date.now());
}

/** One query through the activity (retried until a signed fact); its record in the status, or why it failed. */
export async function queryStep(
  step: WechatpayStep,
  purpose: QueryRequest['purpose'],
): Promise<QueryResult | FailureInfo> {
  const { spec, order } = step;
  const state = order.status;
  state.reverse.state = purpose === 'CONFIRM' ? 'CONFIRMING' : 'QUERYING';
  order.enter(
    OrderPhase.REVERSING,
    purpose === 'CONFIRM'
      ? 'Confirming the reverse: querying WeChat Pay until it shows every sub-order closed, reversed or refunded.'
      : 'Querying WeChat Pay (signed GET) to learn whether the order was paid before deciding.',
  );
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
          refuseNonces: [...step.nonces],
        },
      ],
    );
    accepted(step, query.answerNonce, query.found);
    const queries = (state.reverse.queries ??= []);
    queries.push({
      at: iso(Date.now()),
      purpose,
      host: query.host,
      seen: summarizeQuery(query, spec.subOrders),
      ...(query.answerNonce ? { answerNonce: query.answerNonce } : {}),
    });
    if (queries.length > MAX_QUERIES_SHOWN) queries.shift();
    if (purpose === 'CONFIRM') state.reverse.state = 'ACCEPTED';
    return query;
  } catch (err) {
    const failure = describeFailure(err, iso(Date.now()));
    if (purpose === 'CONFIRM') state.reverse.state = 'ACCEPTED';
    else state.reverse.state = 'FAILED';
    state.reverse.lastFailure = failure;
    log.error('query failed for good', { combineOutTradeNo: spec.combineOutTradeNo, failureType: failure.type });
    return failure;
  }
}

/** One reverse through the activity (retried until an accepted, signed answer); undefined, or why it failed. */
export async function reverseStep(step: WechatpayStep, why: string): Promise<FailureInfo | undefined> {
  const { spec, order } = step;
  const state = order.status;
  state.reverse.state = 'IN_PROGRESS';
  state.reverse.rounds += 1;
  order.enter(
    OrderPhase.REVERSING,
    `Reversing at WeChat Pay because ${why}: a signed POST, retried until an accepted answer.`,
  );
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
          refuseNonces: [...step.nonces],
        },
      ],
    );
    accepted(step, result.answerNonce, result.outcome !== ReverseOutcome.ORDER_NOT_FOUND);
    // Each round's answer replaces the last one's (a 204 carries no code).
    delete state.reverse.code;
    delete state.reverse.answerNonce;
    Object.assign(state.reverse, {
      state: 'ACCEPTED',
      outcome: result.outcome,
      httpStatus: result.httpStatus,
      verified: result.verified,
      acceptedAt: iso(Date.now()),
      ...(result.code ? { code: result.code } : {}),
      host: result.host,
      ...(result.answerNonce ? { answerNonce: result.answerNonce } : {}),
    });
    log.info('reverse accepted', { combineOutTradeNo: spec.combineOutTradeNo, outcome: result.outcome });
    return undefined;
  } catch (err) {
    state.reverse.state = 'FAILED';
    state.reverse.lastFailure = describeFailure(err, iso(Date.now()));
    log.error('reverse failed for good', {
      combineOutTradeNo: spec.combineOutTradeNo,
      failureType: state.reverse.lastFailure.type,
    });
    return state.reverse.lastFailure;
  }
}
