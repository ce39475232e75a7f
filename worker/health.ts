/**
 * Probes for an orchestrator (Kubernetes): `GET /healthz` answers 200 while the process is alive; `GET /readyz` answers
 * 200 once the worker is connected and both of its workers poll (the order task queue and the WeChat Pay one), 503 with
 * what is missing otherwise (starting, shutting down). Served on `WORKER_HEALTH_PORT`, apart from the metrics port
 * (which the SDK's own exporter serves).
 */
import http from 'node:http';

/** The probe paths (**contract**: the Kubernetes example uses them). */
export const HEALTH_PATHS = { live: '/healthz', ready: '/readyz' } as const;

/** What readiness reports: ready, and a short word on each part. */
export interface Readiness {
  ready: boolean;
  detail: Record<string, string>;
}

/** A running probe server. */
export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

/** Serves the probes on `port` (0: any free port) on every interface; `readiness` is asked on each `/readyz`. */
export async function startHealthServer(port: number, readiness: () => Readiness): Promise<HealthServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return send(405, { error: 'GET only' });
    if (path === HEALTH_PATHS.live) return send(200, { status: 'alive' });
    if (path === HEALTH_PATHS.ready) {
      const now = readiness();
      return send(now.ready ? 200 : 503, { status: now.ready ? 'ready' : 'not ready', ...now.detail });
    }
    return send(404, { error: `no such probe; try ${HEALTH_PATHS.live} or ${HEALTH_PATHS.ready}` });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The status a probe answers on `port` (`path`: one of {@link HEALTH_PATHS}) on this host, or 0 when nothing answers
 * yet: what an orchestrator sees, for the tests and scripts that wait for a worker.
 */
export async function probeStatus(port: number, path: string): Promise<number> {
  return (await fetch(`http://127.0.0.1:${port}${path}`).catch(() => ({ status: 0 }))).status;
}
