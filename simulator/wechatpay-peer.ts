/**
 * A faithful WeChat Pay APIv3 peer for combined withholding orders: pay, query and reverse; verifies every caller's
 * signature (401 SIGN_ERROR, unsigned, when it fails); signs every other answer with a WeChat Pay public key or a
 * platform certificate; keeps order state (per sub-order); injects faults on request; lands late pays; logs every
 * request for tests to read. The admin API lives in `peer-admin.ts`, the order state logic in `peer-orders.ts`.
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { signAnswer, verifyRequestSignature } from './signing';
import { FaultBook, readBody } from './faults';
import type { SimulatorIdentity } from './keys';
import { handleAdmin } from './peer-admin';
import { payApi, queryApi, reverseApi, safeJson, type OrderBook, type OrderEffect } from './peer-orders';

/** Order types, defined in `peer-orders.ts`, re-exported for the peer's existing importers. */
export type { LatePay, OrderEffect, PayOutcome, SimOrder, TradeState } from './peer-orders';

/** Routes of the peer. */
export const ROUTES = ['pay', 'query', 'reverse'] as const;
/** One of {@link ROUTES}. */
export type Route = (typeof ROUTES)[number];

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
] as const;
/** One of {@link FAULT_KINDS}. */
export type FaultKind = (typeof FAULT_KINDS)[number];

/** The key that signs answers, announced under `serial`. */
interface SigningKey {
  privateKey: KeyObject;
  serial: string;
}

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
  RATE_LIMIT: before(signed(429, 'FREQUENCY_LIMITED', '频率超限')),
  // The same, saying when to come back: the caller waits that long (bounded) instead of its own backoff.
  RATE_LIMIT_RETRY_AFTER: before(signed(429, 'FREQUENCY_LIMITED', '频率超限', { 'Retry-After': '3' })),
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

/** One logged request. */
export interface PeerLogEntry {
  seq: number;
  at: string;
  route: Route | 'unknown';
  method: string;
  path: string;
  orderNo?: string;
  /** Why the caller's signature was refused, if it was. */
  authProblem?: string;
  wechatpaySerial?: string;
  fault?: FaultKind;
  status: number;
  /** The `code` of the answer's JSON, when it had one. */
  code?: string;
  /** The request changed the order's state (`latePay`: a scheduled debit landed right after this answer). */
  effect?: OrderEffect;
  /** The answer carried a valid signature from a configured key (what a careful client may accept). */
  answerVerifiable: boolean;
  /** The `Wechatpay-Nonce` the answer was sent with (ties a client's accepted answer to this very exchange). */
  answerNonce?: string;
}

/** Peer settings that tests and the admin API may change. */
export interface PeerSettings {
  /** How a repeated reverse is answered. */
  repeatReversePolicy: 'NO_CONTENT' | 'ORDER_CLOSED';
  /** Which key signs answers. */
  signWith: 'PUBLIC_KEY' | 'PLATFORM_CERT';
  /** How long a DELAY fault (and a hanging pay) holds the answer. */
  delayMs: number;
  /** How long a scripted hanging pay call holds its answer. */
  payHangMs: number;
}

/**
 * A running peer: its orders, scripted pay outcomes and late pays (debits waiting to land on the next "no such
 * order" answer), each by combine_out_trade_no (see {@link OrderBook}), with its settings, faults and request log.
 */
export interface WechatpayPeer extends OrderBook {
  url: string;
  settings: PeerSettings;
  faults: FaultBook<FaultKind, Route>;
  log: PeerLogEntry[];
  close(): Promise<void>;
}

const BASE = '/v3/ecommerce/combine-papay/transactions';

/** Starts the peer. */
export async function startWechatpayPeer(
  identity: SimulatorIdentity,
  options: { port?: number; host?: string; seed?: number; settings?: Partial<PeerSettings> } = {},
): Promise<WechatpayPeer> {
  const settings: PeerSettings = {
    repeatReversePolicy: 'NO_CONTENT',
    signWith: 'PUBLIC_KEY',
    delayMs: 15_000,
    payHangMs: 65_000,
    ...options.settings,
  };
  const faults = new FaultBook<FaultKind, Route>(FAULT_KINDS, ROUTES, options.seed ?? 1);
  const log: PeerLogEntry[] = [];
  const book: OrderBook = { orders: new Map(), payScript: new Map(), latePays: new Map() };
  const admin = { identity, settings, faults, log, ...book };
  const seenNonces = new Map<string, number>();
  const sockets = new Set<Socket>();
  let seq = 0;

  const signingKey = (): SigningKey =>
    settings.signWith === 'PUBLIC_KEY'
      ? { privateKey: identity.wechatpayPrivateKey, serial: identity.publicKeyId }
      : { privateKey: identity.platformPrivateKey, serial: identity.platformSerial };

  const server = http.createServer((req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    if (url.startsWith('/__admin')) return handleAdmin(admin, req, res);
    const method = req.method ?? 'GET';
    let body: string;
    try {
      body = await readBody(req);
    } catch {
      res.writeHead(413).end();
      return;
    }
    const pathOnly = url.split('?')[0]!;
    const { route, orderNo } = routeOf(method, pathOnly, body);
    const entry: PeerLogEntry = {
      seq: ++seq,
      at: new Date().toISOString(),
      route,
      method,
      path: url,
      ...(orderNo ? { orderNo } : {}),
      ...(typeof req.headers['wechatpay-serial'] === 'string'
        ? { wechatpaySerial: req.headers['wechatpay-serial'] }
        : {}),
      status: 0,
      answerVerifiable: false,
    };
    log.push(entry);

    // 1. The caller's signature, over the exact bytes received.
    const authProblem =
      verifyRequestSignature(
        { method, uri: url, body, authorization: req.headers.authorization },
        { mchid: identity.mchid, serial: identity.merchantSerial, publicKey: identity.merchantPublicKey },
      ) ?? nonceProblem(req.headers.authorization);
    if (authProblem) {
      entry.authProblem = authProblem;
      return answerUnsigned(res, entry, 401, { code: 'SIGN_ERROR', message: `签名错误: ${authProblem}` });
    }
    if (route === 'unknown') return answer(res, entry, 404, { code: 'NOT_FOUND', message: 'no such API' });
    const serialHeader = entry.wechatpaySerial;
    if (settings.signWith === 'PUBLIC_KEY' && serialHeader !== identity.publicKeyId) {
      return answer(res, entry, 400, {
        code: 'PARAM_ERROR',
        message: serialHeader
          ? 'Wechatpay-Serial is not a known WeChat Pay public key id'
          : 'Wechatpay-Serial header is required',
      });
    }

    // 2. Faults that replace the whole exchange: the request is not processed.
    const fault = faults.pick(route, orderNo);
    const spec = fault ? FAULT_TABLE[fault.kind] : undefined;
    if (fault) entry.fault = fault.kind;
    if (spec?.when === 'before') return answerInstead(req, res, entry, spec.answer);

    // 3. The API itself; then faults that spoil the answer of a processed request.
    const result =
      route === 'pay'
        ? payApi(book, body)
        : route === 'query'
          ? queryApi(book, orderNo!)
          : reverseApi(book, orderNo!, body, settings.repeatReversePolicy);
    if (result.effect) entry.effect = result.effect;
    // A hanging pay: the money moved, but the answer comes after the caller gave up.
    if (result.hang) await new Promise((r) => setTimeout(r, settings.payHangMs));
    if (spec?.when === 'after') return spoil(res, entry, spec.answer, result.status, result.payload, fault?.delayMs);
    return answer(res, entry, result.status, result.payload);
  }

  function nonceProblem(authorization: string | undefined): string | undefined {
    const nonce = /nonce_str="([^"]*)"/.exec(authorization ?? '')?.[1] ?? '';
    const now = Date.now();
    if (seenNonces.size > 50_000) for (const [n, exp] of seenNonces) if (exp < now) seenNonces.delete(n);
    if ((seenNonces.get(nonce) ?? 0) > now) return 'nonce_str reused';
    seenNonces.set(nonce, now + 10 * 60_000);
    return undefined;
  }

  function routeOf(method: string, path: string, body: string): { route: Route | 'unknown'; orderNo?: string } {
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

  function answer(
    res: http.ServerResponse,
    entry: PeerLogEntry,
    status: number,
    payload: unknown,
    extraHeaders: Record<string, string> = {},
  ): void {
    const body = payload === undefined ? '' : JSON.stringify(payload);
    const h: Record<string, string> = { ...extraHeaders, ...signAnswer(body, signingKey()) };
    if (body) h['Content-Type'] = 'application/json';
    record(entry, status, payload);
    entry.answerVerifiable = true;
    entry.answerNonce = h['Wechatpay-Nonce'];
    res.writeHead(status, h).end(body);
  }

  function answerUnsigned(
    res: http.ServerResponse,
    entry: PeerLogEntry,
    status: number,
    payload: unknown,
    extraHeaders: Record<string, string> = {},
  ): void {
    record(entry, status, payload);
    res.writeHead(status, { ...extraHeaders, 'Content-Type': 'application/json' }).end(JSON.stringify(payload));
  }

  function answerInstead(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    entry: PeerLogEntry,
    spec: BeforeAnswer,
  ): void {
    switch (spec.type) {
      case 'signed':
      case 'unsigned':
        return (spec.type === 'signed' ? answer : answerUnsigned)(
          res,
          entry,
          spec.status,
          { code: spec.code, message: spec.message },
          spec.headers,
        );
      case 'reset':
        entry.status = -1;
        req.socket.destroy();
        return;
      case 'badGateway':
        entry.status = 502;
        res.writeHead(502, { 'Content-Type': 'text/html' }).end('<html><body>502 Bad Gateway{{</body></html>');
        return;
    }
  }

  async function spoil(
    res: http.ServerResponse,
    entry: PeerLogEntry,
    spec: AfterAnswer,
    status: number,
    payload: unknown,
    delayMs?: number,
  ): Promise<void> {
    const body = payload === undefined ? '' : JSON.stringify(payload);
    const key = signingKey();
    const h: Record<string, string> = { ...signAnswer(body, key) };
    if (body) h['Content-Type'] = 'application/json';
    record(entry, status, payload);
    switch (spec.type) {
      case 'delay':
        await new Promise((r) => setTimeout(r, delayMs ?? settings.delayMs));
        entry.answerVerifiable = true;
        entry.answerNonce = h['Wechatpay-Nonce'];
        if (!res.destroyed) res.writeHead(status, h).end(body);
        return;
      case 'headers':
        spec.edit(h, body, key);
        if (h['Wechatpay-Nonce']) entry.answerNonce = h['Wechatpay-Nonce'];
        res.writeHead(status, h).end(body);
        return;
      case 'oversize': {
        const big = JSON.stringify({ padding: 'x'.repeat(2 * 1024 * 1024) });
        entry.status = 200;
        delete entry.code;
        res.writeHead(200, { ...signAnswer(big, key), 'Content-Type': 'application/json' }).end(big);
        return;
      }
      case 'slowDrip': {
        entry.status = 200;
        delete entry.code;
        res.writeHead(200, { 'Content-Type': 'application/json', ...signAnswer('{}', key) });
        for (let i = 0; i < 120 && !res.destroyed; i++) {
          res.write(' ');
          await new Promise((r) => setTimeout(r, 500));
        }
        if (!res.destroyed) res.end('{}');
        return;
      }
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    settings,
    faults,
    log,
    ...book,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Notes an answer's status and error code in its log entry. */
function record(entry: PeerLogEntry, status: number, payload: unknown): void {
  entry.status = status;
  const code = (payload as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') entry.code = code;
}
