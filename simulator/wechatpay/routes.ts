/** The WeChat Pay peer's API routes, and which one a request is for (with the order it names). */
import { safeJson } from './orders';

/** Routes of the peer. */
export const ROUTES = ['pay', 'query', 'reverse'] as const;
/** One of {@link ROUTES}. */
export type Route = (typeof ROUTES)[number];

/** A request's route (`unknown`: no API of the peer) and the combine_out_trade_no it names, if any. */
export interface RoutedRequest {
  route: Route | 'unknown';
  orderNo?: string;
}

const BASE = '/v3/ecommerce/combine-papay/transactions';

/** The path (without a query string) that queries order `orderNo`. */
export function queryPath(orderNo: string): string {
  return `${BASE}/${encodeURIComponent(orderNo)}`;
}

/**
 * The route of `method` on `path` (without the query string): `POST …/transactions` pays (the order number is read
 * from `body`), `GET …/transactions/{no}` queries, `POST …/transactions/{no}/reverse` reverses.
 */
export function routeOf(method: string, path: string, body: string): RoutedRequest {
  if (!path.startsWith(BASE)) return { route: 'unknown' };
  const rest = path.slice(BASE.length);
  if (method === 'POST' && rest === '') {
    const no = safeJson(body)?.combine_out_trade_no;
    return { route: 'pay', ...(typeof no === 'string' ? { orderNo: no } : {}) };
  }
  const m = /^\/([^/]+)(\/reverse)?$/.exec(rest);
  if (!m) return { route: 'unknown' };
  const orderNo = decodeURIComponent(m[1]!);
  if (m[2] && method === 'POST') return { route: 'reverse', orderNo };
  if (!m[2] && method === 'GET') return { route: 'query', orderNo };
  return { route: 'unknown' };
}
