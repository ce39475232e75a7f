/**
 * The payment confirmation activity (ADOPT): one Standard Webhooks POST to PAYMENT_CONFIRMATION_URL announcing an
 * order the query showed paid (`type: "order.paid"`, `webhook-id` from {@link confirmationWebhookId}, the idempotency key; the
 * shared downstream POST: `downstream.ts`).
 */
import type { KeyObject } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import {
  confirmationWebhookId,
  DownstreamEventType,
  ErrorType,
  type PaymentConfirmationRequest,
} from '../workflows/contract';
import type { PaymentConfirmationResult } from './types';
import { countDownstreamFailure, type Metrics } from './metrics';
import { createDownstreamPoster, createWebhookSigner } from './downstream';

/** What the confirmation activity needs from the worker. Holds the webhook secrets: never log it. */
export interface ConfirmationDeps {
  /** Absent when PAYMENT_CONFIRMATION_URL is not configured: the activity then fails retryably (WORKER_MISCONFIGURED). */
  url?: string;
  /** The Standard Webhooks secrets (`COMPENSATION_HMAC_SECRET`, shared with compensation); absent when unsigned. */
  webhookSecrets?: readonly KeyObject[];
  timeoutMs: number;
  /** Delay before the next attempt after a 401/403 (`COMPENSATION_AUTH_RETRY_DELAY`). */
  authRetryDelayMs: number;
  metrics?: Metrics;
}

/**
 * The confirmation's `data` (**contract**): exactly `{ combineOutTradeNo, source: "WECHATPAY_QUERY", subOrders:
 * [{ outTradeNo, mchid, subMchid, transactionId? }] }`.
 */
export function confirmationData(request: PaymentConfirmationRequest): Record<string, unknown> {
  return {
    combineOutTradeNo: request.combineOutTradeNo,
    source: 'WECHATPAY_QUERY',
    subOrders: request.subOrders.map((s) => ({
      outTradeNo: s.outTradeNo,
      mchid: s.mchid,
      subMchid: s.subMchid,
      ...(s.transactionId !== undefined ? { transactionId: s.transactionId } : {}),
    })),
  };
}

/**
 * Creates `confirmPayment`: 2xx or 409 → done (`alreadyConfirmed` on 409); 401/403 → DOWNSTREAM_UNAUTHORIZED (retried
 * after `authRetryDelayMs`); other 4xx → CONFIRMATION_REJECTED (non-retryable); 5xx, 408, 429, network →
 * CONFIRMATION_TRANSIENT. Without a configured URL it fails retryably with WORKER_MISCONFIGURED naming
 * PAYMENT_CONFIRMATION_URL: configuring the worker and restarting it resumes.
 */
export function createConfirmationActivity(
  deps: ConfirmationDeps,
): (request: PaymentConfirmationRequest) => Promise<PaymentConfirmationResult> {
  const post = createDownstreamPoster();
  const signer = deps.webhookSecrets?.length ? createWebhookSigner(deps.webhookSecrets) : undefined;
  return async function confirmPayment(request: PaymentConfirmationRequest): Promise<PaymentConfirmationResult> {
    const logContext = { combineOutTradeNo: request.combineOutTradeNo, subOrders: request.subOrders.length };
    if (!deps.url) {
      Context.current().log.error(
        'PAYMENT_CONFIRMATION_URL is not configured: an adopted order cannot be announced; set it and restart the worker',
        logContext,
      );
      throw ApplicationFailure.create({
        type: ErrorType.WORKER_MISCONFIGURED,
        message: 'PAYMENT_CONFIRMATION_URL is not configured on the worker; set it and restart the worker to resume',
      });
    }
    const target = { url: deps.url, timeoutMs: deps.timeoutMs, authRetryDelayMs: deps.authRetryDelayMs };
    const delivery = await post(signer ? { ...target, signer } : target, {
      what: 'the payment confirmation',
      peer: 'the payment-confirmation endpoint',
      webhookId: confirmationWebhookId(request),
      type: DownstreamEventType.confirmation,
      data: confirmationData(request),
      errorTypes: { transient: ErrorType.CONFIRMATION_TRANSIENT, rejected: ErrorType.CONFIRMATION_REJECTED },
      logContext,
      onFailure: (kind) => countDownstreamFailure(deps.metrics, 'confirmation', kind),
    });
    return { httpStatus: delivery.httpStatus, alreadyConfirmed: delivery.duplicate, attempt: delivery.attempt };
  };
}
