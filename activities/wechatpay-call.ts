/**
 * What every WeChat Pay call activity does around its one call: pick the host (the backup after a network fault on
 * the previous attempt, remembered in the heartbeat details), classify the answer, count it, log it, and turn the
 * failure classes into typed ApplicationFailures for the retry policy. The query and reverse activities only say
 * which call they make and what a success means.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { FailureClass, FailureVerdict } from '../wechatpay/classify';
import type { WechatpayAnswer, WechatpayCall, WechatpayClient } from '../wechatpay/client';
import type { ErrorType } from '../workflows/errors';
import type { WechatpayHost } from '../workflows/types';
import type { Metrics } from './metrics';

/** What a WeChat Pay call activity needs from the worker (the query and reverse activities share it). */
export interface WechatpayCallDeps {
  /** The one WeChat Pay client (both calls). */
  client: WechatpayClient;
  /** Delay between attempts after SIGN_ERROR / NO_AUTH (slow: a human must fix keys or permissions). */
  authRetryDelayMs: number;
  metrics?: Metrics;
}

/** The heartbeat details a failed attempt leaves for the next one. */
export interface CallHeartbeat {
  lastFailure: {
    type: ErrorType;
    row: string;
    /** The attempt failed with a network fault on the main host: the next one tries the backup host. */
    network: boolean;
    host: WechatpayHost;
  };
}

/** The failure types of one call, by class. */
export type CallErrorTypes = Record<FailureClass, ErrorType>;

/** What the call activity knows once a success verdict is in. */
export interface CallFacts {
  status: number;
  code?: string;
  verified: boolean;
  /** The verified answer's `Wechatpay-Nonce`. */
  answerNonce?: string;
  host: WechatpayHost;
  attempt: number;
}

/** One call activity's specifics. */
export interface CallSpec<V extends { class: string; row: string; unsigned?: true }, R> {
  call: WechatpayCall;
  /** Noun for messages: "the reverse", "the query". */
  what: string;
  errorTypes: CallErrorTypes;
  /** Fields for every log line (order numbers, purpose). */
  logContext: Record<string, unknown>;
  /** Sends the one request. */
  send(client: WechatpayClient, signal: AbortSignal, useBackup: boolean): Promise<WechatpayAnswer>;
  classify(answer: WechatpayAnswer): V;
  /** Builds the result of a success verdict (every class not in {@link FailureVerdict}). */
  succeed(verdict: Exclude<V, FailureVerdict>, facts: CallFacts): R;
  /** Log line of a success. */
  successMessage: string;
}

const FAILURE_CLASSES: ReadonlySet<string> = new Set<FailureClass>(['REJECTED', 'AUTH', 'TRANSIENT', 'UNVERIFIED']);

/** Whether a verdict is one of the shared failure classes. */
export function isFailureVerdict(verdict: { class: string }): verdict is FailureVerdict {
  return FAILURE_CLASSES.has(verdict.class);
}

/** Runs one attempt of a WeChat Pay call activity (call it from inside the activity). */
export async function runWechatpayCall<V extends { class: string; row: string; unsigned?: true }, R>(
  deps: WechatpayCallDeps,
  spec: CallSpec<V, R>,
): Promise<R> {
  const ctx = Context.current();
  const attempt = ctx.info.attempt;
  const previous = (ctx.info.heartbeatDetails as Partial<CallHeartbeat> | undefined)?.lastFailure;
  const useBackup = deps.client.hasBackup && previous?.network === true;
  const answer = await spec.send(deps.client, ctx.cancellationSignal, useBackup);
  const host = answer.host;
  const verdict = spec.classify(answer);
  deps.metrics?.wechatpayAnswer(spec.call, verdict.class);
  if (verdict.unsigned) deps.metrics?.unsignedAnswer(spec.call);
  const status = answer.kind === 'network' ? undefined : answer.status;
  const code = answer.kind === 'answer' ? answer.code : undefined;
  const logContext = {
    ...spec.logContext,
    attempt,
    answer: verdict.row,
    class: verdict.class,
    host,
    ...(verdict.unsigned ? { unsigned: true } : {}),
    ...('retryAfterMs' in verdict && verdict.retryAfterMs !== undefined ? { retryAfterMs: verdict.retryAfterMs } : {}),
  };
  if (!isFailureVerdict(verdict)) {
    ctx.log.info(spec.successMessage, logContext);
    return spec.succeed(verdict as Exclude<V, FailureVerdict>, {
      status: status ?? 0,
      ...(code ? { code } : {}),
      verified: answer.kind === 'answer' && answer.verified,
      ...(answer.kind === 'answer' && answer.nonce ? { answerNonce: answer.nonce } : {}),
      host,
      attempt,
    });
  }
  const details = [{ status, code, row: verdict.row, host }];
  const type = spec.errorTypes[verdict.class];
  /**
   * A retryable failure, remembered in the heartbeat details: the next attempt reads it (backup host after a network
   * fault on the main host), and if the retry window closes the workflow reports it as the last failure.
   */
  const retryable = (message: string, nextRetryDelay?: number): ApplicationFailure => {
    const heartbeat: CallHeartbeat = {
      lastFailure: { type, row: verdict.row, network: answer.kind === 'network' && host === 'main', host },
    };
    ctx.heartbeat(heartbeat);
    return ApplicationFailure.create({ type, message, details, ...(nextRetryDelay ? { nextRetryDelay } : {}) });
  };
  switch (verdict.class) {
    case 'REJECTED':
      ctx.log.error(`WeChat Pay rejected ${spec.what}: it needs a human`, logContext);
      throw ApplicationFailure.create({
        type,
        nonRetryable: true,
        message: `WeChat Pay rejected ${spec.what} (${verdict.row})`,
        details,
      });
    case 'AUTH':
      ctx.log.error(
        'WeChat Pay refused our signature or permission: check WECHATPAY_MCHID, WECHATPAY_MERCHANT_SERIAL, the private key and the clock; retrying slowly',
        logContext,
      );
      throw retryable(`WeChat Pay refused the signature or permission (${verdict.row})`, deps.authRetryDelayMs);
    case 'UNVERIFIED':
      ctx.log.warn(
        `answer to ${spec.what} not accepted (failed verification or not the expected answer): retrying`,
        logContext,
      );
      throw retryable(`the answer could not be verified (${verdict.row}); the outcome is unknown`);
    case 'TRANSIENT':
      ctx.log.warn(`${spec.what} got no usable answer: retrying`, logContext);
      // A 429/503 that said when to come back sets the next attempt's delay (bounded); else the retry policy backs off.
      throw retryable(`no usable answer (${verdict.row}); retrying`, verdict.retryAfterMs);
  }
}
