/**
 * The compensation activity: one Standard Webhooks POST per sub-order (`type: "sub_order.compensate"`, `webhook-id`
 * from {@link compensationWebhookId}, the idempotency key), signed with every configured secret
 * (the shared downstream POST: `downstream.ts`).
 */
import type { KeyObject } from 'node:crypto';
import { compensationWebhookId, DownstreamEventType, ErrorType, type CompensationRequest } from '../workflows/contract';
import type { CompensationResult } from './types';
import { countDownstreamFailure, type Metrics } from './metrics';
import { createDownstreamPoster, createWebhookSigner } from './downstream';

/** What the compensation activity needs from the worker. Holds the webhook secrets: never log it. */
export interface CompensationDeps {
  url: string;
  /** The Standard Webhooks secrets (`COMPENSATION_HMAC_SECRET`), one signature each; absent when unsigned. */
  webhookSecrets?: readonly KeyObject[];
  timeoutMs: number;
  /** Delay before the next attempt after a 401/403 (`COMPENSATION_AUTH_RETRY_DELAY`). */
  authRetryDelayMs: number;
  metrics?: Metrics;
}

/**
 * The compensation's `data` (**contract**): exactly `{ combineOutTradeNo, outTradeNo, mchid, subMchid, reason,
 * reverseOutcome, tradeState }` (`tradeState` left out only for a request of an order started before it existed).
 */
export function compensationData(request: CompensationRequest): Record<string, unknown> {
  return {
    combineOutTradeNo: request.combineOutTradeNo,
    outTradeNo: request.outTradeNo,
    mchid: request.mchid,
    subMchid: request.subMchid,
    reason: request.reason,
    reverseOutcome: request.reverseOutcome,
    ...(request.tradeState !== undefined ? { tradeState: request.tradeState } : {}),
  };
}

/**
 * Creates `compensateSubOrder`: 2xx or 409 → done (`alreadyCompensated` on 409); 401/403 → DOWNSTREAM_UNAUTHORIZED
 * (retried after `authRetryDelayMs`); other 4xx → COMPENSATION_REJECTED (non-retryable); 5xx, 408, 429, network →
 * COMPENSATION_TRANSIENT.
 */
export function createCompensationActivity(
  deps: CompensationDeps,
): (request: CompensationRequest) => Promise<CompensationResult> {
  const post = createDownstreamPoster();
  const signer = deps.webhookSecrets?.length ? createWebhookSigner(deps.webhookSecrets) : undefined;
  const target = { url: deps.url, timeoutMs: deps.timeoutMs, authRetryDelayMs: deps.authRetryDelayMs };
  return async function compensateSubOrder(request: CompensationRequest): Promise<CompensationResult> {
    const delivery = await post(signer ? { ...target, signer } : target, {
      what: 'the compensation',
      peer: 'the order service',
      webhookId: compensationWebhookId(request),
      type: DownstreamEventType.compensation,
      data: compensationData(request),
      errorTypes: { transient: ErrorType.COMPENSATION_TRANSIENT, rejected: ErrorType.COMPENSATION_REJECTED },
      logContext: {
        combineOutTradeNo: request.combineOutTradeNo,
        outTradeNo: request.outTradeNo,
        ...(request.tradeState ? { tradeState: request.tradeState } : {}),
      },
      onFailure: (kind) => countDownstreamFailure(deps.metrics, 'compensation', kind),
    });
    return { httpStatus: delivery.httpStatus, alreadyCompensated: delivery.duplicate, attempt: delivery.attempt };
  };
}
