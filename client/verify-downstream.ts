/**
 * For the order service (or whoever serves `COMPENSATION_URL` / `PAYMENT_CONFIRMATION_URL`): checks a request the
 * worker sent before acting on it. The requests are Standard Webhooks: the signature is checked by the maintained
 * `standardwebhooks` library (`Webhook.verify`: `webhook-timestamp` within ±5 minutes, one of the `v1,…` signatures
 * in `webhook-signature` matching in constant time) against one or several secrets (`whsec_…`: keep the old and the
 * new while the worker's `COMPENSATION_HMAC_SECRET` rotates). Then the purpose: the caller states what its endpoint
 * expects, and a request whose `webhook-id` prefix, body `type` or `data` is not that purpose's is refused, so a
 * compensation never verifies as a payment confirmation. Deduplicating by the webhook-id stays the service's job:
 * answer 409 (or the first answer again) for an id already done.
 */
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import {
  compensationWebhookId,
  CompensationReason,
  confirmationWebhookId,
  DownstreamEventType,
  DownstreamHeaders,
  ReverseOutcome,
  type CompensationRequest,
  type ConfirmedTradeState,
  type DownstreamPurpose,
  type PaymentConfirmationRequest,
} from '../workflows/contract';

/** Why a request was refused; answer with {@link DOWNSTREAM_REFUSAL_STATUS}. */
export const DownstreamRefusal = {
  /** `webhook-id`, `webhook-timestamp` or `webhook-signature` is missing. */
  MISSING_HEADER: 'MISSING_HEADER',
  /** `webhook-timestamp` is not Unix seconds within ±5 minutes of now. */
  STALE_TIMESTAMP: 'STALE_TIMESTAMP',
  /** No signature in `webhook-signature` verifies with any of the secrets. */
  BAD_SIGNATURE: 'BAD_SIGNATURE',
  /** The order service's own secrets are unusable (not `whsec_<base64>`, or none): fix its configuration. */
  BAD_SECRET: 'BAD_SECRET',
  /** A genuine request for another endpoint: its `webhook-id` prefix or body `type` is not the expected purpose's. */
  WRONG_PURPOSE: 'WRONG_PURPOSE',
  /** The body is not `{ type, timestamp, data }` with the purpose's data fields. */
  BAD_BODY: 'BAD_BODY',
  /** The `webhook-id` (or `Idempotency-Key`) is not the one the data implies. */
  KEY_MISMATCH: 'KEY_MISMATCH',
} as const;
/** One of {@link DownstreamRefusal}. */
export type DownstreamRefusal = (typeof DownstreamRefusal)[keyof typeof DownstreamRefusal];

/**
 * The HTTP status to answer a refusal with: 401 when the request is not (provably) ours, so the worker retries slowly
 * and alerts instead of giving up (a secret rotation); 400 for a genuine request that cannot succeed.
 */
export const DOWNSTREAM_REFUSAL_STATUS: Readonly<Record<DownstreamRefusal, 400 | 401>> = {
  MISSING_HEADER: 401,
  STALE_TIMESTAMP: 401,
  BAD_SIGNATURE: 401,
  BAD_SECRET: 401,
  WRONG_PURPOSE: 400,
  BAD_BODY: 400,
  KEY_MISMATCH: 400,
};

/** Largest clock difference accepted between the worker and the order service, in seconds (the library's). */
export const DOWNSTREAM_MAX_SKEW_SECONDS = 300;

/** A compensation's `data` (`tradeState` absent only from orders started before it existed). */
export type CompensationWebhookData = Omit<CompensationRequest, 'tradeState'> & { tradeState?: ConfirmedTradeState };

/** A payment confirmation's `data`. */
export type ConfirmationWebhookData = PaymentConfirmationRequest;

/** The `data` of each purpose. */
export interface DownstreamWebhookData {
  compensation: CompensationWebhookData;
  confirmation: ConfirmationWebhookData;
}

/** An accepted request: what it is for, its idempotency key (`webhookId`) and its checked body. */
export interface DownstreamWebhook<P extends DownstreamPurpose = DownstreamPurpose> {
  purpose: P;
  /** The `webhook-id`: deduplicate by it. */
  webhookId: string;
  /** The body's `type`. */
  type: (typeof DownstreamEventType)[P];
  /** The body's `timestamp` (ISO-8601): when the worker first scheduled the request. */
  timestamp: string;
  data: DownstreamWebhookData[P];
}

/** The verdict on one request. */
export type DownstreamVerdict<P extends DownstreamPurpose = DownstreamPurpose> =
  ({ ok: true } & DownstreamWebhook<P>) | { ok: false; refusal: DownstreamRefusal; message: string };

/** A received request: its headers (any case, as Node's `req.headers` or a plain object) and the raw body text. */
export interface DownstreamRequest {
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: string;
}

/** The headers with lower-case names and one value each. */
function normalHeaders(headers: DownstreamRequest['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name.toLowerCase()] = first;
  }
  return out;
}

/** A refusal. */
function refuse(
  refusal: DownstreamRefusal,
  message: string,
): { ok: false; refusal: DownstreamRefusal; message: string } {
  return { ok: false, refusal, message };
}

/**
 * Verifies a downstream request: Standard Webhooks signature (the `standardwebhooks` library) with any of `secrets`,
 * then that it is the `purpose` the endpoint expects, with well-formed data under the webhook-id that data implies.
 *
 * @param secrets - one `whsec_…` secret, or several (during a rotation: the old and the new)
 * @param request - the headers and the raw body exactly as received
 * @param purpose - what this endpoint serves: `compensation` (`COMPENSATION_URL`) or `confirmation`
 *   (`PAYMENT_CONFIRMATION_URL`)
 */
export function verifyDownstreamRequest<P extends DownstreamPurpose>(
  secrets: string | readonly string[],
  request: DownstreamRequest,
  purpose: P,
): DownstreamVerdict<P> {
  const webhooks = webhooksOf(secrets);
  if (!webhooks.ok) return webhooks;
  const headers = normalHeaders(request.headers);
  const { WEBHOOK_ID, TIMESTAMP, SIGNATURE } = DownstreamHeaders;
  if (!headers[WEBHOOK_ID] || !headers[TIMESTAMP] || !headers[SIGNATURE]) {
    return refuse(DownstreamRefusal.MISSING_HEADER, `${WEBHOOK_ID}, ${TIMESTAMP} and ${SIGNATURE} are required`);
  }
  const timestamp = headers[TIMESTAMP];
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(Date.now() / 1_000 - Number(timestamp)) > DOWNSTREAM_MAX_SKEW_SECONDS) {
    return refuse(DownstreamRefusal.STALE_TIMESTAMP, `${TIMESTAMP} is not Unix seconds within ±300 s of now`);
  }
  const verified = webhooks.list.some((webhook) => {
    try {
      webhook.verify(request.body, headers, { jsonParse: false });
      return true;
    } catch (err) {
      if (err instanceof WebhookVerificationError) return false;
      throw err;
    }
  });
  if (!verified) {
    return refuse(
      DownstreamRefusal.BAD_SIGNATURE,
      `${SIGNATURE} does not verify with any of the ${webhooks.list.length} secret(s)`,
    );
  }
  return readDownstreamWebhook(request, purpose);
}

/** One library verifier per secret, or BAD_SECRET naming the entry (never its value). */
function webhooksOf(secrets: string | readonly string[]): { ok: true; list: Webhook[] } | ReturnType<typeof refuse> {
  const list = typeof secrets === 'string' ? secrets.split(/\s+/).filter(Boolean) : secrets;
  if (list.length === 0)
    return refuse(DownstreamRefusal.BAD_SECRET, 'secrets: at least one whsec_… secret is required');
  const webhooks: Webhook[] = [];
  for (const [i, secret] of list.entries()) {
    try {
      if (!secret.startsWith('whsec_')) throw new Error('no whsec_ prefix');
      webhooks.push(new Webhook(secret));
    } catch {
      return refuse(DownstreamRefusal.BAD_SECRET, `secrets[${i}] is not a Standard Webhooks secret (whsec_<base64>)`);
    }
  }
  return { ok: true, list: webhooks };
}

/**
 * The purpose check alone, without the signature: the request's webhook-id, body and data must be `purpose`'s. For
 * {@link verifyDownstreamRequest}, and for a receiver of a worker that runs with `COMPENSATION_UNSIGNED=allow`.
 *
 * @param request - the headers and the raw body exactly as received
 * @param purpose - what this endpoint serves
 */
export function readDownstreamWebhook<P extends DownstreamPurpose>(
  request: DownstreamRequest,
  purpose: P,
): DownstreamVerdict<P> {
  const headers = normalHeaders(request.headers);
  const id = headers[DownstreamHeaders.WEBHOOK_ID];
  if (!id) return refuse(DownstreamRefusal.MISSING_HEADER, `${DownstreamHeaders.WEBHOOK_ID} is required`);
  if (!id.startsWith(`${purpose}:`)) {
    return refuse(
      DownstreamRefusal.WRONG_PURPOSE,
      `${DownstreamHeaders.WEBHOOK_ID} is not a ${purpose}'s (${purpose}:…)`,
    );
  }
  const body = parseObject(request.body);
  if (!body) return refuse(DownstreamRefusal.BAD_BODY, 'the body must be a JSON object { type, timestamp, data }');
  const type = DownstreamEventType[purpose];
  if (body.type !== type) return refuse(DownstreamRefusal.WRONG_PURPOSE, `type must be "${type}" for a ${purpose}`);
  if (typeof body.timestamp !== 'string' || Number.isNaN(Date.parse(body.timestamp))) {
    return refuse(DownstreamRefusal.BAD_BODY, 'timestamp must be an ISO-8601 string');
  }
  const data = DATA_CHECKS[purpose](body.data);
  if (!data.ok) return refuse(DownstreamRefusal.BAD_BODY, data.message);
  if (id !== data.webhookId) {
    return refuse(DownstreamRefusal.KEY_MISMATCH, `${DownstreamHeaders.WEBHOOK_ID} is not the one the data implies`);
  }
  const key = headers[DownstreamHeaders.IDEMPOTENCY_KEY.toLowerCase()];
  if (key !== undefined && key !== id) {
    return refuse(
      DownstreamRefusal.KEY_MISMATCH,
      `${DownstreamHeaders.IDEMPOTENCY_KEY} differs from ${DownstreamHeaders.WEBHOOK_ID}`,
    );
  }
  return { ok: true, purpose, webhookId: id, type, timestamp: body.timestamp, data: data.data };
}

/** A JSON object, or undefined. */
function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A checked `data`, with the webhook-id it implies; or the first bad field. */
type DataCheck<T> = { ok: true; data: T; webhookId: string } | { ok: false; message: string };

/** The sub-order states a compensation carries (**contract**). */
const CONFIRMED_TRADE_STATES: readonly ConfirmedTradeState[] = ['CLOSED', 'REVOKED', 'REFUND', 'NOT_FOUND'];

/** Each purpose's data check. */
const DATA_CHECKS: { [P in DownstreamPurpose]: (data: unknown) => DataCheck<DownstreamWebhookData[P]> } = {
  compensation: checkCompensationData,
  confirmation: checkConfirmationData,
};

/** The first of `fields` of `value` that is not a non-empty string, as a message naming it; undefined when all are. */
function missingString(value: Record<string, unknown>, fields: readonly string[], prefix: string): string | undefined {
  const bad = fields.find((f) => typeof value[f] !== 'string' || value[f] === '');
  return bad === undefined ? undefined : `${prefix}${bad} must be a non-empty string`;
}

/** `{ combineOutTradeNo, outTradeNo, mchid, subMchid, reason, reverseOutcome, tradeState? }`. */
function checkCompensationData(value: unknown): DataCheck<CompensationWebhookData> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, message: 'data must be an object' };
  }
  const data = value as Record<string, unknown>;
  const missing = missingString(data, ['combineOutTradeNo', 'outTradeNo', 'mchid', 'subMchid'], 'data.');
  if (missing) return { ok: false, message: missing };
  if (!Object.values<unknown>(CompensationReason).includes(data.reason)) {
    return { ok: false, message: `data.reason must be one of ${Object.values(CompensationReason).join(', ')}` };
  }
  if (!Object.values<unknown>(ReverseOutcome).includes(data.reverseOutcome)) {
    return { ok: false, message: `data.reverseOutcome must be one of ${Object.values(ReverseOutcome).join(', ')}` };
  }
  if (data.tradeState !== undefined && !CONFIRMED_TRADE_STATES.includes(data.tradeState as ConfirmedTradeState)) {
    return { ok: false, message: `data.tradeState must be one of ${CONFIRMED_TRADE_STATES.join(', ')}` };
  }
  const checked = data as unknown as CompensationWebhookData;
  return { ok: true, data: checked, webhookId: compensationWebhookId(checked) };
}

/** `{ combineOutTradeNo, source: "WECHATPAY_QUERY", subOrders: [{ outTradeNo, mchid, subMchid, transactionId? }] }`. */
function checkConfirmationData(value: unknown): DataCheck<ConfirmationWebhookData> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, message: 'data must be an object' };
  }
  const data = value as Record<string, unknown>;
  const missing = missingString(data, ['combineOutTradeNo'], 'data.');
  if (missing) return { ok: false, message: missing };
  if (data.source !== 'WECHATPAY_QUERY') return { ok: false, message: 'data.source must be "WECHATPAY_QUERY"' };
  if (!Array.isArray(data.subOrders) || data.subOrders.length === 0) {
    return { ok: false, message: 'data.subOrders must be a non-empty array' };
  }
  for (const [i, sub] of (data.subOrders as unknown[]).entries()) {
    const s = (typeof sub === 'object' && sub !== null ? sub : {}) as Record<string, unknown>;
    const bad = missingString(s, ['outTradeNo', 'mchid', 'subMchid'], `data.subOrders[${i}].`);
    if (bad) return { ok: false, message: bad };
    if (s.transactionId !== undefined && typeof s.transactionId !== 'string') {
      return { ok: false, message: `data.subOrders[${i}].transactionId must be a string when present` };
    }
  }
  const checked = data as unknown as ConfirmationWebhookData;
  return { ok: true, data: checked, webhookId: confirmationWebhookId(checked) };
}

/**
 * The webhook-id a received body implies (by its `type` and `data`): `compensation:<combineOutTradeNo>:<outTradeNo>`
 * or `confirmation:<combineOutTradeNo>`; undefined when the body is not such a webhook. For deduplicating before the
 * work is done; {@link verifyDownstreamRequest} already refuses a request sent under another id.
 */
export function expectedWebhookId(body: string): string | undefined {
  const parsed = parseObject(body);
  const purpose = (Object.keys(DownstreamEventType) as DownstreamPurpose[]).find(
    (p) => DownstreamEventType[p] === parsed?.type,
  );
  if (!parsed || !purpose) return undefined;
  const data = DATA_CHECKS[purpose](parsed.data);
  return data.ok ? data.webhookId : undefined;
}
