/**
 * A stub of the platform's order service, the peer of the product's downstream calls: compensations
 * (`POST /compensations`, one per sub-order) and payment confirmations (`POST /payment-confirmations`, an order adopted
 * as paid). It checks the HMAC signature when a secret is set (`X-Compensation-Signature: sha256=<hex>` over
 * `<X-Compensation-Timestamp>.<Idempotency-Key>.<body>`, verified here independently of the product's code),
 * deduplicates by Idempotency-Key (a repeat answers 409), records what it received, and fails on request.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { FaultBook, readBody } from './faults';

/** Faults the stub can inject. */
export const ORDER_SERVICE_FAULTS = ['500', '503', '429', '408', '422', 'RESET', 'DELAY'] as const;
/** One of {@link ORDER_SERVICE_FAULTS}. */
export type OrderServiceFault = (typeof ORDER_SERVICE_FAULTS)[number];

/** Routes of the stub (a fault rule without `route` applies to both). */
export const ORDER_SERVICE_ROUTES = ['compensate', 'confirm'] as const;
/** One of {@link ORDER_SERVICE_ROUTES}. */
export type OrderServiceRoute = (typeof ORDER_SERVICE_ROUTES)[number];

/** Paths of the two routes. */
export const ORDER_SERVICE_PATHS = {
  compensate: '/compensations',
  confirm: '/payment-confirmations',
} as const satisfies Record<OrderServiceRoute, string>;

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
}

/** One received request of either route (the historical name {@link CompensationLogEntry} covers both). */
export type OrderServiceLogEntry = CompensationLogEntry;

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

const MAX_SKEW_SECONDS = 300;

/** What a route accepts: checks the body and names the key it must come under; throws a message naming the field. */
const ROUTE_RULES: Record<
  OrderServiceRoute,
  (body: Record<string, unknown>) => { key: string; faultOrderNo: string; outTradeNo?: string }
> = {
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

/** Starts the stub; `secret` enables HMAC checking. */
export async function startOrderService(
  options: { port?: number; secret?: string; seed?: number; delayMs?: number } = {},
): Promise<OrderService> {
  const log: CompensationLogEntry[] = [];
  const compensated = new Map<string, ReceivedOnce>();
  const confirmations = new Map<string, ReceivedOnce>();
  const received: Record<OrderServiceRoute, Map<string, ReceivedOnce>> = {
    compensate: compensated,
    confirm: confirmations,
  };
  const faults = new FaultBook<OrderServiceFault, OrderServiceRoute>(
    ORDER_SERVICE_FAULTS,
    ORDER_SERVICE_ROUTES,
    options.seed ?? 2,
  );
  const sockets = new Set<Socket>();
  let seq = 0;

  const server = http.createServer((req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, payload: unknown): void => {
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(payload));
    };
    if (u.pathname.startsWith('/__admin')) {
      if (u.pathname === '/__admin/requests') return send(200, log);
      if (u.pathname === '/__admin/compensations') return send(200, Object.fromEntries(compensated));
      if (u.pathname === '/__admin/confirmations') return send(200, Object.fromEntries(confirmations));
      if (u.pathname === '/__admin/faults' && req.method === 'POST') {
        try {
          return send(201, faults.add(JSON.parse(await readBody(req)) as Record<string, unknown>));
        } catch (err) {
          return send(400, { error: (err as Error).message });
        }
      }
      if (u.pathname === '/__admin/faults' && req.method === 'DELETE') {
        faults.clear();
        return send(200, {});
      }
      return send(404, { error: 'no such admin route' });
    }
    const route = ORDER_SERVICE_ROUTES.find((r) => ORDER_SERVICE_PATHS[r] === u.pathname);
    if (!route || req.method !== 'POST') {
      return send(404, { error: `POST ${ORDER_SERVICE_PATHS.compensate} or POST ${ORDER_SERVICE_PATHS.confirm}` });
    }
    const raw = await readBody(req, 64 * 1024);
    let body: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = JSON.parse(raw);
      body =
        typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as typeof body) : undefined;
    } catch {
      body = undefined;
    }
    const key = header(req, 'idempotency-key');
    const entry: CompensationLogEntry = {
      seq: ++seq,
      at: new Date().toISOString(),
      route,
      ...(key ? { idempotencyKey: key } : {}),
      ...(route === 'compensate' && typeof body?.outTradeNo === 'string' ? { outTradeNo: body.outTradeNo } : {}),
      ...(typeof body?.combineOutTradeNo === 'string' ? { combineOutTradeNo: body.combineOutTradeNo } : {}),
      signatureOk: 'unsigned',
      status: 0,
      effective: false,
    };
    log.push(entry);
    const reply = (status: number, payload: unknown): void => {
      entry.status = status;
      send(status, payload);
    };
    if (options.secret) {
      entry.signatureOk = signatureHolds(options.secret, {
        timestamp: header(req, 'x-compensation-timestamp'),
        signature: header(req, 'x-compensation-signature'),
        idempotencyKey: key,
        body: raw,
      });
      if (!entry.signatureOk) return reply(401, { error: 'bad or missing X-Compensation-Signature' });
    }
    if (!body) return reply(400, { error: 'a JSON object body is required' });
    let rule: ReturnType<(typeof ROUTE_RULES)[OrderServiceRoute]>;
    try {
      rule = ROUTE_RULES[route](body);
    } catch (err) {
      return reply(400, { error: (err as Error).message });
    }
    if (!key) return reply(400, { error: `an Idempotency-Key header is required (${rule.key})` });
    if (key !== rule.key) return reply(400, { error: `Idempotency-Key does not match the body: expected ${rule.key}` });
    const done = received[route];
    const fault = faults.pick(route, rule.faultOrderNo);
    if (fault) {
      entry.fault = fault.kind;
      if (fault.kind === 'RESET') {
        entry.status = -1;
        req.socket.destroy();
        return;
      }
      if (fault.kind === 'DELAY') {
        // Take effect, then answer too late: the caller retries and must be deduplicated.
        record(done, key, body, entry);
        await new Promise((r) => setTimeout(r, fault.delayMs ?? options.delayMs ?? 15_000));
        if (!res.destroyed) reply(200, answerFor(route));
        return;
      }
      return reply(Number(fault.kind), { error: `injected ${fault.kind}` });
    }
    const before = done.get(key);
    if (before) {
      before.count += 1;
      return reply(409, { ...answerFor(route), duplicate: true });
    }
    record(done, key, body, entry);
    return reply(200, answerFor(route));
  }

  function record(
    done: Map<string, ReceivedOnce>,
    key: string,
    body: Record<string, unknown>,
    entry: CompensationLogEntry,
  ): void {
    if (done.has(key)) return;
    done.set(key, { at: new Date().toISOString(), body, count: 1 });
    entry.effective = true;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return {
    url: `${base}${ORDER_SERVICE_PATHS.compensate}`,
    confirmationUrl: `${base}${ORDER_SERVICE_PATHS.confirm}`,
    log,
    compensated,
    confirmations,
    faults,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function answerFor(route: OrderServiceRoute): Record<string, unknown> {
  return route === 'compensate' ? { compensated: true } : { confirmed: true };
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
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
