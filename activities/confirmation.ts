/**
 * The payment confirmation activity (ADOPT): one signed, idempotent POST to PAYMENT_CONFIRMATION_URL announcing an
 * order the query showed paid (the shared downstream POST: `downstream.ts`).
 */
import type { KeyObject } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { ErrorType, type PaymentConfirmationRequest, type PaymentConfirmationResult } from '../workflows/contract';
import type { Metrics } from './metrics';
import { createDownstreamPoster } from './downstream';

/** What the confirmation activity needs from the worker. Holds the HMAC secret: never log it. */
export interface ConfirmationDeps {
  /** Absent when PAYMENT_CONFIRMATION_URL is not configured: the activity then fails retryably (WORKER_MISCONFIGURED). */
  url?: string;
  /** HMAC-SHA256 secret (`COMPENSATION_HMAC_SECRET`, shared with compensation), when requests are signed. */
  hmacKey?: KeyObject;
  timeoutMs: number;
  metrics?: Metrics;
}

/** The idempotency key of an order's payment confirmation: `<combineOutTradeNo>:paid` (**contract**). */
function confirmationIdempotencyKey(request: Pick<PaymentConfirmationRequest, 'combineOutTradeNo'>): string {
  return `${request.combineOutTradeNo}:paid`;
}

/**
 * The confirmation body (**contract**): exactly `{ combineOutTradeNo, source: "WECHATPAY_QUERY", subOrders:
 * [{ outTradeNo, mchid, subMchid, transactionId? }] }`.
 */
function confirmationBody(request: PaymentConfirmationRequest): string {
  return JSON.stringify({
    combineOutTradeNo: request.combineOutTradeNo,
    source: 'WECHATPAY_QUERY',
    subOrders: request.subOrders.map((s) => ({
      outTradeNo: s.outTradeNo,
      mchid: s.mchid,
      subMchid: s.subMchid,
      ...(s.transactionId !== undefined ? { transactionId: s.transactionId } : {}),
    })),
  });
}

/**
 * Creates `confirmPayment`: 2xx or 409 → done (`alreadyConfirmed` on 409); other 4xx → CONFIRMATION_REJECTED
 * (non-retryable); 5xx, 408, 429, network → CONFIRMATION_TRANSIENT. Without a configured URL it fails retryably with
 * WORKER_MISCONFIGURED naming PAYMENT_CONFIRMATION_URL: configuring the worker and restarting it resumes.
 */
export function createConfirmationActivity(
  deps: ConfirmationDeps,
): (request: PaymentConfirmationRequest) => Promise<PaymentConfirmationResult> {
  const post = createDownstreamPoster();
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
    const delivery = await post(
      { url: deps.url, ...(deps.hmacKey ? { hmacKey: deps.hmacKey } : {}), timeoutMs: deps.timeoutMs },
      {
        what: 'the payment confirmation',
        peer: 'the payment-confirmation endpoint',
        body: confirmationBody(request),
        idempotencyKey: confirmationIdempotencyKey(request),
        errorTypes: { transient: ErrorType.CONFIRMATION_TRANSIENT, rejected: ErrorType.CONFIRMATION_REJECTED },
        logContext,
        onFailure: (kind) => deps.metrics?.confirmationFailure(kind),
      },
    );
    return { httpStatus: delivery.httpStatus, alreadyConfirmed: delivery.duplicate, attempt: delivery.attempt };
  };
}
