/**
 * The faults the WeChat Pay peer can inject, each described as data: whether it answers instead of processing the
 * request or spoils the answer of a processed one, how, and whether a correct, retrying client recovers from it.
 * `peer-fault-answers.ts` applies them.
 */
import { randomBytes } from 'node:crypto';
import { signAnswer, type SigningKey } from './signing';

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
  | { type: 'reset' | 'badGateway' };

/** How a fault spoils the answer of a request that was processed. */
export type AfterAnswer =
  /** The correct answer whose signature headers are edited. */
  | { type: 'headers'; edit: (headers: Record<string, string>, body: string, key: SigningKey) => void }
  /**
   * `delay`: the correct, signed answer, held back (the rule's `delayMs`, else the peer's); `oversize`: a signed
   * 2 MiB answer instead; `slowDrip`: a 200 whose body trickles in for a minute.
   */
  | { type: 'delay' | 'oversize' | 'slowDrip' };

/**
 * One fault: `before` ones answer instead of processing the request; `after` ones process it (the order state
 * changes) and spoil the answer, so the caller cannot know it took effect. `recoverable`: a correct client that
 * keeps retrying (query first) eventually gets the real, verified answer.
 */
export type FaultSpec =
  | { when: 'before'; recoverable: boolean; answer: BeforeAnswer }
  | { when: 'after'; recoverable: boolean; answer: AfterAnswer };

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
  SKEW: after({ type: 'headers', edit: (h, body, key) => Object.assign(h, signAnswer(body, key, nowSeconds() - 600)) }),
  OVERSIZE: after({ type: 'oversize' }),
  SLOW_DRIP: after({ type: 'slowDrip' }),
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

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
