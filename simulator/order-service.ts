/**
 * A stub of the platform's order service, the peer of the product's downstream calls: compensations
 * (`POST /compensations`, one per sub-order) and payment confirmations (`POST /payment-confirmations`, an order adopted
 * as paid). It checks the HMAC signature when a secret is set (`X-Compensation-Signature: sha256=<hex>` over
 * `<X-Compensation-Timestamp>.<Idempotency-Key>.<body>`, with the package's `verifyDownstreamRequest`, the sample a
 * real order service runs; the worker signs with its own code in activities/),
 * deduplicates by Idempotency-Key (a repeat answers 409), records what it received, and fails on request.
 */
import { verifyDownstreamRequest } from '../client';
import type http from 'node:http';
import { FaultBook, readBody, sleep, type FaultRule } from './faults';
import { header, sendJson, serve } from './http-server';
import { safeJson } from './wechatpay/orders';
import { DownstreamHeaders } from '../workflows/contract';

// ── Routes and signature ──

/** Routes of the stub (a fault rule without `route` applies to both). */
const ORDER_SERVICE_ROUTES = ['compensate', 'confirm'] as const;
/** One of {@link ORDER_SERVICE_ROUTES}. */
type OrderServiceRoute = (typeof ORDER_SERVICE_ROUTES)[number];

/** Paths of the two routes. */
const ORDER_SERVICE_PATHS = {
  compensate: '/compensations',
  confirm: '/payment-confirmations',
} as const satisfies Record<OrderServiceRoute, string>;

/** What an accepted request is: the Idempotency-Key it must come under, and the order number fault rules match. */
interface RouteRule {
  key: string;
  faultOrderNo: string;
  outTradeNo?: string;
}

/** What a route accepts: checks the body and names the key it must come under; throws a message naming the field. */
const ROUTE_RULES: Readonly<Record<OrderServiceRoute, (body: Record<string, unknown>) => RouteRule>> = {
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
function acceptedAnswer(route: OrderServiceRoute): Record<string, unknown> {
  return route === 'compensate' ? { compensated: true } : { confirmed: true };
}

// ── The stub ──

/** Faults the stub can inject. */
const ORDER_SERVICE_FAULTS = ['500', '503', '429', '408', '422', 'RESET', 'DELAY'] as const;
/** One of {@link ORDER_SERVICE_FAULTS}. */
export type OrderServiceFault = (typeof ORDER_SERVICE_FAULTS)[number];

/** One received request (a compensation or a payment confirmation). */
export interface CompensationLogEntry {
  seq: number;
  at: string;
  route: OrderServiceRoute;
  idempotencyKey?: string;
  /** The sub-order (compensations only). */
  outTradeNo?: string;
  combineOutTradeNo?: string;
  signatureOk: boolean | 'unsigned';
  fault?: OrderServiceFault;
  status: number;
  /** This request took effect (the first accepted one for its key). */
  effective: boolean;
  /**
   * The request as it arrived: the three downstream headers (absent ones left out) and the raw body, so that the
   * order-service verification samples (TypeScript, Java, Go) can be run against what the worker really sent.
   */
  wire: { headers: Record<string, string>; body: string };
}

/** An effective request: when, the body that caused it, and how many requests carried its key. */
export interface ReceivedOnce {
  at: string;
  body: Record<string, unknown>;
  count: number;
}

/** A running stub. */
export interface OrderService {
  /** The compensation endpoint (`COMPENSATION_URL`). */
  url: string;
  /** The payment confirmation endpoint (`PAYMENT_CONFIRMATION_URL`). */
  confirmationUrl: string;
  log: CompensationLogEntry[];
  /** Effective compensations by Idempotency-Key (`<combineOutTradeNo>:<outTradeNo>`), with the whole body. */
  compensated: Map<string, ReceivedOnce>;
  /** Effective payment confirmations by Idempotency-Key (`<combineOutTradeNo>:paid`), with the whole body. */
  confirmations: Map<string, ReceivedOnce>;
  /** Fault rules; `orderNo` matches the sub-order (compensate) or the combined order (confirm). */
  faults: FaultBook<OrderServiceFault, OrderServiceRoute>;
  close(): Promise<void>;
}

/** Everything a running stub keeps. */
interface StubState {
  log: CompensationLogEntry[];
  /** Effective requests by Idempotency-Key, per route. */
  received: Record<OrderServiceRoute, Map<string, ReceivedOnce>>;
  faults: FaultBook<OrderServiceFault, OrderServiceRoute>;
  /** Enables HMAC checking. */
  secret: string | undefined;
  /** How long a DELAY fault without its own `delayMs` holds the answer. */
  delayMs: number | undefined;
  /** The last request number. */
  seq: number;
}

/** One request that reached a route, being answered. */
interface Call {
  route: OrderServiceRoute;
  req: http.IncomingMessage;
  res: http.ServerResponse;
  entry: CompensationLogEntry;
  /** Answers JSON, noting the status in the log entry. */
  reply(status: number, payload: unknown): void;
}

/** An accepted request: its (checked) Idempotency-Key and body, and what its route made of it. */
interface Accepted {
  key: string;
  body: Record<string, unknown>;
  rule: RouteRule;
}

/** Starts the stub; `secret` enables HMAC checking. */
export async function startOrderService(
  options: { port?: number; secret?: string; seed?: number; delayMs?: number } = {},
): Promise<OrderService> {
  const compensated = new Map<string, ReceivedOnce>();
  const confirmations = new Map<string, ReceivedOnce>();
  const stub: StubState = {
    log: [],
    received: { compensate: compensated, confirm: confirmations },
    faults: new FaultBook<OrderServiceFault, OrderServiceRoute>(
      ORDER_SERVICE_FAULTS,
      ORDER_SERVICE_ROUTES,
      options.seed ?? 2,
    ),
    secret: options.secret,
    delayMs: options.delayMs,
    seq: 0,
  };
  const server = await serve((req, res) => handle(stub, req, res), { port: options.port });
  return {
    url: `${server.base}${ORDER_SERVICE_PATHS.compensate}`,
    confirmationUrl: `${server.base}${ORDER_SERVICE_PATHS.confirm}`,
    log: stub.log,
    compensated,
    confirmations,
    faults: stub.faults,
    close: server.close,
  };
}

/** Answers one request: the admin API, or a compensation or confirmation (logged, checked, faulted or recorded). */
async function handle(stub: StubState, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const u = new URL(req.url ?? '/', 'http://localhost');
  if (u.pathname.startsWith('/__admin')) return admin(stub, req, res, u.pathname);
  const route = ORDER_SERVICE_ROUTES.find((r) => ORDER_SERVICE_PATHS[r] === u.pathname);
  if (!route || req.method !== 'POST') {
    return sendJson(res, 404, {
      error: `POST ${ORDER_SERVICE_PATHS.compensate} or POST ${ORDER_SERVICE_PATHS.confirm}`,
    });
  }
  const raw = await readBody(req, 64 * 1024);
  const body = safeJson(raw);
  const key = header(req, 'idempotency-key');
  const entry: CompensationLogEntry = {
    seq: ++stub.seq,
    at: new Date().toISOString(),
    route,
    ...(key ? { idempotencyKey: key } : {}),
    ...(route === 'compensate' && typeof body?.outTradeNo === 'string' ? { outTradeNo: body.outTradeNo } : {}),
    ...(typeof body?.combineOutTradeNo === 'string' ? { combineOutTradeNo: body.combineOutTradeNo } : {}),
    signatureOk: 'unsigned',
    status: 0,
    effective: false,
    wire: { headers: downstreamHeaders(req), body: raw },
  };
  stub.log.push(entry);
  const call: Call = { route, req, res, entry, reply: (status, payload) => replyTo(call, status, payload) };
  const accepted = accept(stub.secret, call, raw, body, key);
  if (!accepted) return;
  const fault = stub.faults.pick(route, accepted.rule.faultOrderNo);
  if (fault) return injectFault(stub, call, accepted, fault);
  const done = stub.received[route];
  const before = done.get(accepted.key);
  if (before) {
    before.count += 1;
    return call.reply(409, { ...acceptedAnswer(route), duplicate: true });
  }
  record(done, accepted, entry);
  return call.reply(200, acceptedAnswer(route));
}

/** The downstream headers of a request, by their contract names (those it carries). */
function downstreamHeaders(req: http.IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.values(DownstreamHeaders)) {
    const value = header(req, name.toLowerCase());
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** Answers JSON, noting the status in the call's log entry. */
function replyTo(call: Call, status: number, payload: unknown): void {
  call.entry.status = status;
  sendJson(call.res, status, payload);
}

/**
 * Checks the request's signature (when a secret is set), its body and its Idempotency-Key; answers a refusal
 * (401, 400) and returns undefined, or returns the accepted request.
 */
function accept(
  secret: string | undefined,
  call: Call,
  raw: string,
  body: Record<string, unknown> | undefined,
  key: string | undefined,
): Accepted | undefined {
  const refuse = (status: number, error: string): undefined => void call.reply(status, { error });
  if (secret) {
    // The verification a real order service runs: the package's own sample.
    call.entry.signatureOk = verifyDownstreamRequest(secret, { headers: call.req.headers, body: raw }).ok;
    if (!call.entry.signatureOk) return refuse(401, 'bad or missing X-Compensation-Signature');
  }
  if (!body) return refuse(400, 'a JSON object body is required');
  let rule: RouteRule;
  try {
    rule = ROUTE_RULES[call.route](body);
  } catch (err) {
    return refuse(400, (err as Error).message);
  }
  if (!key) return refuse(400, `an Idempotency-Key header is required (${rule.key})`);
  if (key !== rule.key) return refuse(400, `Idempotency-Key does not match the body: expected ${rule.key}`);
  return { key, body, rule };
}

/**
 * Answers an accepted request as `fault` says: the connection reset; taking effect, then answering too late (the
 * caller retries and must be deduplicated); or the HTTP status the fault is named after.
 */
async function injectFault(
  stub: StubState,
  call: Call,
  accepted: Accepted,
  fault: FaultRule<OrderServiceFault, OrderServiceRoute>,
): Promise<void> {
  call.entry.fault = fault.kind;
  if (fault.kind === 'RESET') {
    call.entry.status = -1;
    call.req.socket.destroy();
    return;
  }
  if (fault.kind === 'DELAY') {
    record(stub.received[call.route], accepted, call.entry);
    await sleep(fault.delayMs ?? stub.delayMs ?? 15_000);
    if (!call.res.destroyed) call.reply(200, acceptedAnswer(call.route));
    return;
  }
  return call.reply(Number(fault.kind), { error: `injected ${fault.kind}` });
}

/** The first accepted request for its key takes effect: kept in `done` with its body, its log entry marked. */
function record(done: Map<string, ReceivedOnce>, { key, body }: Accepted, entry: CompensationLogEntry): void {
  if (done.has(key)) return;
  done.set(key, { at: new Date().toISOString(), body, count: 1 });
  entry.effective = true;
}

/** The admin API: the request log, the effective requests, and adding or removing fault rules. */
async function admin(
  stub: StubState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  path: string,
): Promise<void> {
  const send = (status: number, payload: unknown): void => sendJson(res, status, payload);
  if (path === '/__admin/requests') return send(200, stub.log);
  if (path === '/__admin/compensations') return send(200, Object.fromEntries(stub.received.compensate));
  if (path === '/__admin/confirmations') return send(200, Object.fromEntries(stub.received.confirm));
  if (path === '/__admin/faults' && req.method === 'POST') {
    try {
      return send(201, stub.faults.add(JSON.parse(await readBody(req)) as Record<string, unknown>));
    } catch (err) {
      return send(400, { error: (err as Error).message });
    }
  }
  if (path === '/__admin/faults' && req.method === 'DELETE') {
    stub.faults.clear();
    return send(200, {});
  }
  return send(404, { error: 'no such admin route' });
}
