/**
 * The faults the WeChat Pay peer can inject, described as data: whether each answers instead of processing the request
 * or spoils the answer of a processed one, how, on which routes, and whether a correct, retrying client recovers from
 * it. `answers.ts` applies them to an exchange.
 */
import { randomBytes } from 'node:crypto';
import { newTransactionId, type OrderAnswerJson } from './orders';
import type { Route } from './routes';
import { signAnswer, type SigningKey } from '../signing';

/** Faults the peer can inject (each described in {@link FAULT_TABLE}). */
export const FAULT_KINDS = [
  'SYSTEM_ERROR',
  'RATE_LIMIT',
  'SERVICE_UNAVAILABLE',
  'RESET',
  'DELAY',
  'TAMPER',
  'SIGNTEST',
  'NO_SIGNATURE',
  'WRONG_SERIAL',
  'SKEW',
  'SIGN_ERROR',
  'NO_AUTH',
  'PARAM_ERROR',
  'OVERSIZE',
  'SLOW_DRIP',
  'INVALID_JSON',
  'ACCEPTED_202',
  'UNSIGNED_NOT_EXIST',
  'UNSIGNED_CLOSED',
  'GENERIC_NOT_FOUND',
  'NO_HEADERS',
  'RATE_LIMIT_RETRY_AFTER',
  'FREQUENCY_LIMITED',
  'FOREIGN_MCHID',
  'EXTRA_SUB_ORDER',
  'SUB_MCHID_MISMATCH',
  'MISSING_SUB_ORDER',
  'REPLAY_NOT_EXIST',
  'REPLAY_LAST',
  'STALE_ANSWER',
  'STALE_ANSWER_DATED',
  'BILL_NOT_READY',
  'BILL_URL_EXPIRED',
  'BILL_CORRUPT',
  'BILL_APPLY_UNSIGNED',
] as const;
/** One of {@link FAULT_KINDS}. */
export type FaultKind = (typeof FAULT_KINDS)[number];

/** The four headers that carry an answer's signature. */
const WECHATPAY_HEADERS = [
  'Wechatpay-Timestamp',
  'Wechatpay-Nonce',
  'Wechatpay-Serial',
  'Wechatpay-Signature',
] as const;

/** How a fault that replaces the exchange answers (the request is not processed). */
export type BeforeAnswer =
  /**
   * `signed`: all four `Wechatpay-*` headers, correctly signed; `unsigned`: none of them (a proxy, a gateway);
   * `headers`: more headers to send (e.g. `Retry-After`).
   */
  | {
      type: 'signed' | 'unsigned';
      status: number;
      code: string;
      message: string;
      headers?: Record<string, string>;
    }
  /** `reset`: the connection is destroyed without an answer; `badGateway`: a gateway's HTML page instead of JSON. */
  | { type: 'reset' | 'badGateway' }
  /** A signed 200 with the order's query answer, edited so that it no longer matches the order asked about. */
  | { type: 'mismatch'; edit: (answer: OrderAnswerJson) => void }
  /**
   * A byte-exact copy (status, body, `Wechatpay-*` headers) of a signed answer given earlier: `replayNotExist`, the
   * last `404 ORDER_NOT_EXIST` to any order (see `answers.ts`); `replayLast`, the last to this order and route.
   */
  | { type: 'replayNotExist' | 'replayLast' }
  /**
   * A correctly signed answer under a nonce no client has seen, its `Wechatpay-Timestamp` `ageSeconds` before the
   * peer's now: a 204 to a reverse, a `404 ORDER_NOT_EXIST` to a query. `dated`: its `Date` header is as old as its
   * signature (a captured copy), else the peer's now.
   */
  | { type: 'stale'; ageSeconds: number; dated: boolean };

/** How a fault spoils the answer of a request that was processed. */
export type AfterAnswer =
  /** The correct answer whose signature headers are edited. */
  | { type: 'headers'; edit: (headers: Record<string, string>, body: string, key: SigningKey) => void }
  /**
   * `delay`: the correct, signed answer, held back (the rule's `delayMs`, else the peer's); `oversize`: a signed
   * 2 MiB answer instead; `slowDrip`: a 200 whose body trickles in for a minute.
   */
  | { type: 'delay' | 'oversize' | 'slowDrip' }
  /**
   * A bill file whose bytes are not the ones hashed: the first row's amount one fen higher, the summary as it was
   * (the download route only: its answer is not signed, so only the SHA1 can tell).
   */
  | { type: 'corruptBill' };

/**
 * What a fault needs to act on a request: `order`, the order exists (its answer is built from the order);
 * `earlierAnswer`, the peer gave this order a signed answer on this route before (and still keeps it).
 */
export type FaultNeed = 'order' | 'earlierAnswer';

/**
 * One fault: `before` ones answer instead of processing the request; `after` ones process it (the order state
 * changes) and spoil the answer, so the caller cannot know it took effect. `recoverable`: a correct client that
 * keeps retrying (query first) eventually gets the real, verified answer. `routes`: the only routes it acts on (a
 * rule naming another is refused; a `*` rule passes over the others); `needs`: on a request without it, the fault
 * does not act and is not counted (the request is processed as usual).
 */
export type FaultSpec = (
  | { when: 'before'; recoverable: boolean; answer: BeforeAnswer }
  | { when: 'after'; recoverable: boolean; answer: AfterAnswer }
) & { routes?: readonly Route[]; needs?: FaultNeed };

const before = (answer: BeforeAnswer, recoverable = true): FaultSpec => ({ when: 'before', recoverable, answer });
const after = (answer: AfterAnswer): FaultSpec => ({ when: 'after', recoverable: true, answer });
const error =
  (type: 'signed' | 'unsigned') =>
  (status: number, code: string, message: string, headers?: Record<string, string>): BeforeAnswer => ({
    type,
    status,
    code,
    message,
    ...(headers ? { headers } : {}),
  });
const signed = error('signed');
const unsigned = error('unsigned');
const rewrite = (name: (typeof WECHATPAY_HEADERS)[number], value: (old: string) => string): AfterAnswer => ({
  type: 'headers',
  edit: (h) => void (h[name] = value(h[name] ?? '')),
});
const strip = (...names: (typeof WECHATPAY_HEADERS)[number][]): AfterAnswer => ({
  type: 'headers',
  edit: (h) => names.forEach((name) => delete h[name]),
});
const mismatch = (edit: (answer: OrderAnswerJson) => void): FaultSpec => ({
  ...before({ type: 'mismatch', edit }),
  routes: ['query'],
  needs: 'order',
});

/** How long before the request a stale answer (`STALE_ANSWER`, `STALE_ANSWER_DATED`) was signed. */
export const STALE_ANSWER_AGE_S = 60;

/** Every fault kind, described; the comments say why each is (or is not) recoverable. */
export const FAULT_TABLE: Readonly<Record<FaultKind, FaultSpec>> = {
  // WeChat Pay's own transient errors, signed: "retry later with the same parameters".
  SYSTEM_ERROR: before(signed(500, 'SYSTEM_ERROR', '系统错误')),
  // An exceeded rate limit as APIv3 spells it.
  RATE_LIMIT: before(signed(429, 'RATELIMIT_EXCEEDED', '请求超过频率限制')),
  // The same, saying when to come back: the caller waits that long (bounded) instead of its own backoff.
  RATE_LIMIT_RETRY_AFTER: before(signed(429, 'RATELIMIT_EXCEEDED', '请求超过频率限制', { 'Retry-After': '3' })),
  // What WeChat Pay is seen to answer when a close or reverse meets a customer still entering the password (a race,
  // not load): wait, query, then act. Its HTTP status is unconfirmed; 403 on purpose, because a client that goes by
  // the status alone would take it for a permission error (NO_AUTH).
  FREQUENCY_LIMITED: before(signed(403, 'FREQUENCY_LIMITED', '频率超限')),
  SERVICE_UNAVAILABLE: before(signed(503, 'SERVICE_UNAVAILABLE', '服务不可用')),
  // A permission an operator grants; the caller keeps retrying meanwhile.
  NO_AUTH: before(signed(403, 'NO_AUTH', '商户无权限')),
  // NOT recoverable: the request is refused as wrong, the same bytes never pass; a human must look.
  PARAM_ERROR: before(signed(400, 'PARAM_ERROR', '参数错误'), false),
  // The network or a gateway, before WeChat Pay saw the request.
  RESET: before({ type: 'reset' }),
  INVALID_JSON: before({ type: 'badGateway' }),
  // 401 answers are never signed; a clock or key hiccup, retried after a pause.
  SIGN_ERROR: before(unsigned(401, 'SIGN_ERROR', '签名错误')),
  // The sibling close API's "not done yet, wait, then query": a 2xx that is not 204 is not "reversed".
  ACCEPTED_202: before(signed(202, 'USER_PAYING', '用户支付中')),
  // A proxy's or gateway's "no such order" / "closed": unsigned, they prove nothing; the retry reaches WeChat Pay.
  UNSIGNED_NOT_EXIST: before(unsigned(404, 'ORDER_NOT_EXIST', '订单不存在')),
  UNSIGNED_CLOSED: before(unsigned(400, 'ORDER_CLOSED', '订单已关闭')),
  // NOT recoverable (not in RECOVERABLE_FAULTS): what a wrong base URL gives. Signed, and a generic NOT_FOUND is not
  // "no such order"; the peer answers the real API on the next request, but the product treats it like PARAM_ERROR
  // (REVERSE_REJECTED / QUERY_REJECTED: a human fixes the URL), so the order waits in NEEDS_ATTENTION, not retried.
  GENERIC_NOT_FOUND: before(signed(404, 'NOT_FOUND', 'no such API'), false),
  // Query answers, signed, that do not match the order asked about: a careful client refuses them (they prove nothing
  // about this order) and asks again. On an unknown order they do not act: the normal 404.
  FOREIGN_MCHID: mismatch((a) => void (a.combine_mchid = otherThan(a.combine_mchid, ['1900000000', '1900000001']))),
  EXTRA_SUB_ORDER: mismatch((a) => void a.sub_orders.push(extraSubOrder(a))),
  SUB_MCHID_MISMATCH: mismatch((a) => {
    const first = a.sub_orders[0]!;
    first.sub_mchid = otherThan(first.sub_mchid, ['1999999999', '1999999998']);
  }),
  // The last sub-order dropped; never an empty list: a single sub-order is swapped for another one instead.
  MISSING_SUB_ORDER: mismatch((a) => {
    if (a.sub_orders.length > 1) a.sub_orders.pop();
    else a.sub_orders[0]!.out_trade_no = unusedOutTradeNo(a);
  }),
  // A signed answer given before, replayed byte for byte: the same nonce arrives twice, and only a client that
  // remembers nonces can tell (an error answer names no order: "no such order" given to any order fits this one). The
  // retry gets a fresh answer.
  REPLAY_NOT_EXIST: { ...before({ type: 'replayNotExist' }), routes: ['query', 'reverse'] },
  // The last signed answer to this order on this route; with none yet, the request is processed, no fault counted.
  REPLAY_LAST: { ...before({ type: 'replayLast' }), needs: 'earlierAnswer' },
  // A correctly signed answer from a minute before the request, under a nonce nobody has seen: captured earlier (for
  // another order, by another worker, or never delivered) and served now. The reverse gets a 204 (empty: it fits any
  // order), the query a "no such order"; the request is not processed. No nonce memory can tell: only a client that
  // holds the signed timestamp against when it sent the request does. The retry gets the real answer. `_DATED` also
  // carries the copy's own `Date` header, as old as its signature, which pulls a careless clock-offset estimate back.
  STALE_ANSWER: {
    ...before({ type: 'stale', ageSeconds: STALE_ANSWER_AGE_S, dated: false }),
    routes: ['query', 'reverse'],
  },
  STALE_ANSWER_DATED: {
    ...before({ type: 'stale', ageSeconds: STALE_ANSWER_AGE_S, dated: true }),
    routes: ['query', 'reverse'],
  },
  // After the effect (AFTER_EFFECT): the request took effect, its answer is late, unverifiable or unreadable; the
  // retry is answered from the new state (a repeat, or the order's current state).
  DELAY: after({ type: 'delay' }),
  TAMPER: after(rewrite('Wechatpay-Signature', (sig) => (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1))),
  SIGNTEST: after(rewrite('Wechatpay-Signature', () => `WECHATPAY/SIGNTEST/${randomBytes(96).toString('base64')}`)),
  // Only the signature header is missing.
  NO_SIGNATURE: after(strip('Wechatpay-Signature')),
  // A proxy that drops all four Wechatpay-* headers.
  NO_HEADERS: after(strip(...WECHATPAY_HEADERS)),
  WRONG_SERIAL: after(rewrite('Wechatpay-Serial', () => 'PUB_KEY_ID_0000000000000000UNKNOWN')),
  // Signed ten minutes before the peer's now: beyond the ±5 minutes a client allows.
  SKEW: after({
    type: 'headers',
    edit: (h, body, key) => Object.assign(h, signAnswer(body, key, Number(h['Wechatpay-Timestamp']) - 600)),
  }),
  OVERSIZE: after({ type: 'oversize' }),
  SLOW_DRIP: after({ type: 'slowDrip' }),
  // The trade bill's own faults, each on its route only. Not generated yet: WeChat Pay's "retry later" (e.g. every
  // 30 minutes); a later apply gets the bill.
  BILL_NOT_READY: { ...before(signed(400, 'STATEMENT_CREATING', '账单生成中')), routes: ['tradeBill'] },
  // The download URL expired before it was used, as a real expiry answers: apply again for a new one.
  BILL_URL_EXPIRED: {
    ...before(signed(400, 'INVALID_REQUEST', '下载链接已过期, 请重新申请')),
    routes: ['billDownload'],
  },
  // The file served is not the one hashed: only a client that checks the SHA1 of what it read can tell; the next
  // download of the same URL (or a new apply) gets the true file.
  BILL_CORRUPT: { ...after({ type: 'corruptBill' }), routes: ['billDownload'] },
  // The apply's answer (a new download URL was issued) without its four Wechatpay-* headers: it proves nothing, and a
  // file it points at is never reconciled as clean; the next apply is signed.
  BILL_APPLY_UNSIGNED: { ...after(strip(...WECHATPAY_HEADERS)), routes: ['tradeBill'] },
};

/**
 * Faults a caller recovers from by retrying: every kind but PARAM_ERROR and GENERIC_NOT_FOUND, which need a human
 * (see FAULT_TABLE).
 */
export const RECOVERABLE_FAULTS: readonly FaultKind[] = FAULT_KINDS.filter((k) => FAULT_TABLE[k].recoverable);

/**
 * Faults that corrupt (or withhold) the answer after the request took effect: the caller cannot know it did, and such
 * an answer must never be the one a caller accepts.
 */
export const AFTER_EFFECT: ReadonlySet<FaultKind> = new Set(FAULT_KINDS.filter((k) => FAULT_TABLE[k].when === 'after'));

/**
 * The "after" faults that can act on a bill download: its answer is an unsigned file, so a fault that edits signature
 * headers, or answers JSON, cannot spoil it.
 */
const DOWNLOAD_AFTER: ReadonlySet<AfterAnswer['type']> = new Set<AfterAnswer['type']>(['delay', 'corruptBill']);

/** Whether a fault can act on `route` at all (its routes, and what a bill download's answer can carry). */
function actsOn(spec: FaultSpec, route: Route): boolean {
  if (route === 'billDownload' && spec.when === 'after' && !DOWNLOAD_AFTER.has(spec.answer.type)) return false;
  return !spec.routes || spec.routes.includes(route);
}

/** Whether a fault can act on a request on `route`, given what the request `has` (see {@link FaultSpec}). */
export function faultApplies(spec: FaultSpec, route: Route, has: Readonly<Record<FaultNeed, boolean>>): boolean {
  return actsOn(spec, route) && (!spec.needs || has[spec.needs]);
}

/**
 * The recoverable faults that can act on `route` (e.g. for spreading faults over one route, as the chaos run does);
 * some act only when the request has what they need (see {@link FaultSpec}).
 */
export function recoverableOn(route: Route): FaultKind[] {
  return RECOVERABLE_FAULTS.filter((k) => actsOn(FAULT_TABLE[k], route));
}

/** The only routes each fault kind acts on (undefined: every route), for the fault book's checks. */
export function faultRoutes(kind: FaultKind): readonly Route[] | undefined {
  return FAULT_TABLE[kind].routes;
}

/** The first of `candidates` that is not `value`. */
function otherThan(value: string | undefined, candidates: readonly [string, string]): string {
  return candidates[0] === value ? candidates[1] : candidates[0];
}

/** An out_trade_no that none of the answer's sub-orders has. */
function unusedOutTradeNo(answer: OrderAnswerJson): string {
  const base = answer.sub_orders.at(-1)!.out_trade_no.slice(0, 29);
  const taken = new Set(answer.sub_orders.map((s) => s.out_trade_no));
  let i = 1;
  while (taken.has(`${base}X${i}`)) i++;
  return `${base}X${i}`;
}

/** A copy of the last sub-order under another out_trade_no (and, if paid, another transaction id). */
function extraSubOrder(answer: OrderAnswerJson): OrderAnswerJson['sub_orders'][number] {
  const last = answer.sub_orders.at(-1)!;
  const no = unusedOutTradeNo(answer);
  return { ...last, out_trade_no: no, ...(last.transaction_id ? { transaction_id: newTransactionId() } : {}) };
}
