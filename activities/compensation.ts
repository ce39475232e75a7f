/**
 * The compensation activity: one downstream POST per sub-order, under the same Idempotency-Key on every attempt,
 * HMAC-signed when a secret is configured.
 */
import { createHmac, type KeyObject } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import axios, { AxiosError } from 'axios';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { ErrorType } from '../workflows/errors';
import type { CompensationRequest, CompensationResult } from '../workflows/types';
import type { Metrics } from '../worker/metrics';

/** Header names of the compensation request (**contract**). */
export const CompensationHeaders = {
  IDEMPOTENCY_KEY: 'Idempotency-Key',
  TIMESTAMP: 'X-Compensation-Timestamp',
  SIGNATURE: 'X-Compensation-Signature',
} as const;

/** What the compensation activity needs from the worker. Holds the HMAC secret: never log it. */
export interface CompensationDeps {
  url: string;
  /** HMAC-SHA256 secret as a KeyObject, when requests are signed. */
  hmacKey?: KeyObject;
  timeoutMs: number;
  metrics?: Metrics;
}

/** The idempotency key of one sub-order's compensation: the same on every retry (**contract**). */
export function idempotencyKey(request: Pick<CompensationRequest, 'combineOutTradeNo' | 'outTradeNo'>): string {
  return `${request.combineOutTradeNo}:${request.outTradeNo}`;
}

/** The signature header value: `sha256=<hex HMAC-SHA256 over "<timestamp>.<body>">`. */
export function compensationSignature(key: KeyObject, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Creates `compensateSubOrder`. */
export function createCompensationActivity(
  deps: CompensationDeps,
): (request: CompensationRequest) => Promise<CompensationResult> {
  const http1 = axios.create({
    timeout: deps.timeoutMs,
    maxRedirects: 0,
    maxContentLength: 64 * 1024,
    validateStatus: () => true,
    httpAgent: new http.Agent({ keepAlive: true }),
    httpsAgent: new https.Agent({ keepAlive: true }),
    // The body is sent exactly as signed.
    transformRequest: [(data: unknown) => data],
  });
  return async function compensateSubOrder(request: CompensationRequest): Promise<CompensationResult> {
    const ctx = Context.current();
    const attempt = ctx.info.attempt;
    const body = JSON.stringify({
      combineOutTradeNo: request.combineOutTradeNo,
      outTradeNo: request.outTradeNo,
      mchid: request.mchid,
      subMchid: request.subMchid,
      reason: request.reason,
      reverseOutcome: request.reverseOutcome,
    });
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      [CompensationHeaders.IDEMPOTENCY_KEY]: idempotencyKey(request),
    };
    if (deps.hmacKey) {
      const timestamp = String(Math.floor(Date.now() / 1000));
      headers[CompensationHeaders.TIMESTAMP] = timestamp;
      headers[CompensationHeaders.SIGNATURE] = compensationSignature(deps.hmacKey, timestamp, body);
    }
    const logContext = { combineOutTradeNo: request.combineOutTradeNo, outTradeNo: request.outTradeNo, attempt };
    let status: number;
    try {
      const deadline = AbortSignal.timeout(deps.timeoutMs);
      const res = await http1.post(deps.url, body, {
        headers,
        signal: AbortSignal.any([ctx.cancellationSignal, deadline]),
      });
      status = res.status;
    } catch (err) {
      const reason = err instanceof AxiosError ? (err.code ?? 'network error') : 'network error';
      deps.metrics?.compensationFailure('transient');
      ctx.log.warn('compensation request failed: retrying', { ...logContext, reason });
      throw ApplicationFailure.create({
        type: ErrorType.COMPENSATION_TRANSIENT,
        message: `the order service did not answer (${reason}); retrying`,
      });
    }
    if ((status >= 200 && status < 300) || status === 409) {
      ctx.log.info('sub-order compensated', { ...logContext, status });
      return { httpStatus: status, alreadyCompensated: status === 409, attempt };
    }
    if (status >= 500 || status === 408 || status === 429) {
      deps.metrics?.compensationFailure('transient');
      ctx.log.warn('order service failed: retrying', { ...logContext, status });
      throw ApplicationFailure.create({
        type: ErrorType.COMPENSATION_TRANSIENT,
        message: `the order service answered ${status}; retrying`,
        details: [{ status }],
      });
    }
    deps.metrics?.compensationFailure('rejected');
    ctx.log.error('order service refused the compensation: it needs a human', { ...logContext, status });
    throw ApplicationFailure.create({
      type: ErrorType.COMPENSATION_REJECTED,
      nonRetryable: true,
      message: `the order service refused the compensation with ${status}`,
      details: [{ status }],
    });
  };
}
