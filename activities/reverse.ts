/** The reverse activity: one signed POST per attempt, its answer classified, failures typed for the retry policy. */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ReverseClient } from '../wechatpay/client';
import { classifyReverseAnswer, type AnswerClass } from '../wechatpay/classify';
import { ErrorType } from '../workflows/errors';
import type { ReverseRequest, ReverseResult } from '../workflows/types';
import type { Metrics } from '../worker/metrics';

/** What the reverse activity needs from the worker. */
export interface ReverseDeps {
  client: ReverseClient;
  /** Delay between attempts after SIGN_ERROR / NO_AUTH (slow: a human must fix keys or permissions). */
  authRetryDelayMs: number;
  metrics?: Metrics;
}

/** Creates `reverseCombineOrder`. */
export function createReverseActivity(deps: ReverseDeps): (request: ReverseRequest) => Promise<ReverseResult> {
  return async function reverseCombineOrder(request: ReverseRequest): Promise<ReverseResult> {
    const ctx = Context.current();
    const attempt = ctx.info.attempt;
    // After a network fault on the previous attempt (remembered in the heartbeat details), try the backup host.
    const previous = (ctx.info.heartbeatDetails as { lastFailure?: { network?: boolean } } | undefined)?.lastFailure;
    const useBackup = deps.client.hasBackup && previous?.network === true;
    const answer = await deps.client.reverse(request, ctx.cancellationSignal, useBackup);
    const verdict: AnswerClass = classifyReverseAnswer(answer);
    deps.metrics?.reverseAnswer(verdict.class);
    const status = answer.kind === 'network' ? undefined : answer.status;
    const code = answer.kind === 'answer' ? answer.code : undefined;
    const logContext = {
      combineOutTradeNo: request.combineOutTradeNo,
      attempt,
      answer: verdict.row,
      class: verdict.class,
      host: useBackup ? 'backup' : 'main',
    };
    const details = [{ status, code, row: verdict.row }];
    /**
     * A retryable failure, remembered in the heartbeat details: the next attempt reads it (backup host after a network
     * fault), and if the retry window closes the workflow reports it as the last failure.
     */
    const retryable = (type: ErrorType, message: string, nextRetryDelay?: number): ApplicationFailure => {
      ctx.heartbeat({ lastFailure: { type, row: verdict.row, network: answer.kind === 'network' && !useBackup } });
      return ApplicationFailure.create({ type, message, details, ...(nextRetryDelay ? { nextRetryDelay } : {}) });
    };
    switch (verdict.class) {
      case 'ACCEPTED':
        ctx.log.info('reverse accepted by WeChat Pay', logContext);
        return {
          outcome: verdict.outcome,
          httpStatus: status ?? 0,
          ...(code ? { code } : {}),
          verified: answer.kind === 'answer' && answer.verified,
          attempt,
        };
      case 'REJECTED':
        ctx.log.error('WeChat Pay rejected the reverse request: it needs a human', logContext);
        throw ApplicationFailure.create({
          type: ErrorType.REVERSE_REJECTED,
          nonRetryable: true,
          message: `WeChat Pay rejected the reverse (${verdict.row})`,
          details,
        });
      case 'AUTH':
        ctx.log.error(
          'WeChat Pay refused our signature or permission: check WECHATPAY_MCHID, WECHATPAY_MERCHANT_SERIAL, the private key and the clock; retrying slowly',
          logContext,
        );
        throw retryable(
          ErrorType.REVERSE_AUTH_FAILED,
          `WeChat Pay refused the signature or permission (${verdict.row})`,
          deps.authRetryDelayMs,
        );
      case 'UNVERIFIED':
        ctx.log.warn('answer failed signature verification: not accepted, retrying', logContext);
        throw retryable(
          ErrorType.REVERSE_ANSWER_UNVERIFIED,
          `the answer could not be verified (${verdict.row}); the outcome is unknown`,
        );
      case 'TRANSIENT':
        ctx.log.warn('reverse not answered: retrying', logContext);
        throw retryable(ErrorType.REVERSE_TRANSIENT, `no usable answer (${verdict.row}); retrying`);
    }
  };
}
