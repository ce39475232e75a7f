/**
 * A faithful WeChat Pay APIv3 peer for combined withholding orders: pay, query and reverse; verifies every caller's
 * signature (401 SIGN_ERROR, unsigned, when it fails); signs every other answer with a WeChat Pay public key or a
 * platform certificate; keeps order state; injects faults on request; logs every request for tests to read.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { signAnswer, verifyRequestSignature } from '../wechatpay/signing';
import { FaultBook, readBody } from './faults';
import type { SimulatorIdentity } from './keys';

/** Routes of the peer. */
export const ROUTES = ['pay', 'query', 'reverse'] as const;
/** One of {@link ROUTES}. */
export type Route = (typeof ROUTES)[number];

/** Faults the peer can inject. */
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
] as const;
/** One of {@link FAULT_KINDS}. */
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Faults a caller recovers from by retrying (every kind but PARAM_ERROR, which needs a human). */
export const RECOVERABLE_FAULTS: readonly FaultKind[] = FAULT_KINDS.filter((k) => k !== 'PARAM_ERROR');

/**
 * Faults that corrupt (or withhold) the answer after the request took effect: the caller cannot know it did, and such
 * an answer must never be the one a caller accepts.
 */
export const AFTER_EFFECT: ReadonlySet<FaultKind> = new Set([
  'DELAY',
  'TAMPER',
  'SIGNTEST',
  'NO_SIGNATURE',
  'WRONG_SERIAL',
  'SKEW',
  'OVERSIZE',
  'SLOW_DRIP',
]);

/** Faults answered with a signed WeChat Pay error instead of processing the request. */
const ERROR_ANSWERS: Partial<Record<FaultKind, { status: number; code: string; message: string }>> = {
  SYSTEM_ERROR: { status: 500, code: 'SYSTEM_ERROR', message: '系统错误' },
  RATE_LIMIT: { status: 429, code: 'FREQUENCY_LIMITED', message: '频率超限' },
  SERVICE_UNAVAILABLE: { status: 503, code: 'SERVICE_UNAVAILABLE', message: '服务不可用' },
  NO_AUTH: { status: 403, code: 'NO_AUTH', message: '商户无权限' },
  PARAM_ERROR: { status: 400, code: 'PARAM_ERROR', message: '参数错误' },
};

/** Trade states of a simulated order. */
export type TradeState = 'PAYING' | 'SUCCESS' | 'PAYERROR' | 'CLOSED' | 'REFUND';

/** A simulated combined order. */
export interface SimOrder {
  combineOutTradeNo: string;
  combineAppid: string;
  subOrders: { mchid: string; out_trade_no: string; sub_mchid: string; sub_appid?: string }[];
  state: TradeState;
  createdAt: string;
  paidAt?: string;
  reversedAt?: string;
  /** Reverse requests that took effect or were answered as repeats. */
  reverseRequests: number;
  transactionId?: string;
}

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
  /** The request changed the order's state. */
  effect?: { from: TradeState | 'NONE'; to: TradeState };
  /** The answer carried a valid signature from a configured key (what a careful client may accept). */
  answerVerifiable: boolean;
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

/** A running peer. */
export interface WechatpayPeer {
  url: string;
  settings: PeerSettings;
  faults: FaultBook<FaultKind, Route>;
  orders: Map<string, SimOrder>;
  log: PeerLogEntry[];
  /** Scripted outcomes of pay calls, by combine_out_trade_no. */
  payScript: Map<string, 'SUCCESS' | 'FAIL' | 'HANG'>;
  close(): Promise<void>;
}

const BASE = '/v3/ecommerce/combine-papay/transactions';
const ORDER_NO_RE = /^[0-9A-Za-z_\-|*@]{1,32}$/;

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
  const orders = new Map<string, SimOrder>();
  const log: PeerLogEntry[] = [];
  const payScript = new Map<string, 'SUCCESS' | 'FAIL' | 'HANG'>();
  const seenNonces = new Map<string, number>();
  const sockets = new Set<Socket>();
  let seq = 0;

  const signingKey = () =>
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
    if (url.startsWith('/__admin')) return admin(req, res, url);
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

    // 2. Faults that replace the whole exchange.
    const fault = faults.pick(route, orderNo);
    if (fault) entry.fault = fault.kind;
    const errorAnswer = fault ? ERROR_ANSWERS[fault.kind] : undefined;
    if (errorAnswer)
      return answer(res, entry, errorAnswer.status, { code: errorAnswer.code, message: errorAnswer.message });
    switch (fault?.kind) {
      case 'RESET':
        entry.status = -1;
        req.socket.destroy();
        return;
      case 'SIGN_ERROR':
        return answerUnsigned(res, entry, 401, { code: 'SIGN_ERROR', message: '签名错误' });
      case 'INVALID_JSON':
        entry.status = 502;
        res.writeHead(502, { 'Content-Type': 'text/html' }).end('<html><body>502 Bad Gateway{{</body></html>');
        return;
      default:
        break;
    }

    // 3. The API itself.
    const [status, payload] =
      route === 'pay' ? await pay(body, entry) : route === 'query' ? query(orderNo!) : reverse(orderNo!, body, entry);
    if (fault && AFTER_EFFECT.has(fault.kind)) return corrupt(res, entry, fault.kind, status, payload, fault.delayMs);
    return answer(res, entry, status, payload);
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

  async function pay(body: string, entry: PeerLogEntry): Promise<[number, unknown]> {
    const json = safeJson(body);
    const no = json?.combine_out_trade_no;
    const appid = json?.combine_appid;
    const subs = parseSubOrders(json?.sub_orders);
    if (typeof no !== 'string' || !ORDER_NO_RE.test(no) || typeof appid !== 'string' || !subs) {
      return [400, { code: 'PARAM_ERROR', message: 'combine_out_trade_no, combine_appid and sub_orders are required' }];
    }
    if (orders.has(no)) return [400, { code: 'INVALID_REQUEST', message: '订单号重复' }];
    const order: SimOrder = {
      combineOutTradeNo: no,
      combineAppid: appid,
      subOrders: subs,
      state: 'PAYING',
      createdAt: new Date().toISOString(),
      reverseRequests: 0,
    };
    orders.set(no, order);
    const outcome = payScript.get(no) ?? 'SUCCESS';
    if (outcome === 'FAIL') {
      order.state = 'PAYERROR';
      entry.effect = { from: 'NONE', to: 'PAYERROR' };
      return [403, { code: 'NOT_ENOUGH', message: '用户余额不足' }];
    }
    order.state = 'SUCCESS';
    order.paidAt = new Date().toISOString();
    order.transactionId = `42000${Date.now()}${randomBytes(3).toString('hex')}`;
    entry.effect = { from: 'NONE', to: 'SUCCESS' };
    // A hanging pay: the money moved, but the answer comes after the caller gave up.
    if (outcome === 'HANG') await new Promise((r) => setTimeout(r, settings.payHangMs));
    return [200, orderJson(order)];
  }

  function query(no: string): [number, unknown] {
    const order = orders.get(no);
    if (!order) return [404, { code: 'ORDER_NOT_EXIST', message: '订单不存在' }];
    return [200, orderJson(order)];
  }

  function reverse(no: string, body: string, entry: PeerLogEntry): [number, unknown] {
    const json = safeJson(body);
    const subs = parseSubOrders(json?.sub_orders);
    if (!ORDER_NO_RE.test(no) || typeof json?.combine_appid !== 'string' || !subs) {
      return [400, { code: 'PARAM_ERROR', message: 'combine_appid and sub_orders are required' }];
    }
    const extra = Object.keys(json).filter((k) => k !== 'combine_appid' && k !== 'sub_orders');
    if (extra.length > 0) return [400, { code: 'PARAM_ERROR', message: `unknown field ${extra[0]}` }];
    const order = orders.get(no);
    if (!order) return [404, { code: 'ORDER_NOT_EXIST', message: '订单不存在' }];
    if (json.combine_appid !== order.combineAppid || !sameSubOrders(order.subOrders, subs)) {
      return [400, { code: 'INVALID_REQUEST', message: '子单信息与原订单不一致' }];
    }
    order.reverseRequests += 1;
    if (order.state === 'CLOSED' || order.state === 'REFUND') {
      return settings.repeatReversePolicy === 'NO_CONTENT'
        ? [204, undefined]
        : [400, { code: 'ORDER_CLOSED', message: '订单已关闭' }];
    }
    const from = order.state;
    order.state = from === 'SUCCESS' ? 'REFUND' : 'CLOSED';
    order.reversedAt = new Date().toISOString();
    entry.effect = { from, to: order.state };
    return [204, undefined];
  }

  function answer(res: http.ServerResponse, entry: PeerLogEntry, status: number, payload: unknown): void {
    const body = payload === undefined ? '' : JSON.stringify(payload);
    const headers: Record<string, string> = { ...signAnswer(body, signingKey()) };
    if (body) headers['Content-Type'] = 'application/json';
    entry.status = status;
    entry.answerVerifiable = true;
    res.writeHead(status, headers).end(body);
  }

  function answerUnsigned(res: http.ServerResponse, entry: PeerLogEntry, status: number, payload: unknown): void {
    entry.status = status;
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(payload));
  }

  async function corrupt(
    res: http.ServerResponse,
    entry: PeerLogEntry,
    kind: FaultKind,
    status: number,
    payload: unknown,
    delayMs?: number,
  ): Promise<void> {
    const body = payload === undefined ? '' : JSON.stringify(payload);
    const key = signingKey();
    const signed: Record<string, string> = { ...signAnswer(body, key) };
    if (body) signed['Content-Type'] = 'application/json';
    entry.status = status;
    switch (kind) {
      case 'DELAY':
        await new Promise((r) => setTimeout(r, delayMs ?? settings.delayMs));
        entry.answerVerifiable = true;
        if (!res.destroyed) res.writeHead(status, signed).end(body);
        return;
      case 'TAMPER': {
        const sig = signed['Wechatpay-Signature']!;
        signed['Wechatpay-Signature'] = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
        break;
      }
      case 'SIGNTEST':
        signed['Wechatpay-Signature'] = `WECHATPAY/SIGNTEST/${randomBytes(96).toString('base64')}`;
        break;
      case 'NO_SIGNATURE':
        delete signed['Wechatpay-Signature'];
        break;
      case 'WRONG_SERIAL':
        signed['Wechatpay-Serial'] = 'PUB_KEY_ID_0000000000000000UNKNOWN';
        break;
      case 'SKEW':
        Object.assign(signed, signAnswer(body, key, Math.floor(Date.now() / 1000) - 600));
        break;
      case 'OVERSIZE': {
        const big = JSON.stringify({ padding: 'x'.repeat(2 * 1024 * 1024) });
        entry.status = 200;
        res.writeHead(200, { ...signAnswer(big, key), 'Content-Type': 'application/json' }).end(big);
        return;
      }
      case 'SLOW_DRIP': {
        entry.status = 200;
        res.writeHead(200, { 'Content-Type': 'application/json', ...signAnswer('{}', key) });
        for (let i = 0; i < 120 && !res.destroyed; i++) {
          res.write(' ');
          await new Promise((r) => setTimeout(r, 500));
        }
        if (!res.destroyed) res.end('{}');
        return;
      }
      default:
        break;
    }
    res.writeHead(status, signed).end(body);
  }

  async function admin(req: http.IncomingMessage, res: http.ServerResponse, url: string): Promise<void> {
    const u = new URL(url, 'http://localhost');
    const send = (status: number, payload: unknown): void => {
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(payload));
    };
    const body = req.method === 'POST' ? (safeJson(await readBody(req)) ?? {}) : {};
    try {
      if (u.pathname === '/__admin/requests' && req.method === 'GET') {
        const no = u.searchParams.get('orderNo');
        return send(200, no ? log.filter((e) => e.orderNo === no) : log);
      }
      if (u.pathname === '/__admin/orders' && req.method === 'GET') return send(200, [...orders.values()]);
      if (u.pathname.startsWith('/__admin/orders/') && req.method === 'GET') {
        const order = orders.get(decodeURIComponent(u.pathname.slice('/__admin/orders/'.length)));
        return order ? send(200, order) : send(404, { error: 'no such order' });
      }
      if (u.pathname === '/__admin/orders' && req.method === 'POST') {
        const subs = parseSubOrders(body.sub_orders);
        const no = body.combine_out_trade_no;
        const state = (body.state ?? 'PAYING') as TradeState;
        if (typeof no !== 'string' || !ORDER_NO_RE.test(no)) throw new Error('combine_out_trade_no is required');
        if (typeof body.combine_appid !== 'string') throw new Error('combine_appid is required');
        if (!subs) throw new Error('sub_orders is required');
        const order: SimOrder = {
          combineOutTradeNo: no,
          combineAppid: body.combine_appid,
          subOrders: subs,
          state,
          createdAt: new Date().toISOString(),
          reverseRequests: 0,
        };
        orders.set(no, order);
        return send(201, order);
      }
      if (u.pathname === '/__admin/faults' && req.method === 'POST') return send(201, faults.add(body));
      if (u.pathname === '/__admin/faults' && req.method === 'GET') {
        return send(200, { rules: faults.list(), injected: Object.fromEntries(faults.injected) });
      }
      if (u.pathname === '/__admin/faults' && req.method === 'DELETE') {
        faults.clear();
        return send(200, {});
      }
      if (u.pathname === '/__admin/settings' && req.method === 'POST') {
        if (body.repeatReversePolicy !== undefined) {
          if (body.repeatReversePolicy !== 'NO_CONTENT' && body.repeatReversePolicy !== 'ORDER_CLOSED') {
            throw new Error('repeatReversePolicy must be NO_CONTENT or ORDER_CLOSED');
          }
          settings.repeatReversePolicy = body.repeatReversePolicy;
        }
        if (body.signWith !== undefined) {
          if (body.signWith !== 'PUBLIC_KEY' && body.signWith !== 'PLATFORM_CERT') {
            throw new Error('signWith must be PUBLIC_KEY or PLATFORM_CERT');
          }
          settings.signWith = body.signWith;
        }
        if (typeof body.delayMs === 'number') settings.delayMs = body.delayMs;
        return send(200, settings);
      }
      if (u.pathname === '/__admin/pay-script' && req.method === 'POST') {
        const outcome = body.outcome;
        if (typeof body.combine_out_trade_no !== 'string') throw new Error('combine_out_trade_no is required');
        if (outcome !== 'SUCCESS' && outcome !== 'FAIL' && outcome !== 'HANG')
          throw new Error('outcome must be SUCCESS, FAIL or HANG');
        payScript.set(body.combine_out_trade_no, outcome);
        return send(200, {});
      }
      if (u.pathname === '/__admin/identity' && req.method === 'GET') {
        return send(200, {
          mchid: identity.mchid,
          merchantSerial: identity.merchantSerial,
          publicKeyId: identity.publicKeyId,
          platformSerial: identity.platformSerial,
          settings,
        });
      }
      return send(404, { error: 'no such admin route' });
    } catch (err) {
      return send(400, { error: (err as Error).message });
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
    orders,
    log,
    payScript,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function safeJson(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function parseSubOrders(value: unknown): SimOrder['subOrders'] | undefined {
  if (!Array.isArray(value) || value.length < 1 || value.length > 50) return undefined;
  const out: SimOrder['subOrders'] = [];
  for (const item of value as Record<string, unknown>[]) {
    if (typeof item !== 'object' || item === null) return undefined;
    const { mchid, out_trade_no, sub_mchid, sub_appid } = item;
    if (typeof mchid !== 'string' || typeof out_trade_no !== 'string' || typeof sub_mchid !== 'string')
      return undefined;
    if (sub_appid !== undefined && typeof sub_appid !== 'string') return undefined;
    out.push({ mchid, out_trade_no, sub_mchid, ...(typeof sub_appid === 'string' ? { sub_appid } : {}) });
  }
  return out;
}

function sameSubOrders(a: SimOrder['subOrders'], b: SimOrder['subOrders']): boolean {
  const key = (s: SimOrder['subOrders'][number]) => `${s.mchid}|${s.out_trade_no}|${s.sub_mchid}`;
  const ka = a.map(key).sort();
  const kb = b.map(key).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i]);
}

function orderJson(order: SimOrder): Record<string, unknown> {
  return {
    combine_appid: order.combineAppid,
    combine_out_trade_no: order.combineOutTradeNo,
    sub_orders: order.subOrders.map((s) => ({
      ...s,
      trade_state: order.state,
      ...(order.transactionId ? { transaction_id: `${order.transactionId}${s.out_trade_no.slice(-4)}` } : {}),
    })),
  };
}
