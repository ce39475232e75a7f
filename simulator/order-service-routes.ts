/**
 * The order-service stub's two routes: their paths, what each accepts (a body naming the Idempotency-Key it must come
 * under), what each answers once accepted, and the HMAC signature that requests carry when a secret is set.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Routes of the stub (a fault rule without `route` applies to both). */
export const ORDER_SERVICE_ROUTES = ['compensate', 'confirm'] as const;
/** One of {@link ORDER_SERVICE_ROUTES}. */
export type OrderServiceRoute = (typeof ORDER_SERVICE_ROUTES)[number];

/** Paths of the two routes. */
export const ORDER_SERVICE_PATHS = {
  compensate: '/compensations',
  confirm: '/payment-confirmations',
} as const satisfies Record<OrderServiceRoute, string>;

const MAX_SKEW_SECONDS = 300;

/** What an accepted request is: the Idempotency-Key it must come under, and the order number fault rules match. */
export interface RouteRule {
  key: string;
  faultOrderNo: string;
  outTradeNo?: string;
}

/** What a route accepts: checks the body and names the key it must come under; throws a message naming the field. */
export const ROUTE_RULES: Readonly<Record<OrderServiceRoute, (body: Record<string, unknown>) => RouteRule>> = {
  compensate(body) {
    const { combineOutTradeNo, outTradeNo } = body;
    if (typeof combineOutTradeNo !== 'string' || typeof outTradeNo !== 'string') {
      throw new Error('JSON body with combineOutTradeNo and outTradeNo, and an Idempotency-Key, are required');
    }
    return { key: `${combineOutTradeNo}:${outTradeNo}`, faultOrderNo: outTradeNo, outTradeNo };
  },
  confirm(body) {
    const { combineOutTradeNo, source, subOrders } = body;
    if (typeof combineOutTradeNo !== 'string') throw new Error('combineOutTradeNo must be a string');
    if (typeof source !== 'string') throw new Error('source must be a string');
    if (!Array.isArray(subOrders) || subOrders.length === 0) throw new Error('subOrders must be a non-empty array');
    (subOrders as unknown[]).forEach((s, i) => {
      const sub = (typeof s === 'object' && s !== null ? s : {}) as Record<string, unknown>;
      for (const field of ['outTradeNo', 'mchid', 'subMchid']) {
        if (typeof sub[field] !== 'string') throw new Error(`subOrders[${i}].${field} must be a string`);
      }
      if (sub.transactionId !== undefined && typeof sub.transactionId !== 'string') {
        throw new Error(`subOrders[${i}].transactionId must be a string when present`);
      }
    });
    return { key: `${combineOutTradeNo}:paid`, faultOrderNo: combineOutTradeNo };
  },
};

/** The answer to an accepted request of `route`. */
export function acceptedAnswer(route: OrderServiceRoute): Record<string, unknown> {
  return route === 'compensate' ? { compensated: true } : { confirmed: true };
}

/**
 * Whether `signature` is `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<Idempotency-Key>.<body>")>` with a timestamp
 * within ±300 s. A signature over the old `<timestamp>.<body>` does not verify, nor does one without a key.
 */
export function signatureHolds(
  secret: string,
  signed: {
    timestamp: string | undefined;
    signature: string | undefined;
    idempotencyKey: string | undefined;
    body: string;
  },
  nowSeconds = Date.now() / 1000,
): boolean {
  const { timestamp, signature, idempotencyKey, body } = signed;
  if (!timestamp || !signature || !idempotencyKey || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > MAX_SKEW_SECONDS) return false;
  const mac = createHmac('sha256', secret).update(`${timestamp}.${idempotencyKey}.${body}`).digest('hex');
  const expected = Buffer.from(`sha256=${mac}`);
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
