/**
 * A stub of the platform's order service, the peer of the product's downstream calls: compensations
 * (`POST /compensations`, one per sub-order) and payment confirmations (`POST /payment-confirmations`, an order adopted
 * as paid), both Standard Webhooks. It verifies them as a real order service does, with the package's
 * `verifyDownstreamRequest` (the `standardwebhooks` library, any of its secrets, and the route's purpose: a
 * compensation sent to the confirmation route is refused), while the worker signs with its own code in activities/;
 * it deduplicates by webhook-id (a repeat answers 409), records what it received, and fails on request. A secret
 * rotation is simulated by giving the worker a secret the stub does not hold yet (it answers 401) and then adding it
 * (`addSecret`, `POST /__admin/secrets`); faults `401` / `403` answer so for a count of requests.
 */
import type http from 'node:http';
import {
  DOWNSTREAM_REFUSAL_STATUS,
  readDownstreamWebhook,
  verifyDownstreamRequest,
} from '../../client/verify-downstream';
import { FaultBook, readBody, sleep, type FaultRule } from './fault-book';
import { header, sendJson, serve } from './http-server';
import { DownstreamHeaders, type DownstreamPurpose } from '../../workflows/contract';

// ── Routes ──

/** Routes of the stub (a fault rule without `route` applies to both). */
const ORDER_SERVICE_ROUTES = ['compensate', 'confirm'] as const;
/** One of {@link ORDER_SERVICE_ROUTES}. */
type OrderServiceRoute = (typeof ORDER_SERVICE_ROUTES)[number];

/** Paths of the two routes. */
const ORDER_SERVICE_PATHS = {
  compensate: '/compensations',
  confirm: '/payment-confirmations',
} as const satisfies Record<OrderServiceRoute, string>;

/** What each route expects (the purpose its verification states). */
const ROUTE_PURPOSE = {
  compensate: 'compensation',
  confirm: 'confirmation',
} as const satisfies Record<OrderServiceRoute, DownstreamPurpose>;

/** The answer to an accepted request of `route`. */
function acceptedAnswer(route: OrderServiceRoute): Record<string, unknown> {
  return route === 'compensate' ? { compensated: true } : { confirmed: true };
}

// ── The stub ──

/** Faults the stub can inject (on a request it accepted). */
const ORDER_SERVICE_FAULTS = ['500', '503', '429', '408', '422', '401', '403', 'RESET', 'DELAY'] as const;
/** One of {@link ORDER_SERVICE_FAULTS}. */
export type OrderServiceFault = (typeof ORDER_SERVICE_FAULTS)[number];

/** One received request (a compensation or a payment confirmation). */
export interface CompensationLogEntry {
  seq: number;
  at: string;
  route: OrderServiceRoute;
  /** The `webhook-id` header. */
  webhookId?: string;
  /** The `Idempotency-Key` header (the webhook-id again). */
  idempotencyKey?: string;
  /** The body's `type`. */
  type?: string;
  /** The W3C `traceparent` header, when the worker traces (not part of the signed content). */
  traceparent?: string;
  /** The sub-order (compensations only). */
  outTradeNo?: string;
  combineOutTradeNo?: string;
  /** The signature verified with one of the stub's secrets; `'unsigned'` when the stub holds none. */
  signatureOk: boolean | 'unsigned';
  /** Why the request was refused, when it was (`DownstreamRefusal`). */
  refusal?: string;
  fault?: OrderServiceFault;
  status: number;
  /** This request took effect (the first accepted one for its webhook-id). */
  effective: boolean;
  /**
   * The request as it arrived: the downstream headers (absent ones left out) and the raw body, so that the
   * order-service verification samples (TypeScript, Java, Go) can be run against what the worker really sent.
   */
  wire: { headers: Record<string, string>; body: string };
}

/** An effective request: when, the webhook that caused it, and how many requests carried its webhook-id. */
export interface ReceivedOnce {
  at: string;
  /** The body's `type`. */
  type: string;
  /** The body's `timestamp`. */
  timestamp: string;
  /** The body's `data`. */
  data: Record<string, unknown>;
  count: number;
}

/** A running stub. */
export interface OrderService {
  /** The compensation endpoint (`COMPENSATION_URL`). */
  url: string;
  /** The payment confirmation endpoint (`PAYMENT_CONFIRMATION_URL`). */
  confirmationUrl: string;
  log: CompensationLogEntry[];
  /** Effective compensations by webhook-id (`compensation:<combineOutTradeNo>:<outTradeNo>`). */
  compensated: Map<string, ReceivedOnce>;
  /** Effective payment confirmations by webhook-id (`confirmation:<combineOutTradeNo>`). */
  confirmations: Map<string, ReceivedOnce>;
  /** Fault rules; `orderNo` matches the sub-order (compensate) or the combined order (confirm). */
  faults: FaultBook<OrderServiceFault, OrderServiceRoute>;
  /** Accepts `secret` too from now on (the order service's half of a rotation). */
  addSecret(secret: string): void;
  /** Accepts exactly these secrets from now on (none: unsigned requests accepted, nothing verified). */
  setSecrets(secrets: readonly string[]): void;
  close(): Promise<void>;
}

/** Everything a running stub keeps. */
interface StubState {
  log: CompensationLogEntry[];
  /** Effective requests by webhook-id, per route. */
  received: Record<OrderServiceRoute, Map<string, ReceivedOnce>>;
  faults: FaultBook<OrderServiceFault, OrderServiceRoute>;
  /** The Standard Webhooks secrets accepted; none: signatures are not checked. */
  secrets: string[];
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

/** An accepted request: its webhook-id, body fields, and the order number fault rules match. */
interface Accepted {
  key: string;
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
  faultOrderNo: string;
}

/** The secrets as a list: a space-separated string (as `COMPENSATION_HMAC_SECRET`) or a list. */
function secretList(secrets: string | readonly string[] | undefined): string[] {
  if (secrets === undefined) return [];
  return typeof secrets === 'string' ? secrets.split(/\s+/).filter(Boolean) : [...secrets];
}

/**
 * Starts the stub; `secrets` (`whsec_…`, several for a rotation) enables verification, as the worker's
 * `COMPENSATION_HMAC_SECRET` enables signing.
 */
export async function startOrderService(
  options: { port?: number; secrets?: string | readonly string[]; seed?: number; delayMs?: number } = {},
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
    secrets: secretList(options.secrets),
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
    addSecret: (secret) => void (stub.secrets.includes(secret) || stub.secrets.push(secret)),
    setSecrets: (secrets) => void (stub.secrets = [...secrets]),
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
  const entry = logEntry(stub, route, req, raw);
  stub.log.push(entry);
  const call: Call = { route, req, res, entry, reply: (status, payload) => replyTo(call, status, payload) };
  const accepted = accept(stub.secrets, call, raw);
  if (!accepted) return;
  const fault = stub.faults.pick(route, accepted.faultOrderNo);
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

/** The log entry of a request as it arrived (what its headers and body say, before any check). */
function logEntry(
  stub: StubState,
  route: OrderServiceRoute,
  req: http.IncomingMessage,
  raw: string,
): CompensationLogEntry {
  const body = parseObject(raw);
  const data = parseObject(JSON.stringify(body?.data ?? null));
  const webhookId = header(req, DownstreamHeaders.WEBHOOK_ID);
  const key = header(req, DownstreamHeaders.IDEMPOTENCY_KEY.toLowerCase());
  const traceparent = header(req, 'traceparent');
  return {
    seq: ++stub.seq,
    at: new Date().toISOString(),
    route,
    ...(webhookId ? { webhookId } : {}),
    ...(key ? { idempotencyKey: key } : {}),
    ...(typeof body?.type === 'string' ? { type: body.type } : {}),
    ...(traceparent ? { traceparent } : {}),
    ...(route === 'compensate' && typeof data?.outTradeNo === 'string' ? { outTradeNo: data.outTradeNo } : {}),
    ...(typeof data?.combineOutTradeNo === 'string' ? { combineOutTradeNo: data.combineOutTradeNo } : {}),
    signatureOk: 'unsigned',
    status: 0,
    effective: false,
    wire: { headers: downstreamHeaders(req), body: raw },
  };
}

/** A JSON object, or undefined. */
function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
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
 * Checks the request as a real order service does: with secrets, the package's `verifyDownstreamRequest` (signature,
 * then the route's purpose); without, the purpose check alone. A refusal is answered (401 or 400, as
 * `DOWNSTREAM_REFUSAL_STATUS` says) and undefined returned.
 */
function accept(secrets: readonly string[], call: Call, raw: string): Accepted | undefined {
  const request = { headers: call.req.headers, body: raw };
  const purpose = ROUTE_PURPOSE[call.route];
  const verdict =
    secrets.length > 0 ? verifyDownstreamRequest(secrets, request, purpose) : readDownstreamWebhook(request, purpose);
  if (secrets.length > 0) {
    call.entry.signatureOk = verdict.ok || !(DOWNSTREAM_REFUSAL_STATUS[verdict.refusal] === 401);
  }
  if (!verdict.ok) {
    call.entry.refusal = verdict.refusal;
    call.reply(DOWNSTREAM_REFUSAL_STATUS[verdict.refusal], { error: verdict.message, refusal: verdict.refusal });
    return undefined;
  }
  const data = verdict.data as unknown as Record<string, unknown>;
  return {
    key: verdict.webhookId,
    type: verdict.type,
    timestamp: verdict.timestamp,
    data,
    faultOrderNo: String(call.route === 'compensate' ? data.outTradeNo : data.combineOutTradeNo),
  };
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

/** The first accepted request for its webhook-id takes effect: kept in `done`, its log entry marked. */
function record(done: Map<string, ReceivedOnce>, accepted: Accepted, entry: CompensationLogEntry): void {
  if (done.has(accepted.key)) return;
  const { type, timestamp, data } = accepted;
  done.set(accepted.key, { at: new Date().toISOString(), type, timestamp, data, count: 1 });
  entry.effective = true;
}

/**
 * The admin API: the request log, the effective requests, fault rules (add, clear), and the secrets accepted
 * (`POST /__admin/secrets {"secret"}` adds one, `PUT {"secrets": [...]}` replaces them; answers only how many).
 */
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
  if (path === '/__admin/secrets') return adminSecrets(stub, req, send);
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

/** `GET`, `POST {"secret"}` (add) or `PUT {"secrets": [...]}` (replace) `/__admin/secrets`: answers the count only. */
async function adminSecrets(
  stub: StubState,
  req: http.IncomingMessage,
  send: (status: number, payload: unknown) => void,
): Promise<void> {
  const isSecret = (v: unknown): v is string => typeof v === 'string' && v.startsWith('whsec_');
  if (req.method === 'POST' || req.method === 'PUT') {
    const body = parseObject(await readBody(req, 16 * 1024).catch(() => ''));
    if (req.method === 'POST' && isSecret(body?.secret)) {
      if (!stub.secrets.includes(body.secret)) stub.secrets.push(body.secret);
    } else if (req.method === 'PUT' && Array.isArray(body?.secrets) && body.secrets.every(isSecret)) {
      stub.secrets = [...body.secrets];
    } else {
      return send(400, { error: 'POST {"secret": "whsec_…"} or PUT {"secrets": ["whsec_…", …]}' });
    }
  } else if (req.method !== 'GET') {
    return send(405, { error: 'GET, POST or PUT' });
  }
  return send(200, { secrets: stub.secrets.length });
}
