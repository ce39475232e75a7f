/**
 * The WeChat Pay peer's API routes, and which one a request is for (with the order, or the bill, it names).
 */
import { safeJson } from './orders';

/**
 * Routes of the peer: the combined order's pay, query and reverse; the trade bill's apply (`tradeBill`) and its file's
 * download (`billDownload`).
 */
export const ROUTES = ['pay', 'query', 'reverse', 'tradeBill', 'billDownload'] as const;
/** One of {@link ROUTES}. */
export type Route = (typeof ROUTES)[number];

/**
 * A request's route (`unknown`: no API of the peer) and the combine_out_trade_no it names, if any; a bill's apply
 * names its query (`billQuery`), a download its `token`.
 */
export interface RoutedRequest {
  route: Route | 'unknown';
  orderNo?: string;
  billQuery?: URLSearchParams;
  token?: string;
}

/** The trade bill's apply (`GET`, with `bill_date`, `sub_mchid`, `bill_type`, `tar_type` in the query). */
const TRADE_BILL_PATH = '/v3/bill/tradebill';
/** A bill file's download (`GET`, `?token=…`): what the apply's `download_url` points at. */
export const BILL_DOWNLOAD_PATH = '/v3/billdownload/file';

const BASE = '/v3/ecommerce/combine-papay/transactions';

/** The path (without a query string) that queries order `orderNo`. */
export function queryPath(orderNo: string): string {
  return `${BASE}/${encodeURIComponent(orderNo)}`;
}

/**
 * The route of `method` on `url` (path and query string): `POST …/transactions` pays (the order number is read from
 * `body`), `GET …/transactions/{no}` queries, `POST …/transactions/{no}/reverse` reverses; `GET /v3/bill/tradebill?…`
 * applies for a trade bill, `GET /v3/billdownload/file?token=…` downloads one.
 */
export function routeOf(method: string, url: string, body: string): RoutedRequest {
  const [path = '', search = ''] = url.split(/\?(.*)/s);
  if (method === 'GET' && path === TRADE_BILL_PATH) {
    return { route: 'tradeBill', billQuery: new URLSearchParams(search) };
  }
  if (method === 'GET' && path === BILL_DOWNLOAD_PATH) {
    return { route: 'billDownload', token: new URLSearchParams(search).get('token') ?? '' };
  }
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
