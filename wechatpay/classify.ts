/**
 * What a WeChat Pay answer means for the order: one table for the reverse, one for the query. Each row has a test
 * (test/unit/classify.test.ts). The rule behind both: never act on a guess — only a signed, verified answer that says
 * so ends the order's uncertainty; anything else is retried or handed to a human.
 */
import { ReverseOutcome, type QueriedSubOrder, type SubOrderInput } from '../workflows/contract';
import type { WechatpayAnswer } from './client';

/** Verdicts every call shares: the answer is not a usable fact. */
export type FailureVerdict =
  /** Our request is wrong (or the URL is): retrying the same bytes will not help → NEEDS_ATTENTION. */
  | { class: 'REJECTED'; row: string; unsigned?: true }
  /** Our signature, keys, clock or permissions are wrong: retry slowly, log loudly; fixing the keys resumes. */
  | { class: 'AUTH'; row: string; unsigned?: true }
  /**
   * Outcome unknown, peer busy, or an answer that proves nothing: retry with backoff — or, for a 429 or 503 that
   * said when (`Retry-After`, bounded by the client), after `retryAfterMs`.
   */
  | { class: 'TRANSIENT'; row: string; unsigned?: true; retryAfterMs?: number }
  /**
   * An answer whose signature failed, that was seen before (a replay) or signed before the request was sent (`stale`:
   * counted and logged apart), or a verified answer that is not what the call returns: retry. `mismatch`: a verified
   * order that is not exactly this order (the activity hands it to a human once it keeps coming).
   */
  | { class: 'UNVERIFIED'; row: string; unsigned?: true; mismatch?: true; stale?: true };

/** The classes of {@link FailureVerdict}. */
export type FailureClass = FailureVerdict['class'];

/**
 * The meaning of a reverse answer. `row` is a short line for logs and failures (no secrets, no bodies); `unsigned`
 * marks an error answer that came without any `Wechatpay-*` header (counted: a header-stripping proxy is noticed).
 */
export type ReverseVerdict =
  /** The reverse reached its goal (still to be confirmed by a query before compensation). */
  { class: 'ACCEPTED'; outcome: ReverseOutcome; row: string; unsigned?: true } | FailureVerdict;

/** The meaning of a query answer (see {@link ReverseVerdict} for `row` and `unsigned`). */
export type QueryVerdict =
  /** A verified 200 whose body is the order asked for. */
  | { class: 'FOUND'; subOrders: QueriedSubOrder[]; row: string; unsigned?: true }
  /** A signed, verified "no such order" from the main host. */
  | { class: 'NOT_FOUND'; code: string; row: string; unsigned?: true }
  | FailureVerdict;

/** Error codes that mean the order is already closed or reversed (UNCONFIRMED names included). */
const ALREADY_CLOSED_CODES: ReadonlySet<string> = new Set([
  'ORDER_CLOSED',
  'ORDER_REVERSED',
  'ORDERREVERSED',
  'ORDER_ALREADY_CLOSED',
]);
/** Error codes that mean WeChat Pay has no such order (the only ones: see {@link GENERIC_NOT_FOUND_CODES}). */
const NOT_FOUND_CODES: ReadonlySet<string> = new Set(['ORDER_NOT_EXIST', 'ORDERNOTEXIST', 'ORDER_NOT_EXISTS']);
/** Error codes of a wrong URL or an unknown resource: NOT "no such order". */
const GENERIC_NOT_FOUND_CODES: ReadonlySet<string> = new Set(['NOT_FOUND', 'RESOURCE_NOT_EXISTS']);
/** Error codes that mean our request is malformed. */
const REJECTED_CODES: ReadonlySet<string> = new Set(['PARAM_ERROR', 'INVALID_REQUEST']);
/** Error codes that mean our signature or permission is wrong. */
const AUTH_CODES: ReadonlySet<string> = new Set(['SIGN_ERROR', 'NO_AUTH']);
/**
 * Error codes of a rate limit, whatever the HTTP status: APIv3's `RATELIMIT_EXCEEDED` (429), and `FREQUENCY_LIMITED`
 * (seen when a close or reverse meets a customer still entering the password; its status is unconfirmed).
 */
const RATE_LIMIT_CODES: ReadonlySet<string> = new Set([
  'RATELIMIT_EXCEEDED',
  'FREQUENCY_LIMITED',
  'FREQUENCY_LIMIT_EXCEED',
]);

const is2xx = (status: number): boolean => status >= 200 && status < 300;
const is4xx = (status: number): boolean => status >= 400 && status < 500;
const label = (status: number, code?: string): string => (code ? `${status} ${code}` : `${status}`);

/**
 * Whether an answer arrived without any `Wechatpay-*` header where WeChat Pay signs it. 401 answers are left out:
 * WeChat Pay never signs SIGN_ERROR, so they would only make noise (they have their own AUTH class).
 */
function unsignedMark(answer: WechatpayAnswer): { unsigned?: true } {
  if (answer.kind === 'answer' && !answer.verified && answer.status !== 401) return { unsigned: true };
  if (answer.kind === 'unverified' && answer.unsigned) return { unsigned: true };
  return {};
}

/** Rows both tables share: network, failed verification, auth, busy, malformed. Undefined for call-specific rows. */
function commonRow(answer: WechatpayAnswer): FailureVerdict | undefined {
  const mark = unsignedMark(answer);
  if (answer.kind === 'network')
    return { class: 'TRANSIENT', row: `network fault (${answer.reason}) on the ${answer.host} host` };
  if (answer.kind === 'unverified') {
    if (answer.stale) return { class: 'UNVERIFIED', row: `${answer.status} not fresh (${answer.reason})`, stale: true };
    return {
      class: 'UNVERIFIED',
      row: `${answer.status} failed verification (${answer.reason})${answer.unsigned ? ': no Wechatpay-* headers' : ''}`,
      ...mark,
    };
  }
  const { status, code } = answer;
  if (is2xx(status) && !answer.verified) {
    // The client never reports such an answer (an unsigned 2xx is 'unverified'); guard the invariant anyway.
    return { class: 'UNVERIFIED', row: `${status} without a verified signature`, ...mark };
  }
  if (is2xx(status)) return undefined;
  if (code && GENERIC_NOT_FOUND_CODES.has(code)) {
    return {
      class: 'REJECTED',
      row: `${label(status, code)}: wrong URL or unknown resource, not "no such order"`,
      ...mark,
    };
  }
  if (code && AUTH_CODES.has(code)) return { class: 'AUTH', row: label(status, code), ...mark };
  const rateLimited = status === 429 || (code !== undefined && RATE_LIMIT_CODES.has(code));
  if ((status === 401 || status === 403) && !rateLimited) {
    return { class: 'AUTH', row: `${status} ${code ?? 'without code'}`, ...mark };
  }
  // A busy peer that says when to come back is believed (the client bounded the delay); otherwise back off.
  const after = (rateLimited || status === 503) && answer.retryAfterMs !== undefined ? answer.retryAfterMs : undefined;
  const retryAfter = after !== undefined ? { retryAfterMs: after } : {};
  const afterText = after !== undefined ? `, Retry-After ${after / 1_000}s` : '';
  if (rateLimited) {
    return { class: 'TRANSIENT', row: `${label(status, code)}: rate limited${afterText}`, ...retryAfter, ...mark };
  }
  if (status === 408) return { class: 'TRANSIENT', row: '408: request timeout', ...mark };
  if (status >= 500) {
    return { class: 'TRANSIENT', row: `${label(status, code)}: server error${afterText}`, ...retryAfter, ...mark };
  }
  return undefined;
}

/**
 * An unsigned answer that claims a final state ("already closed", "no such order") proves nothing — a proxy or
 * gateway may send it — so it is retried (and counted as unsigned); undefined when the answer is signed.
 */
function unsignedClaimRow(answer: WechatpayAnswer & { kind: 'answer' }): FailureVerdict | undefined {
  if (answer.verified) return undefined;
  return {
    class: 'TRANSIENT',
    row: `unsigned ${label(answer.status, answer.code)}: proves nothing; retry`,
    ...unsignedMark(answer),
  };
}

/** The last rows of both tables: what no earlier row claimed. */
function fallbackRow(answer: WechatpayAnswer & { kind: 'answer' }): FailureVerdict {
  const { status, code } = answer;
  const mark = unsignedMark(answer);
  if (code && REJECTED_CODES.has(code)) return { class: 'REJECTED', row: label(status, code), ...mark };
  if (status >= 400) return { class: 'REJECTED', row: `${status} ${code ?? 'without code'}: unknown refusal`, ...mark };
  return { class: 'TRANSIENT', row: `${status}: unexpected status`, ...mark };
}

/**
 * A "no such order" code: a fact only when signed and verified, from the main host (the backup, in another city,
 * may lag). Undefined when the answer does not carry such a code.
 */
function notFoundRow(
  answer: WechatpayAnswer & { kind: 'answer' },
): { fact: true; row: string } | FailureVerdict | undefined {
  const { status, code } = answer;
  if (!code || !NOT_FOUND_CODES.has(code) || !is4xx(status)) return undefined;
  const unsigned = unsignedClaimRow(answer);
  if (unsigned) return unsigned;
  if (answer.host === 'backup') {
    return { class: 'TRANSIENT', row: `${label(status, code)} from the backup host: it may lag; retry` };
  }
  return { fact: true, row: `${label(status, code)}: no such order` };
}

/**
 * Classifies one reverse answer (strict acceptance):
 * - verified **204** → ACCEPTED(REVERSED); a verified 2xx other than 204 (e.g. `202 USER_PAYING`, a 200) →
 *   TRANSIENT ("outcome unknown: query and retry");
 * - `ORDER_CLOSED`/`ORDER_REVERSED`/… → ACCEPTED(ALREADY_CLOSED) only when verified, else TRANSIENT (unsigned);
 * - `ORDER_NOT_EXIST` (/`ORDERNOTEXIST`/`ORDER_NOT_EXISTS`), 4xx, verified, from the main host →
 *   ACCEPTED(ORDER_NOT_FOUND); from the backup host or unsigned → TRANSIENT;
 * - generic `NOT_FOUND`/`RESOURCE_NOT_EXISTS` → REJECTED (wrong URL or unknown resource);
 * - SIGN_ERROR/NO_AUTH/401/403 → AUTH; 429/408/5xx/network → TRANSIENT; failed verification → UNVERIFIED;
 * - PARAM_ERROR/INVALID_REQUEST/any other 4xx → REJECTED; anything else → TRANSIENT.
 */
export function classifyReverseAnswer(answer: WechatpayAnswer): ReverseVerdict {
  const common = commonRow(answer);
  if (common) return common;
  if (answer.kind !== 'answer') throw new Error('unreachable: network and unverified answers have common rows');
  const { status, code } = answer;
  if (is2xx(status)) {
    if (status === 204) return { class: 'ACCEPTED', outcome: ReverseOutcome.REVERSED, row: '204: reversed' };
    return { class: 'TRANSIENT', row: `${label(status, code)}: not a 204, outcome unknown: query and retry` };
  }
  if (code && ALREADY_CLOSED_CODES.has(code)) {
    return (
      unsignedClaimRow(answer) ?? {
        class: 'ACCEPTED',
        outcome: ReverseOutcome.ALREADY_CLOSED,
        row: `${label(status, code)}: already closed`,
      }
    );
  }
  const notFound = notFoundRow(answer);
  if (notFound) {
    return 'fact' in notFound
      ? { class: 'ACCEPTED', outcome: ReverseOutcome.ORDER_NOT_FOUND, row: notFound.row }
      : notFound;
  }
  return fallbackRow(answer);
}

/** Largest `trade_state` kept (an unknown state is kept verbatim up to this length). */
const MAX_TRADE_STATE_LENGTH = 32;
const FIELD_RE = /^[\x21-\x7e]{1,32}$/;
const TRANSACTION_ID_RE = /^[\x21-\x7e]{1,64}$/;
const TRADE_STATE_RE = new RegExp(`^[\\x21-\\x7e]{1,${MAX_TRADE_STATE_LENGTH}}$`);

/** A query body read as an order (see {@link parseQueriedOrder}); not yet compared with the order asked for. */
export interface QueriedOrder {
  combineOutTradeNo: string;
  /** `combine_mchid` as sent (undefined when absent). */
  combineMchid: string | undefined;
  subOrders: QueriedSubOrder[];
}

/**
 * Reads a query body as an order: a string `combine_out_trade_no` and optional `combine_mchid` (≤ 32 printable
 * characters), `sub_orders` an array of 1–50 items with distinct string `out_trade_no`, string `mchid`, `sub_mchid`,
 * `trade_state` (≤ 32 printable characters, kept verbatim even when unknown) and an optional string
 * `transaction_id`. Undefined when it is not an order.
 */
export function parseQueriedOrder(body: unknown): QueriedOrder | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const order = body as { combine_out_trade_no?: unknown; combine_mchid?: unknown; sub_orders?: unknown };
  const { combine_out_trade_no: no, combine_mchid: mchid } = order;
  if (typeof no !== 'string' || !FIELD_RE.test(no)) return undefined;
  if (mchid !== undefined && (typeof mchid !== 'string' || !FIELD_RE.test(mchid))) return undefined;
  const subOrders = parseQueriedSubOrders(order.sub_orders);
  return subOrders ? { combineOutTradeNo: no, combineMchid: mchid, subOrders } : undefined;
}

function parseQueriedSubOrders(list: unknown): QueriedSubOrder[] | undefined {
  if (!Array.isArray(list) || list.length < 1 || list.length > 50) return undefined;
  const out: QueriedSubOrder[] = [];
  const seen = new Set<string>();
  for (const item of list as unknown[]) {
    if (typeof item !== 'object' || item === null) return undefined;
    const { out_trade_no, mchid, sub_mchid, trade_state, transaction_id } = item as Record<string, unknown>;
    if (typeof out_trade_no !== 'string' || !FIELD_RE.test(out_trade_no) || seen.has(out_trade_no)) return undefined;
    if (typeof mchid !== 'string' || !FIELD_RE.test(mchid)) return undefined;
    if (typeof sub_mchid !== 'string' || !FIELD_RE.test(sub_mchid)) return undefined;
    if (typeof trade_state !== 'string' || !TRADE_STATE_RE.test(trade_state)) return undefined;
    if (transaction_id !== undefined && (typeof transaction_id !== 'string' || !TRANSACTION_ID_RE.test(transaction_id)))
      return undefined;
    seen.add(out_trade_no);
    out.push({
      outTradeNo: out_trade_no,
      mchid,
      subMchid: sub_mchid,
      tradeState: trade_state,
      ...(transaction_id !== undefined ? { transactionId: transaction_id } : {}),
    });
  }
  return out;
}

/** The order a query answer must be, exactly. */
export interface ExpectedOrder {
  combineOutTradeNo: string;
  /** The platform merchant that signs our requests (`WECHATPAY_MCHID`): the order's `combine_mchid`. */
  combineMchid: string;
  subOrders: readonly Pick<SubOrderInput, 'mchid' | 'outTradeNo' | 'subMchid'>[];
}

/**
 * How an order answer differs from the order expected: undefined when it is exactly that order (the same
 * `combine_out_trade_no` and `combine_mchid`, the same set of sub-orders by `out_trade_no`, each with the same
 * `mchid` and `sub_mchid`), else a short description of the first difference.
 */
function orderMismatch(answer: QueriedOrder, expected: ExpectedOrder): string | undefined {
  if (answer.combineOutTradeNo !== expected.combineOutTradeNo) {
    return `combine_out_trade_no ${answer.combineOutTradeNo}, expected ${expected.combineOutTradeNo}`;
  }
  if (answer.combineMchid !== expected.combineMchid) {
    return `combine_mchid ${answer.combineMchid ?? 'absent'}, expected ${expected.combineMchid}`;
  }
  const byNo = new Map(answer.subOrders.map((s) => [s.outTradeNo, s]));
  for (const want of expected.subOrders) {
    const got = byNo.get(want.outTradeNo);
    if (!got) return `sub-order ${want.outTradeNo} missing`;
    if (got.mchid !== want.mchid) return `sub-order ${want.outTradeNo} mchid ${got.mchid}, expected ${want.mchid}`;
    if (got.subMchid !== want.subMchid) {
      return `sub-order ${want.outTradeNo} sub_mchid ${got.subMchid}, expected ${want.subMchid}`;
    }
  }
  const wanted = new Set(expected.subOrders.map((s) => s.outTradeNo));
  const extra = answer.subOrders.find((s) => !wanted.has(s.outTradeNo));
  return extra ? `sub-order ${extra.outTradeNo} is not one of this order's` : undefined;
}

/**
 * Classifies one query answer for the order `expected`:
 * - verified 200 whose body is exactly that order → FOUND (typed sub-orders); a verified 200 that is not an order →
 *   UNVERIFIED; one that is another order or differs from it (another `combine_mchid`, a sub-order missing, added or
 *   with other merchant ids) → UNVERIFIED with `mismatch`; a verified 2xx other than 200 → TRANSIENT;
 * - `ORDER_NOT_EXIST` (/`ORDERNOTEXIST`/`ORDER_NOT_EXISTS`), 4xx, verified, from the main host → NOT_FOUND; from the
 *   backup host or unsigned → TRANSIENT;
 * - an unsigned "already closed" code → TRANSIENT (a proxy's answer proves nothing);
 * - generic `NOT_FOUND`/`RESOURCE_NOT_EXISTS` → REJECTED; the other rows as for the reverse.
 */
export function classifyQueryAnswer(answer: WechatpayAnswer, expected: ExpectedOrder): QueryVerdict {
  const common = commonRow(answer);
  if (common) return common;
  if (answer.kind !== 'answer') throw new Error('unreachable: network and unverified answers have common rows');
  const { status, code } = answer;
  if (is2xx(status)) {
    if (status !== 200) return { class: 'TRANSIENT', row: `${label(status, code)}: not a 200, no order: retry` };
    const order = parseQueriedOrder(answer.body);
    if (!order) return { class: 'UNVERIFIED', row: '200: answer is not an order' };
    const { subOrders } = order;
    const mismatch = orderMismatch(order, expected);
    if (mismatch)
      return { class: 'UNVERIFIED', row: `200: answer does not match the order (${mismatch})`, mismatch: true };
    return {
      class: 'FOUND',
      subOrders,
      row: `200: order found (${subOrders.length} sub-order${subOrders.length === 1 ? '' : 's'})`,
    };
  }
  const notFound = notFoundRow(answer);
  if (notFound) return 'fact' in notFound ? { class: 'NOT_FOUND', code: code!, row: notFound.row } : notFound;
  // A query has no "already closed" answer; an unsigned one is a proxy's, and proves nothing.
  if (code && ALREADY_CLOSED_CODES.has(code)) {
    const unsigned = unsignedClaimRow(answer);
    if (unsigned) return unsigned;
  }
  return fallbackRow(answer);
}

/** Where a ready trade bill is: read from a verified 200 of the apply (see {@link parseTradeBillLink}). */
export interface TradeBillLink {
  hashType: 'SHA1';
  /** The SHA1 of the decompressed file, lower-case hex. */
  hashValue: string;
  /** Valid about 5 minutes; fetched with `downloadTradeBill` (only on the configured hosts). */
  downloadUrl: string;
}

/** Longest `download_url` accepted. */
const MAX_DOWNLOAD_URL_LENGTH = 2_048;

/**
 * Reads a verified 200 body of the trade bill's apply: `hash_type` must be `SHA1`, `hash_value` 40 hex digits (kept in
 * lower case), `download_url` an absolute http(s) URL of at most 2048 characters. Not `ok`: `problem` names the
 * field that is wrong.
 */
export function parseTradeBillLink(body: unknown): ({ ok: true } & TradeBillLink) | { ok: false; problem: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, problem: 'the answer is not a JSON object' };
  }
  const { hash_type, hash_value, download_url } = body as Record<string, unknown>;
  if (hash_type !== 'SHA1') return { ok: false, problem: 'hash_type is not "SHA1"' };
  if (typeof hash_value !== 'string' || !/^[0-9a-fA-F]{40}$/.test(hash_value)) {
    return { ok: false, problem: 'hash_value is not 40 hex digits' };
  }
  if (
    typeof download_url !== 'string' ||
    download_url.length > MAX_DOWNLOAD_URL_LENGTH ||
    !/^https?:\/\//i.test(download_url) ||
    !URL.canParse(download_url)
  ) {
    return { ok: false, problem: 'download_url is not an absolute http(s) URL' };
  }
  return { ok: true, hashType: 'SHA1', hashValue: hash_value.toLowerCase(), downloadUrl: download_url };
}

/** `NO_STATEMENT_EXIST`: no trades that day (final: an empty bill). */
const NO_STATEMENT_EXIST = 'NO_STATEMENT_EXIST';
/** `STATEMENT_CREATING`: the bill is not ready yet (retry later, e.g. in 30 minutes). */
const STATEMENT_CREATING = 'STATEMENT_CREATING';

/** The meaning of a trade bill's apply answer. */
export type TradeBillVerdict =
  /** A verified 200 naming the file and its SHA1. */
  | { class: 'READY'; bill: TradeBillLink; row: string }
  /** A signed, verified 4xx `NO_STATEMENT_EXIST` from the main host: no trades that day (final). */
  | { class: 'EMPTY_DAY'; code: typeof NO_STATEMENT_EXIST; row: string }
  /** A verified 4xx `STATEMENT_CREATING`: not ready; apply again later. */
  | { class: 'NOT_READY'; code: typeof STATEMENT_CREATING; row: string; retryAfterMs?: number }
  | FailureVerdict;

/**
 * Classifies one apply answer of the trade bill:
 * - verified 200 whose body is a bill link → READY; a verified 200 that is not (the field named) → UNVERIFIED; a
 *   verified 2xx other than 200 → TRANSIENT;
 * - `NO_STATEMENT_EXIST` (4xx), verified, from the main host → EMPTY_DAY; from the backup host (it may lag) or
 *   unsigned (a proxy's claim proves nothing) → TRANSIENT;
 * - `STATEMENT_CREATING` (4xx), verified → NOT_READY; unsigned → TRANSIENT;
 * - the rows every call shares: network → TRANSIENT, failed verification or not fresh → UNVERIFIED, `NO_AUTH`/
 *   `SIGN_ERROR`/401/403 → AUTH, 429/408/5xx → TRANSIENT; any other 4xx (e.g. `PARAM_ERROR`, a day out of range) →
 *   REJECTED with its code in `row`.
 */
export function classifyTradeBillAnswer(answer: WechatpayAnswer): TradeBillVerdict {
  const common = commonRow(answer);
  if (common) return common;
  if (answer.kind !== 'answer') throw new Error('unreachable: network and unverified answers have common rows');
  const { status, code } = answer;
  if (is2xx(status)) {
    if (status !== 200) return { class: 'TRANSIENT', row: `${label(status, code)}: not a 200, no bill: retry` };
    const link = parseTradeBillLink(answer.body);
    if (!link.ok) return { class: 'UNVERIFIED', row: `200: not a bill link (${link.problem})` };
    const { hashType, hashValue, downloadUrl } = link;
    return { class: 'READY', bill: { hashType, hashValue, downloadUrl }, row: '200: bill ready' };
  }
  if (is4xx(status) && (code === NO_STATEMENT_EXIST || code === STATEMENT_CREATING)) {
    const unsigned = unsignedClaimRow(answer);
    if (unsigned) return unsigned;
    if (code === STATEMENT_CREATING) {
      const after = answer.retryAfterMs !== undefined ? { retryAfterMs: answer.retryAfterMs } : {};
      return { class: 'NOT_READY', code, row: `${label(status, code)}: the bill is not ready`, ...after };
    }
    if (answer.host === 'backup') {
      return { class: 'TRANSIENT', row: `${label(status, code)} from the backup host: it may lag; retry` };
    }
    return { class: 'EMPTY_DAY', code, row: `${label(status, code)}: no trades that day` };
  }
  return fallbackRow(answer);
}
