/** The query activity: one signed GET of the combined order per attempt; only signed, verified facts are returned. */
import { classifyQueryAnswer, type QueryVerdict } from '../wechatpay/classify';
import { WechatpayCall } from '../wechatpay/client';
import { ErrorType } from '../workflows/contract';
import type { QueryRequest, QueryResult } from './types';
import { runWechatpayCall, type CallErrorTypes, type WechatpayCallDeps } from './wechatpay-call';

/** The query's failure types, by answer class. */
const QUERY_ERROR_TYPES: CallErrorTypes = {
  REJECTED: ErrorType.QUERY_REJECTED,
  AUTH: ErrorType.QUERY_AUTH_FAILED,
  TRANSIENT: ErrorType.QUERY_TRANSIENT,
  UNVERIFIED: ErrorType.QUERY_ANSWER_UNVERIFIED,
  MISMATCH: ErrorType.QUERY_ANSWER_MISMATCH,
};

/**
 * Creates `queryCombineOrder`: returns `found: true` with the sub-orders of a verified, fresh 200 that is exactly the
 * order asked for (its number, the worker's merchant as `combine_mchid`, the same sub-orders with the same merchant
 * ids), or `found: false` with the code of a signed, verified, fresh "no such order" from the main host; `host` and
 * `attempt` are set. Every other answer is a typed failure: QUERY_REJECTED (non-retryable), QUERY_AUTH_FAILED
 * (retried after `authRetryDelayMs`), QUERY_TRANSIENT, QUERY_ANSWER_UNVERIFIED, and QUERY_ANSWER_MISMATCH
 * (non-retryable) once answers that are not this order kept coming. The backup host is used after a network fault,
 * like the reverse.
 */
export function createQueryActivity(deps: WechatpayCallDeps): (request: QueryRequest) => Promise<QueryResult> {
  return async function queryCombineOrder(request: QueryRequest): Promise<QueryResult> {
    return runWechatpayCall<QueryVerdict, QueryResult>(deps, {
      call: WechatpayCall.QUERY,
      what: 'the query',
      errorTypes: QUERY_ERROR_TYPES,
      refuseNonces: request.refuseNonces,
      logContext: { combineOutTradeNo: request.combineOutTradeNo, purpose: request.purpose },
      send: (client, options) => client.query(request.combineOutTradeNo, options),
      classify: (answer) =>
        classifyQueryAnswer(answer, {
          combineOutTradeNo: request.combineOutTradeNo,
          combineMchid: deps.client.mchid,
          subOrders: request.subOrders,
        }),
      successMessage: 'order queried at WeChat Pay',
      succeed: (verdict, facts) => {
        const common = {
          httpStatus: facts.status,
          host: facts.host,
          attempt: facts.attempt,
          ...(facts.answerNonce ? { answerNonce: facts.answerNonce } : {}),
        };
        return verdict.class === 'FOUND'
          ? { found: true, subOrders: verdict.subOrders, ...common }
          : { found: false, code: verdict.code, ...common };
      },
    });
  };
}
