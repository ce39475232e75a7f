/**
 * The compensation activity: one downstream POST per sub-order, under the same Idempotency-Key on every attempt,
 * HMAC-signed when a secret is configured (the shared downstream POST: `downstream.ts`).
 */
import type { KeyObject } from 'node:crypto';
import { ErrorType, type CompensationRequest, type CompensationResult } from '../workflows/contract';
import type { Metrics } from './metrics';
import { createDownstreamPoster, downstreamSignature } from './downstream';

/** What the compensation activity needs from the worker. Holds the HMAC secret: never log it. */
export interface CompensationDeps {
  url: string;
  /** HMAC-SHA256 secret as a KeyObject, when requests are signed. */
  hmacKey?: KeyObject;
  timeoutMs: number;
  metrics?: Metrics;
}

/** The idempotency key of one sub-order's compensation: the same on every retry (**contract**). */
function idempotencyKey(request: Pick<CompensationRequest, 'combineOutTradeNo' | 'outTradeNo'>): string {
  return `${request.combineOutTradeNo}:${request.outTradeNo}`;
}

/**
 * The signature header value: `sha256=<hex HMAC-SHA256 over "<timestamp>.<Idempotency-Key>.<body>">` (**contract**).
 * The Idempotency-Key is covered, so a captured body replayed under another key no longer verifies.
 *
 * @param key - the HMAC secret (`COMPENSATION_HMAC_SECRET`) as a KeyObject
 * @param timestamp - Unix seconds, as sent in `X-Compensation-Timestamp`
 * @param idempotencyKey - the `Idempotency-Key` header, e.g. `<combineOutTradeNo>:<outTradeNo>`
 * @param body - the exact body bytes sent
 */
export function compensationSignature(key: KeyObject, timestamp: string, idempotencyKey: string, body: string): string {
  return downstreamSignature(key, timestamp, idempotencyKey, body);
}

/** The compensation body (**contract**): exactly these fields, `tradeState` only when the request has it. */
function compensationBody(request: CompensationRequest): string {
  return JSON.stringify({
    combineOutTradeNo: request.combineOutTradeNo,
    outTradeNo: request.outTradeNo,
    mchid: request.mchid,
    subMchid: request.subMchid,
    reason: request.reason,
    reverseOutcome: request.reverseOutcome,
    ...(request.tradeState !== undefined ? { tradeState: request.tradeState } : {}),
  });
}

/**
 * Creates `compensateSubOrder`: 2xx or 409 → done (`alreadyCompensated` on 409); other 4xx →
 * COMPENSATION_REJECTED (non-retryable); 5xx, 408, 429, network → COMPENSATION_TRANSIENT.
 */
export function createCompensationActivity(
  deps: CompensationDeps,
): (request: CompensationRequest) => Promise<CompensationResult> {
  const post = createDownstreamPoster();
  return async function compensateSubOrder(request: CompensationRequest): Promise<CompensationResult> {
    const delivery = await post(deps, {
      what: 'the compensation',
      peer: 'the order service',
      body: compensationBody(request),
      idempotencyKey: idempotencyKey(request),
      errorTypes: { transient: ErrorType.COMPENSATION_TRANSIENT, rejected: ErrorType.COMPENSATION_REJECTED },
      logContext: {
        combineOutTradeNo: request.combineOutTradeNo,
        outTradeNo: request.outTradeNo,
        ...(request.tradeState ? { tradeState: request.tradeState } : {}),
      },
      onFailure: (kind) => deps.metrics?.compensationFailure(kind),
    });
    return { httpStatus: delivery.httpStatus, alreadyCompensated: delivery.duplicate, attempt: delivery.attempt };
  };
}
