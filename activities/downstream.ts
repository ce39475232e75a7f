/**
 * The one downstream POST of the product's own systems (compensation and payment confirmation), a Standard Webhooks
 * request (**contract**): body `{ type, timestamp, data }` sent exactly as signed; headers `webhook-id` (the
 * idempotency key: the rule is {@link DownstreamHeaders}'s), `webhook-timestamp` (the send time, Unix
 * seconds) and `webhook-signature` (one `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">` per configured secret,
 * space-separated, made by the `standardwebhooks` library); a whole-call deadline tied to the activity's cancellation;
 * one set of answer rules: 2xx or 409 = done; 401/403 = our signature is not (yet) accepted, retried after
 * `authRetryDelayMs` and counted (a secret rotation must not page per order); other 4xx = cannot succeed
 * (non-retryable); 5xx, 408, 429, network = retry. With tracing on, a W3C `traceparent` header too (not signed: the
 * signature covers id, timestamp and body only).
 */
import type { KeyObject } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import axios, { AxiosError, type AxiosInstance } from 'axios';
import { Webhook } from 'standardwebhooks';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { DownstreamHeaders, ErrorType } from '../workflows/contract';
import type { DownstreamFailureKind } from './metrics';
import { inCallSpan, withTraceContext } from './tracing';

/** Largest downstream answer body read. */
const MAX_DOWNSTREAM_ANSWER_BYTES = 64 * 1024;

/**
 * Signs downstream webhooks with every configured secret. The keys stay inside its closure: logging or serialising a
 * signer shows only how many secrets it holds.
 */
export interface WebhookSigner {
  /** How many secrets sign (one `v1,…` each). */
  readonly secrets: number;
  /**
   * The `webhook-signature` value: one `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">` per secret, in the
   * configured order, space-separated.
   *
   * @param id - the `webhook-id`
   * @param at - the time sent as `webhook-timestamp` (whole seconds are signed)
   * @param body - the exact body sent
   */
  sign(id: string, at: Date, body: string): string;
}

/**
 * A signer over the given secrets (the decoded bytes of `COMPENSATION_HMAC_SECRET`'s `whsec_…` entries), signing with
 * the `standardwebhooks` library's `Webhook`.
 *
 * @param secrets - at least one secret key
 */
export function createWebhookSigner(secrets: readonly KeyObject[]): WebhookSigner {
  const webhooks = secrets.map((key) => new Webhook(key.export(), { format: 'raw' }));
  return {
    secrets: webhooks.length,
    sign: (id, at, body) => webhooks.map((webhook) => webhook.sign(id, at, body)).join(' '),
  };
}

/**
 * The headers of one downstream request sent at `now`: `webhook-id`, `webhook-timestamp`, `webhook-signature` (when
 * a signer is given) and `Idempotency-Key` (the webhook-id again).
 *
 * @param id - the `webhook-id`
 * @param body - the exact body sent
 * @param signer - absent only when `COMPENSATION_UNSIGNED=allow`
 * @param now - the send time
 */
export function webhookHeaders(
  id: string,
  body: string,
  signer?: WebhookSigner,
  now = new Date(),
): Record<string, string> {
  return {
    'Content-Type': 'application/json',
    [DownstreamHeaders.WEBHOOK_ID]: id,
    [DownstreamHeaders.TIMESTAMP]: String(Math.floor(now.getTime() / 1_000)),
    ...(signer ? { [DownstreamHeaders.SIGNATURE]: signer.sign(id, now, body) } : {}),
    [DownstreamHeaders.IDEMPOTENCY_KEY]: id,
  };
}

/**
 * The body of a downstream webhook (**contract**): `{ type, timestamp, data }`, `timestamp` ISO-8601.
 *
 * @param type - e.g. `sub_order.compensate`
 * @param timestampMs - when the event happened; the activity passes its first scheduling time, so every retry sends the
 *   same body
 * @param data - the event's fields
 */
export function webhookBody(type: string, timestampMs: number, data: Record<string, unknown>): string {
  return JSON.stringify({ type, timestamp: new Date(timestampMs).toISOString(), data });
}

/** Where and how a downstream POST goes. Its signer holds the secrets: never log it. */
interface DownstreamTarget {
  url: string;
  /** Absent only when `COMPENSATION_UNSIGNED=allow`. */
  signer?: WebhookSigner;
  /** Whole-call deadline. */
  timeoutMs: number;
  /** Delay before the next attempt after a 401/403 (`COMPENSATION_AUTH_RETRY_DELAY`). */
  authRetryDelayMs: number;
}

/** One POST. */
interface DownstreamPost {
  /** For messages: "the compensation", "the payment confirmation". */
  what: string;
  /** For messages: who answers, e.g. "the order service". */
  peer: string;
  /** The webhook-id: the same on every retry. */
  webhookId: string;
  /** The body's `type`. */
  type: string;
  /** The body's `data`. */
  data: Record<string, unknown>;
  /** The failure types of this call (401/403 is always {@link ErrorType.DOWNSTREAM_UNAUTHORIZED}). */
  errorTypes: { transient: ErrorType; rejected: ErrorType };
  /** Fields for every log line (no secrets, no bodies). */
  logContext: Record<string, unknown>;
  /** Counts a failed attempt. */
  onFailure?(kind: DownstreamFailureKind): void;
}

/** A delivered POST: 2xx, or 409 (the downstream already had it). */
interface DownstreamDelivery {
  httpStatus: number;
  duplicate: boolean;
  attempt: number;
}

/** Posts to one downstream endpoint (call from inside an activity); throws typed ApplicationFailures. */
export type DownstreamPoster = (target: DownstreamTarget, post: DownstreamPost) => Promise<DownstreamDelivery>;

/** What an answer status means (**contract**). */
type AnswerClass = 'done' | DownstreamFailureKind;

/** 2xx or 409 → done; 401/403 → unauthorized; 5xx, 408, 429 → transient; any other → rejected. */
function classifyDownstreamStatus(status: number): AnswerClass {
  if ((status >= 200 && status < 300) || status === 409) return 'done';
  if (status === 401 || status === 403) return 'unauthorized';
  if (status >= 500 || status === 408 || status === 429) return 'transient';
  return 'rejected';
}

/** Builds a poster with its own keep-alive connections and bounded answers. */
export function createDownstreamPoster(): DownstreamPoster {
  const client = axios.create({
    maxRedirects: 0,
    maxContentLength: MAX_DOWNSTREAM_ANSWER_BYTES,
    validateStatus: () => true,
    httpAgent: new http.Agent({ keepAlive: true }),
    httpsAgent: new https.Agent({ keepAlive: true }),
    // The body is sent exactly as signed.
    transformRequest: [(data: unknown) => data],
  });
  return async function post(target, spec) {
    const ctx = Context.current();
    const attempt = ctx.info.attempt;
    // The first scheduling time: the same body on every retry of this step.
    const body = webhookBody(spec.type, ctx.info.scheduledTimestampMs, spec.data);
    const logContext = { ...spec.logContext, webhookId: spec.webhookId, attempt };
    const status = await send(client, target, spec, body, logContext);
    const verdict = classifyDownstreamStatus(status);
    if (verdict === 'done') {
      ctx.log.info(`${spec.what} delivered`, { ...logContext, status });
      return { httpStatus: status, duplicate: status === 409, attempt };
    }
    spec.onFailure?.(verdict);
    throw answerFailure(verdict, status, target, spec, logContext);
  };
}

/** Sends the request; the answer's status, or a retryable failure when none came. */
async function send(
  client: AxiosInstance,
  target: DownstreamTarget,
  spec: DownstreamPost,
  body: string,
  logContext: Record<string, unknown>,
): Promise<number> {
  const ctx = Context.current();
  try {
    const deadline = AbortSignal.timeout(target.timeoutMs);
    // A client span per POST (with tracing on); its `traceparent` is outside the signed content.
    const res = await inCallSpan(
      `POST ${spec.peer}`,
      { 'http.request.method': 'POST', 'webhook.type': spec.type, 'webhook.attempt': ctx.info.attempt },
      () =>
        client.post(target.url, body, {
          headers: withTraceContext(webhookHeaders(spec.webhookId, body, target.signer)),
          timeout: target.timeoutMs,
          signal: AbortSignal.any([ctx.cancellationSignal, deadline]),
        }),
      (answer) => ({
        attributes: {
          'http.response.status_code': answer.status,
          'webhook.answer.class': classifyDownstreamStatus(answer.status),
        },
        failed: classifyDownstreamStatus(answer.status) !== 'done',
      }),
    );
    return res.status;
  } catch (err) {
    const reason = err instanceof AxiosError ? (err.code ?? 'network error') : 'network error';
    spec.onFailure?.('transient');
    ctx.log.warn(`${spec.what} request failed: retrying`, { ...logContext, reason });
    throw ApplicationFailure.create({
      type: spec.errorTypes.transient,
      message: `${spec.peer} did not answer (${reason}); retrying`,
    });
  }
}

/** The failure an answer that is not "done" raises, logged at the level it deserves. */
function answerFailure(
  verdict: DownstreamFailureKind,
  status: number,
  target: DownstreamTarget,
  spec: DownstreamPost,
  logContext: Record<string, unknown>,
): ApplicationFailure {
  const log = Context.current().log;
  if (verdict === 'unauthorized') {
    const seconds = Math.round(target.authRetryDelayMs / 1_000);
    log.warn(
      `${spec.peer} does not accept our signature on ${spec.what} (${status}): retrying in ${seconds}s; it must accept one of the COMPENSATION_HMAC_SECRET secrets`,
      { ...logContext, status },
    );
    return ApplicationFailure.create({
      type: ErrorType.DOWNSTREAM_UNAUTHORIZED,
      message: `${spec.peer} answered ${status} to ${spec.what}: our signature is not (yet) accepted; retrying in ${seconds}s`,
      details: [{ status }],
      nextRetryDelay: target.authRetryDelayMs,
    });
  }
  if (verdict === 'transient') {
    log.warn(`${spec.peer} failed ${spec.what}: retrying`, { ...logContext, status });
    return ApplicationFailure.create({
      type: spec.errorTypes.transient,
      message: `${spec.peer} answered ${status}; retrying`,
      details: [{ status }],
    });
  }
  log.error(`${spec.peer} refused ${spec.what}: it needs a human`, { ...logContext, status });
  return ApplicationFailure.create({
    type: spec.errorTypes.rejected,
    nonRetryable: true,
    message: `${spec.peer} refused ${spec.what} with ${status}`,
    details: [{ status }],
  });
}
