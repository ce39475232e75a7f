/**
 * A stub of the platform's order service, the compensation endpoint's peer: checks the HMAC signature when a secret
 * is set, deduplicates by Idempotency-Key (a repeat answers 409), records what it compensated, and fails on request.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { FaultBook, readBody } from './faults';

/** Faults the stub can inject. */
export const ORDER_SERVICE_FAULTS = ['500', '503', '429', '408', '422', 'RESET', 'DELAY'] as const;
/** One of {@link ORDER_SERVICE_FAULTS}. */
export type OrderServiceFault = (typeof ORDER_SERVICE_FAULTS)[number];

/** One received compensation request. */
export interface CompensationLogEntry {
  seq: number;
  at: string;
  idempotencyKey?: string;
  outTradeNo?: string;
  combineOutTradeNo?: string;
  signatureOk: boolean | 'unsigned';
  fault?: OrderServiceFault;
  status: number;
  /** This request compensated the sub-order (the first accepted one for its key). */
  effective: boolean;
}

/** A running stub. */
export interface OrderService {
  url: string;
  log: CompensationLogEntry[];
  /** Effective compensations by Idempotency-Key, with the body that caused them. */
  compensated: Map<string, { at: string; body: Record<string, unknown>; count: number }>;
  faults: FaultBook<OrderServiceFault, 'compensate'>;
  close(): Promise<void>;
}

const MAX_SKEW_SECONDS = 300;

/** Starts the stub; `secret` enables HMAC checking. */
export async function startOrderService(
  options: { port?: number; secret?: string; seed?: number; delayMs?: number } = {},
): Promise<OrderService> {
  const log: CompensationLogEntry[] = [];
  const compensated = new Map<string, { at: string; body: Record<string, unknown>; count: number }>();
  const faults = new FaultBook<OrderServiceFault, 'compensate'>(
    ORDER_SERVICE_FAULTS,
    ['compensate'],
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
    if (u.pathname !== '/compensations' || req.method !== 'POST') return send(404, { error: 'POST /compensations' });
    const raw = await readBody(req, 64 * 1024);
    let body: Record<string, unknown> | undefined;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      body = undefined;
    }
    const key = header(req, 'idempotency-key');
    const entry: CompensationLogEntry = {
      seq: ++seq,
      at: new Date().toISOString(),
      ...(key ? { idempotencyKey: key } : {}),
      ...(typeof body?.outTradeNo === 'string' ? { outTradeNo: body.outTradeNo } : {}),
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
      entry.signatureOk = signatureHolds(
        options.secret,
        header(req, 'x-compensation-timestamp'),
        header(req, 'x-compensation-signature'),
        raw,
      );
      if (!entry.signatureOk) return reply(401, { error: 'bad or missing X-Compensation-Signature' });
    }
    if (!body || !key || typeof body.outTradeNo !== 'string' || typeof body.combineOutTradeNo !== 'string') {
      return reply(400, {
        error: 'JSON body with combineOutTradeNo and outTradeNo, and an Idempotency-Key, are required',
      });
    }
    if (key !== `${body.combineOutTradeNo}:${body.outTradeNo}`)
      return reply(400, { error: 'Idempotency-Key does not match the body' });
    const fault = faults.pick('compensate', body.outTradeNo);
    if (fault) {
      entry.fault = fault.kind;
      if (fault.kind === 'RESET') {
        entry.status = -1;
        req.socket.destroy();
        return;
      }
      if (fault.kind === 'DELAY') {
        // Compensate, then answer too late: the caller retries and must be deduplicated.
        record(key, body, entry);
        await new Promise((r) => setTimeout(r, fault.delayMs ?? options.delayMs ?? 15_000));
        if (!res.destroyed) reply(200, { compensated: true });
        return;
      }
      return reply(Number(fault.kind), { error: `injected ${fault.kind}` });
    }
    if (compensated.has(key)) {
      compensated.get(key)!.count += 1;
      return reply(409, { compensated: true, duplicate: true });
    }
    record(key, body, entry);
    return reply(200, { compensated: true });
  }

  function record(key: string, body: Record<string, unknown>, entry: CompensationLogEntry): void {
    if (compensated.has(key)) return;
    compensated.set(key, { at: new Date().toISOString(), body, count: 1 });
    entry.effective = true;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/compensations`,
    log,
    compensated,
    faults,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

function signatureHolds(
  secret: string,
  timestamp: string | undefined,
  signature: string | undefined,
  body: string,
): boolean {
  if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > MAX_SKEW_SECONDS) return false;
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`);
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
