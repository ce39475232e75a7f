/**
 * Starts and stops a real Temporal dev server (`temporal server start-dev`, with its Web UI unless headless) for
 * `npm start`, the tests, chaos runs and benchmarks. Part of tools/devstack/, the libraries that bring up the local stack
 * for the entry points in tools/scripts/, the tests and the benchmarks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../../workflows/contract';
import { ensureTemporalCli } from './temporal-cli';

/** A running dev server. */
export interface DevServer {
  /** gRPC address for clients and workers, `127.0.0.1:<port>`. */
  readonly address: string;
  /** Web UI URL, when not headless. */
  readonly uiUrl: string | undefined;
  /** The namespace the project uses. */
  readonly namespace: string;
  /** The server process. */
  readonly child: ChildProcess;
  /** Stops the server (SIGTERM, then SIGKILL after a grace period). */
  stop(): Promise<void>;
}

/** Options of {@link startDevServer}. */
export interface DevServerOptions {
  /** gRPC port; a free port when omitted. */
  port?: number;
  /** Web UI port; a free port when omitted. Ignored when headless. */
  uiPort?: number;
  /** Run without the Web UI. */
  headless?: boolean;
  /** SQLite file for state that survives restarts; in-memory when omitted. */
  dbFile?: string;
  /** Where the server's own output goes; discarded when omitted. */
  logFile?: string;
  /** How long to wait for readiness. Generous by default: the SDK's own launcher gives up after ~5 s. */
  readyTimeoutMs?: number;
  /** `--sqlite-pragma` statements, e.g. `{ journal_mode: 'wal', synchronous: 'off' }`. */
  sqlitePragmas?: Record<string, string>;
  /** Serve the server's own Prometheus metrics on this port (`--metrics-port`). */
  metricsPort?: number;
  /** Extra `--dynamic-config-value` pairs. */
  dynamicConfig?: Record<string, string | number | boolean>;
}

/** Returns a TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** True when something already accepts connections on 127.0.0.1:port. */
export async function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Polls `check` every `intervalMs` until it returns true, or throws after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  { timeoutMs = 60_000, intervalMs = 200 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > until) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Starts `temporal server start-dev` with the project's search attributes and waits until it serves. */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const cli = await ensureTemporalCli();
  const port = options.port ?? (await freePort());
  const headless = options.headless ?? false;
  const uiPort = headless ? undefined : (options.uiPort ?? (await freePort()));
  const namespace = 'default';
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'warn'];
  if (headless) args.push('--headless');
  else args.push('--ui-port', String(uiPort));
  if (options.dbFile) args.push('--db-filename', options.dbFile);
  if (options.metricsPort) args.push('--metrics-port', String(options.metricsPort));
  for (const sa of CUSTOM_SEARCH_ATTRIBUTES) args.push('--search-attribute', `${sa.name}=${sa.cliType}`);
  for (const [key, value] of Object.entries(options.sqlitePragmas ?? {}))
    args.push('--sqlite-pragma', `${key}=${value}`);
  for (const [key, value] of Object.entries(options.dynamicConfig ?? {})) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  const out = options.logFile ? fs.openSync(options.logFile, 'a') : 'ignore';
  const child = spawn(cli, args, { stdio: ['ignore', out, out] });
  if (typeof out === 'number') fs.closeSync(out);
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `exit code ${code}, signal ${signal}`;
  });
  const address = `127.0.0.1:${port}`;
  const server: DevServer = {
    address,
    uiUrl: uiPort ? `http://localhost:${uiPort}` : undefined,
    namespace,
    child,
    stop: () => stopProcess(child),
  };
  try {
    await waitFor(
      `the Temporal dev server on ${address}`,
      async () => {
        if (exited) throw new Error(`temporal server start-dev stopped (${exited})`);
        return serverAnswers(address, namespace);
      },
      { timeoutMs: options.readyTimeoutMs ?? 120_000, intervalMs: 250 },
    );
    if (exited) throw new Error(`temporal server start-dev stopped (${exited})${logHint(options.logFile)}`);
    await keepClosedRuns(address, namespace);
    if (uiPort) {
      await waitFor(`the Temporal Web UI on :${uiPort}`, async () => (await fetch(`http://127.0.0.1:${uiPort}/`)).ok, {
        timeoutMs: options.readyTimeoutMs ?? 120_000,
      });
    }
  } catch (err) {
    await stopProcess(child);
    throw new Error(`${(err as Error).message}${logHint(options.logFile)}`);
  }
  return server;
}

function logHint(logFile: string | undefined): string {
  return logFile ? ` (server log: ${logFile})` : '';
}

/**
 * Keeps closed runs as long as production must (the dev server's namespace keeps them a day): a second start of an
 * order finds its earlier run, and the go-live check's retention rule holds here too.
 */
async function keepClosedRuns(address: string, namespace: string): Promise<void> {
  const connection = await Connection.connect({ address, connectTimeout: 5_000 });
  try {
    await connection.workflowService.updateNamespace({
      namespace,
      config: { workflowExecutionRetentionTtl: msToTs(`${DEV_RETENTION_DAYS}d`) },
    });
  } finally {
    await connection.close();
  }
}

/** The dev server namespace's retention: WeChat Pay's reverse window twice (oldest order + longest timeout), and a day. */
const DEV_RETENTION_DAYS = 15;

async function serverAnswers(address: string, namespace: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 1_000 });
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  } finally {
    await connection.close();
  }
}

/** Sends SIGTERM, then SIGKILL if the process has not exited within `graceMs`. */
export async function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
