/**
 * The one downstream POST of the product's own systems (compensation and payment confirmation): the JSON body sent
 * exactly as signed, the same `Idempotency-Key` on every retry, an HMAC-SHA256 signature over
 * `<timestamp>.<Idempotency-Key>.<body>` when a secret is configured, a whole-call deadline tied to the activity's
 * cancellation, and one set of answer rules (**contract**): 2xx or 409 = done; other 4xx = cannot succeed
 * (non-retryable); 5xx, 408, 429, network = retry.
 */
import { createHmac, type KeyObject } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import axios, { AxiosError } from 'axios';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { DownstreamHeaders, type ErrorType } from '../workflows/contract';
import type { DownstreamFailureKind } from './metrics';

/** Largest downstream answer body read. */
const MAX_DOWNSTREAM_ANSWER_BYTES = 64 * 1024;

/**
 * The signature header value: `sha256=<hex HMAC-SHA256 over "<timestamp>.<idempotencyKey>.<body>">`. The key is
 * covered so that a captured body replayed under another Idempotency-Key does not verify.
 *
 * @param key - the HMAC secret (`COMPENSATION_HMAC_SECRET`) as a KeyObject
 * @param timestamp - Unix seconds, as sent in `X-Compensation-Timestamp`
 * @param idempotencyKey - the `Idempotency-Key` header sent with the body
 * @param body - the exact body bytes sent
 */
export function downstreamSignature(key: KeyObject, timestamp: string, idempotencyKey: string, body: string): string {
  return `sha256=${createHmac('sha256', key).update(`${timestamp}.${idempotencyKey}.${body}`).digest('hex')}`;
}

/** Where and how a downstream POST goes. Holds the HMAC secret: never log it. */
interface DownstreamTarget {
  url: string;
  /** HMAC-SHA256 secret as a KeyObject, when requests are signed. */
  hmacKey?: KeyObject;
  /** Whole-call deadline. */
  timeoutMs: number;
}

/** One POST. */
interface DownstreamPost {
  /** For messages: "the compensation", "the payment confirmation". */
  what: string;
  /** For messages: who answers, e.g. "the order service". */
  peer: string;
  /** The JSON body, already serialised: sent and signed exactly as given. */
  body: string;
  idempotencyKey: string;
  /** The failure types of this call. */
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
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      [DownstreamHeaders.IDEMPOTENCY_KEY]: spec.idempotencyKey,
    };
    if (target.hmacKey) {
      const timestamp = String(Math.floor(Date.now() / 1000));
      headers[DownstreamHeaders.TIMESTAMP] = timestamp;
      headers[DownstreamHeaders.SIGNATURE] = downstreamSignature(
        target.hmacKey,
        timestamp,
        spec.idempotencyKey,
        spec.body,
      );
    }
    const logContext = { ...spec.logContext, attempt };
    let status: number;
    try {
      const deadline = AbortSignal.timeout(target.timeoutMs);
      const res = await client.post(target.url, spec.body, {
        headers,
        timeout: target.timeoutMs,
        signal: AbortSignal.any([ctx.cancellationSignal, deadline]),
      });
      status = res.status;
    } catch (err) {
      const reason = err instanceof AxiosError ? (err.code ?? 'network error') : 'network error';
      spec.onFailure?.('transient');
      ctx.log.warn(`${spec.what} request failed: retrying`, { ...logContext, reason });
      throw ApplicationFailure.create({
        type: spec.errorTypes.transient,
        message: `${spec.peer} did not answer (${reason}); retrying`,
      });
    }
    if ((status >= 200 && status < 300) || status === 409) {
      ctx.log.info(`${spec.what} delivered`, { ...logContext, status });
      return { httpStatus: status, duplicate: status === 409, attempt };
    }
    if (status >= 500 || status === 408 || status === 429) {
      spec.onFailure?.('transient');
      ctx.log.warn(`${spec.peer} failed ${spec.what}: retrying`, { ...logContext, status });
      throw ApplicationFailure.create({
        type: spec.errorTypes.transient,
        message: `${spec.peer} answered ${status}; retrying`,
        details: [{ status }],
      });
    }
    spec.onFailure?.('rejected');
    ctx.log.error(`${spec.peer} refused ${spec.what}: it needs a human`, { ...logContext, status });
    throw ApplicationFailure.create({
      type: spec.errorTypes.rejected,
      nonRetryable: true,
      message: `${spec.peer} refused ${spec.what} with ${status}`,
      details: [{ status }],
    });
  };
}
