/**
 * For the order service: checks a compensation or payment confirmation the worker sent, before acting on it. The
 * timestamp must be within ±5 minutes, the signature (`X-Compensation-Signature`, HMAC-SHA256 with the shared secret
 * over `<timestamp>.<Idempotency-Key>.<body>`) must match in constant time, and the Idempotency-Key must be present
 * (and the one the body implies, when the caller says which). Deduplicating by the key stays the service's job: answer
 * 409 (or the first answer again) for a key already done.
 */
import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';
import { DownstreamHeaders } from '../workflows/contract';

/** Why a request was refused (answer 401 for all but KEY_MISMATCH, which is 400). */
export const DownstreamRefusal = {
  MISSING_HEADER: 'MISSING_HEADER',
  STALE_TIMESTAMP: 'STALE_TIMESTAMP',
  BAD_SIGNATURE: 'BAD_SIGNATURE',
  KEY_MISMATCH: 'KEY_MISMATCH',
} as const;
/** One of {@link DownstreamRefusal}. */
export type DownstreamRefusal = (typeof DownstreamRefusal)[keyof typeof DownstreamRefusal];

/** The verdict on one request. */
export type DownstreamVerdict =
  { ok: true; idempotencyKey: string } | { ok: false; refusal: DownstreamRefusal; message: string };

/** Largest clock difference accepted between the worker and the order service, in seconds. */
export const DOWNSTREAM_MAX_SKEW_SECONDS = 300;

/** A received request: its headers (any case, as Node's `req.headers` or a plain object) and the raw body text. */
export interface DownstreamRequest {
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: string;
}

/** A header's value, whatever the case of its name. */
function header(headers: DownstreamRequest['headers'], name: string): string | undefined {
  const wanted = name.toLowerCase();
  const entry = Object.entries(headers).find(([k]) => k.toLowerCase() === wanted)?.[1];
  return Array.isArray(entry) ? entry[0] : entry;
}

/**
 * Verifies a downstream request against the shared secret (`COMPENSATION_HMAC_SECRET`).
 *
 * @param options.expectedIdempotencyKey - the key the body implies (`<combineOutTradeNo>:<outTradeNo>` for a
 *   compensation, `<combineOutTradeNo>:paid` for a payment confirmation), to refuse a body sent under another key
 * @param options.nowMs - the current time (tests)
 */
export function verifyDownstreamRequest(
  secret: string | KeyObject,
  request: DownstreamRequest,
  options: { expectedIdempotencyKey?: string; nowMs?: number } = {},
): DownstreamVerdict {
  const timestamp = header(request.headers, DownstreamHeaders.TIMESTAMP);
  const signature = header(request.headers, DownstreamHeaders.SIGNATURE);
  const key = header(request.headers, DownstreamHeaders.IDEMPOTENCY_KEY);
  const refuse = (refusal: DownstreamRefusal, message: string): DownstreamVerdict => ({ ok: false, refusal, message });
  if (!timestamp || !signature || !key) {
    return refuse(DownstreamRefusal.MISSING_HEADER, `${Object.values(DownstreamHeaders).join(', ')} are required`);
  }
  const skew = Math.abs((options.nowMs ?? Date.now()) / 1_000 - Number(timestamp));
  if (!/^\d{1,12}$/.test(timestamp) || skew > DOWNSTREAM_MAX_SKEW_SECONDS) {
    return refuse(DownstreamRefusal.STALE_TIMESTAMP, `${DownstreamHeaders.TIMESTAMP} is not within ±300 s of now`);
  }
  const mac = createHmac('sha256', secret).update(`${timestamp}.${key}.${request.body}`).digest('hex');
  const expected = Buffer.from(`sha256=${mac}`);
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return refuse(DownstreamRefusal.BAD_SIGNATURE, `${DownstreamHeaders.SIGNATURE} does not verify`);
  }
  if (options.expectedIdempotencyKey !== undefined && key !== options.expectedIdempotencyKey) {
    return refuse(DownstreamRefusal.KEY_MISMATCH, `Idempotency-Key does not match the body`);
  }
  return { ok: true, idempotencyKey: key };
}

/**
 * The Idempotency-Key a received body implies: `<combineOutTradeNo>:<outTradeNo>` for a compensation,
 * `<combineOutTradeNo>:paid` for a payment confirmation (no `outTradeNo`); undefined when the body is not such JSON.
 * Pass it as `expectedIdempotencyKey` to {@link verifyDownstreamRequest}.
 */
export function expectedIdempotencyKey(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { combineOutTradeNo?: unknown; outTradeNo?: unknown };
    if (typeof parsed.combineOutTradeNo !== 'string') return undefined;
    return `${parsed.combineOutTradeNo}:${typeof parsed.outTradeNo === 'string' ? parsed.outTradeNo : 'paid'}`;
  } catch {
    return undefined;
  }
}
