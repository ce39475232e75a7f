/**
 * What every WeChat Pay call activity does around its one call: pick the host (the backup after a network fault on
 * the previous attempt, remembered in the heartbeat details), classify the answer, count it, log it, and turn the
 * failure classes into typed ApplicationFailures for the retry policy. The query and reverse activities only say
 * which call they make and what a success means.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { FailureClass, FailureVerdict } from '../wechatpay/classify';
import type { CallOptions, WechatpayAnswer, WechatpayCall, WechatpayClient } from '../wechatpay/client';
import type { ErrorType, WechatpayHost } from '../workflows/contract';
import type { Metrics } from './metrics';
import { inCallSpan } from './tracing';

/** What a WeChat Pay call activity needs from the worker (the query and reverse activities share it). */
export interface WechatpayCallDeps {
  /** The one WeChat Pay client (both calls). */
  client: WechatpayClient;
  /** Delay between attempts after SIGN_ERROR / NO_AUTH (slow: a human must fix keys or permissions). */
  authRetryDelayMs: number;
  metrics?: Metrics;
}

/** The heartbeat details a failed attempt leaves for the next one. */
interface CallHeartbeat {
  lastFailure: {
    type: ErrorType;
    row: string;
    /** The attempt failed with a network fault on the main host: the next one tries the backup host. */
    network: boolean;
    host: WechatpayHost;
  };
  /** How many verified answers so far were not exactly the order asked for (see {@link MISMATCH_LIMIT}). */
  mismatches?: number;
}

/**
 * After this many verified answers that are not exactly the order (another merchant, other sub-orders), the call
 * stops retrying and a human looks (`MISMATCH` failure type): such an answer is never a confirmation, and a wrong
 * `WECHATPAY_MCHID` or a wrong order input does not fix itself.
 */
const MISMATCH_LIMIT = 5;

/** The failure types of one call, by class; `MISMATCH` for a call whose answers are compared with the order. */
export type CallErrorTypes = Record<FailureClass, ErrorType> & { MISMATCH?: ErrorType };

/** What the call activity knows once a success verdict is in. */
interface CallFacts {
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
  send(client: WechatpayClient, options: CallOptions): Promise<WechatpayAnswer>;
  /** The nonces of the answers the order accepted so far (a replay of one is refused). */
  refuseNonces: readonly string[];
  classify(answer: WechatpayAnswer): V;
  /** Builds the result of a success verdict (every class not in {@link FailureVerdict}). */
  succeed(verdict: Exclude<V, FailureVerdict>, facts: CallFacts): R;
  /** Log line of a success. */
  successMessage: string;
}

const FAILURE_CLASSES: ReadonlySet<string> = new Set<FailureClass>(['REJECTED', 'AUTH', 'TRANSIENT', 'UNVERIFIED']);

/** Whether a verdict is one of the shared failure classes. */
function isFailureVerdict(verdict: { class: string }): verdict is FailureVerdict {
  return FAILURE_CLASSES.has(verdict.class);
}

/** Runs one attempt of a WeChat Pay call activity (call it from inside the activity). */
export async function runWechatpayCall<V extends { class: string; row: string; unsigned?: true }, R>(
  deps: WechatpayCallDeps,
  spec: CallSpec<V, R>,
): Promise<R> {
  const ctx = Context.current();
  const attempt = ctx.info.attempt;
  const remembered = ctx.info.heartbeatDetails as Partial<CallHeartbeat> | undefined;
  const previous = remembered?.lastFailure;
  const useBackup = deps.client.hasBackup && previous?.network === true;
  // One client span per request (with tracing on): the call, the status and the answer's class, never a body or key.
  const { answer, verdict } = await inCallSpan(
    `WeChat Pay ${spec.call}`,
    { 'wechatpay.call': spec.call, 'wechatpay.attempt': attempt },
    async () => {
      const sent = await spec.send(deps.client, {
        signal: ctx.cancellationSignal,
        useBackup,
        refuseNonces: spec.refuseNonces,
      });
      return { answer: sent, verdict: spec.classify(sent) };
    },
    (result) => ({
      attributes: {
        ...(result.answer.kind === 'network' ? {} : { 'http.response.status_code': result.answer.status }),
        'wechatpay.answer.class': result.verdict.class,
        'wechatpay.host': result.answer.host,
      },
      failed: isFailureVerdict(result.verdict),
    }),
  );
  const host = answer.host;
  deps.metrics?.wechatpayAnswer(spec.call, verdict.class);
  if (verdict.unsigned) deps.metrics?.unsignedAnswer(spec.call);
  const stale = isFailureVerdict(verdict) && verdict.class === 'UNVERIFIED' && verdict.stale === true;
  if (stale) deps.metrics?.staleAnswer(spec.call);
  const status = answer.kind === 'network' ? undefined : answer.status;
  const code = answer.kind === 'answer' ? answer.code : undefined;
  const logContext = {
    ...spec.logContext,
    attempt,
    answer: verdict.row,
    class: verdict.class,
    host,
    ...(verdict.unsigned ? { unsigned: true } : {}),
    ...(stale ? { stale: true } : {}),
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
  const network = answer.kind === 'network' && host === 'main';
  throw failureOf(deps, spec, verdict, { status, code, host, network, remembered, logContext });
}

/** What the failing attempt knew: the answer's status, code and host, the heartbeat it found, its log fields. */
interface FailedAttempt {
  status: number | undefined;
  code: string | undefined;
  host: WechatpayHost;
  /** A network fault on the main host: the next attempt tries the backup host. */
  network: boolean;
  remembered: Partial<CallHeartbeat> | undefined;
  logContext: Record<string, unknown>;
}

/** The typed failure of one attempt, logged; a retryable one leaves its heartbeat for the next attempt. */
function failureOf<V extends { class: string; row: string; unsigned?: true }, R>(
  deps: WechatpayCallDeps,
  spec: CallSpec<V, R>,
  verdict: FailureVerdict,
  attempt: FailedAttempt,
): ApplicationFailure {
  const ctx = Context.current();
  const { status, code, host, network, remembered, logContext } = attempt;
  const details = [{ status, code, row: verdict.row, host }];
  const type = spec.errorTypes[verdict.class];
  const isMismatch = verdict.class === 'UNVERIFIED' && verdict.mismatch === true;
  const mismatches = (remembered?.mismatches ?? 0) + (isMismatch ? 1 : 0);
  /**
   * A retryable failure, remembered in the heartbeat details: the next attempt reads it (backup host after a network
   * fault on the main host), and if the retry window closes the workflow reports it as the last failure.
   */
  const retryable = (message: string, nextRetryDelay?: number): ApplicationFailure => {
    const heartbeat: CallHeartbeat = {
      lastFailure: { type, row: verdict.row, network, host },
      ...(mismatches > 0 ? { mismatches } : {}),
    };
    ctx.heartbeat(heartbeat);
    return ApplicationFailure.create({ type, message, details, ...(nextRetryDelay ? { nextRetryDelay } : {}) });
  };
  switch (verdict.class) {
    case 'REJECTED':
      ctx.log.error(`WeChat Pay rejected ${spec.what}: it needs a human`, logContext);
      return ApplicationFailure.create({
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
      return retryable(`WeChat Pay refused the signature or permission (${verdict.row})`, deps.authRetryDelayMs);
    case 'UNVERIFIED':
      if (isMismatch && spec.errorTypes.MISMATCH && mismatches >= MISMATCH_LIMIT) {
        ctx.log.error(`${spec.what} keeps answering with another order: it needs a human`, logContext);
        return ApplicationFailure.create({
          type: spec.errorTypes.MISMATCH,
          nonRetryable: true,
          message: `${mismatches} verified answers did not match the order; the last: ${verdict.row}`,
          details,
        });
      }
      ctx.log.warn(
        verdict.stale
          ? `answer to ${spec.what} not accepted: signed before the request was sent (a replay, or the clocks differ): retrying`
          : `answer to ${spec.what} not accepted (failed verification, a replay, or not the expected answer): retrying`,
        logContext,
      );
      return retryable(
        verdict.stale
          ? `the answer was signed before the request was sent (${verdict.row}); the outcome is unknown`
          : `the answer could not be verified (${verdict.row}); the outcome is unknown`,
      );
    case 'TRANSIENT':
      ctx.log.warn(`${spec.what} got no usable answer: retrying`, logContext);
      // A 429/503 that said when to come back sets the next attempt's delay (bounded); else the retry policy backs off.
      return retryable(`no usable answer (${verdict.row}); retrying`, verdict.retryAfterMs);
  }
}
