/** The reverse activity: one signed POST per attempt, its answer classified, failures typed for the retry policy. */
import { classifyReverseAnswer, type ReverseVerdict } from '../wechatpay/classify';
import { WechatpayCall } from '../wechatpay/client';
import { ErrorType } from '../workflows/contract';
import type { ReverseRequest, ReverseResult } from './types';
import { runWechatpayCall, type CallErrorTypes, type WechatpayCallDeps } from './wechatpay-call';

/** The reverse's failure types, by answer class. */
const REVERSE_ERROR_TYPES: CallErrorTypes = {
  REJECTED: ErrorType.REVERSE_REJECTED,
  AUTH: ErrorType.REVERSE_AUTH_FAILED,
  TRANSIENT: ErrorType.REVERSE_TRANSIENT,
  UNVERIFIED: ErrorType.REVERSE_ANSWER_UNVERIFIED,
};

/**
 * Creates `reverseCombineOrder`: accepted only on a verified 204, or a signed and verified "already closed" / "no
 * such order" (main host) answer; the result names the host that answered. Every other answer is a typed failure:
 * REVERSE_REJECTED (non-retryable), REVERSE_AUTH_FAILED (retried after `authRetryDelayMs`), REVERSE_TRANSIENT,
 * REVERSE_ANSWER_UNVERIFIED.
 */
export function createReverseActivity(deps: WechatpayCallDeps): (request: ReverseRequest) => Promise<ReverseResult> {
  return async function reverseCombineOrder(request: ReverseRequest): Promise<ReverseResult> {
    return runWechatpayCall<ReverseVerdict, ReverseResult>(deps, {
      call: WechatpayCall.REVERSE,
      what: 'the reverse',
      errorTypes: REVERSE_ERROR_TYPES,
      refuseNonces: request.refuseNonces,
      logContext: { combineOutTradeNo: request.combineOutTradeNo },
      send: (client, options) => client.reverse(request, options),
      classify: classifyReverseAnswer,
      successMessage: 'reverse accepted by WeChat Pay',
      succeed: (verdict, facts) => ({
        outcome: verdict.outcome,
        httpStatus: facts.status,
        ...(facts.code ? { code: facts.code } : {}),
        verified: facts.verified,
        attempt: facts.attempt,
        host: facts.host,
        ...(facts.answerNonce ? { answerNonce: facts.answerNonce } : {}),
      }),
    });
  };
}
