/**
 * HTTP server bookkeeping shared by the simulator's two peers (the WeChat Pay peer and the order-service stub):
 * listening, tracking open connections so that closing is immediate, a failed handler's answer, and JSON answers.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** Answers one request; a rejection is answered 500 (see {@link ServeOptions.destroyOnLateError}). */
export type RequestHandler = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;

/** Where and how to serve. */
export interface ServeOptions {
  /** 0 or absent: any free port. */
  port?: number;
  /** The interface to listen on; 127.0.0.1 when absent. */
  host?: string;
  /** When the handler fails after the headers went out: destroy the connection (else leave it as it is). */
  destroyOnLateError?: boolean;
}

/** A listening server. */
export interface RunningServer {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  base: string;
  /** Destroys every open connection, then stops listening. */
  close: () => Promise<void>;
}

/** Starts serving `handle`; resolves once listening (rejects when the port cannot be had). */
export async function serve(handle: RequestHandler, options: ServeOptions = {}): Promise<RunningServer> {
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else if (options.destroyOnLateError) res.destroy();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Answers `payload` as JSON (plain, unsigned). */
export function sendJson(res: http.ServerResponse, status: number, payload: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(payload));
}

/** A request header's value when it came once, else undefined. */
export function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}
