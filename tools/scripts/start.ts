/**
 * `npm start`: the whole system locally on its embedded default — the Temporal dev server with its Web UI (state in
 * .data/temporal.sqlite), the WeChat Pay simulator, the order-service stub and a worker — and a small demo batch of
 * orders whose progress is printed (tools/devstack/demo.ts). Ctrl-C stops everything.
 */
import { balanceBooks } from '../devstack/books';
import { DEFAULT_TASK_QUEUE } from '../../workflows/contract';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { demoBatch, followDemo, placeDemoOrders, type Simulators } from '../devstack/demo';
import { DATA_DIR } from '../devstack/data-dir';
import { portInUse, startDevServer, stopProcess, waitFor, type DevServer } from '../devstack/dev-server';
import { workerArgs } from '../devstack/worker-args';
import { startSimulators } from '../simulator/local';

const PORTS = { temporal: 7233, ui: 8233, wechatpay: 8240, orderService: 8241 } as const;

/** What is running, for a clean stop on Ctrl-C or on a failed start. */
const running: { children: ChildProcess[]; server?: DevServer; sims?: Simulators } = {
  children: [],
};
let stopping = false;

/** Stops everything, then exits; a second call (a second Ctrl-C) leaves the first to finish. */
async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log('\nStopping: worker, simulators, Temporal dev server…');
  await Promise.all(running.children.map((c) => stopProcess(c, 25_000)));
  await Promise.all([running.sims?.peer.close(), running.sims?.orderService.close()]);
  await running.server?.stop();
  console.log('Stopped. History is kept in .data/temporal.sqlite for the next npm start.');
  process.exit(code);
}

/** Refuses to start when a port is taken, naming it. */
async function checkPorts(): Promise<void> {
  const busy: string[] = [];
  for (const [what, port] of Object.entries(PORTS)) {
    if (await portInUse(port)) busy.push(`${port} (${what})`);
  }
  if (busy.length > 0) {
    throw new Error(
      `Port(s) already in use: ${busy.join(', ')}. Another \`npm start\` or Temporal server is probably running: stop it (Ctrl-C) and run npm start again.`,
    );
  }
}

/** Starts the worker process against the server and simulators; resolves once it polls. */
async function startWorker(server: DevServer, sims: Simulators): Promise<void> {
  const workerLog = path.join(DATA_DIR, 'worker.log');
  const logFd = fs.openSync(workerLog, 'a');
  const worker = spawn(process.execPath, workerArgs(), {
    env: { ...process.env, ...sims.env, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: server.namespace },
    stdio: ['ignore', logFd, logFd],
  });
  fs.closeSync(logFd);
  running.children.push(worker);
  const logStart = fs.statSync(workerLog).size;
  await waitFor(
    'the worker to poll its task queue (see .data/worker.log)',
    async () => {
      if (worker.exitCode !== null) throw new Error(`the worker exited (${worker.exitCode}); see ${workerLog}`);
      return fs.readFileSync(workerLog, 'utf8').slice(logStart).includes('worker polling');
    },
    { timeoutMs: 60_000 },
  );
  console.log(`Worker: running (log: ${path.relative(process.cwd(), workerLog)})`);
}

/** Places the demo batch and follows it to its end phases. */
async function runDemo(server: DevServer, sims: Simulators): Promise<void> {
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });
  const batch = demoBatch();
  const began = Date.now();
  console.log(`\nDemo batch: ${batch.length} orders, payment timeout 30 s each.`);
  const linkFor = (id: string) => `${server.uiUrl}/namespaces/${server.namespace}/workflows/${encodeURIComponent(id)}`;
  await placeDemoOrders(client, sims, batch, linkFor);
  console.log('\nProgress (phase changes):');
  const byPhase = await followDemo(client, batch);
  console.log(`\nDemo done: ${[...byPhase].map(([p, n]) => `${n} ${p}`).join(', ')}.`);
  // The books: the day reconciled against the simulator's trade bill by the product's own reconciliation.
  const books = await balanceBooks(client, {
    peerUrl: sims.peer.url,
    taskQueue: process.env.TEMPORAL_TASK_QUEUE ?? DEFAULT_TASK_QUEUE,
    subMchids: [...new Set(batch.flatMap((d) => d.input.subOrders.map((s) => s.subMchid)))],
    since: began,
  });
  console.log(
    `Books: reconciled against the WeChat Pay simulator's trade bill (${books.days.join(', ')}): ${books.rows} rows, ${books.matched} matched, ${books.unsettled} unsettled (the order waiting for an operator), ${books.problems.length} mismatches.`,
  );
  for (const problem of books.problems) console.log(`  ${problem}`);
  console.log(
    `Find them in the Web UI with the query  CombineOutTradeNo STARTS_WITH "DEMO"  or  PaymentPhase="NEEDS_ATTENTION".`,
  );
  console.log(
    'The NEEDS_ATTENTION order resumes with a "retry" signal (Web UI: Send a Signal, name retry, input empty).',
  );
  console.log('Press Ctrl-C to stop.');
  await client.connection.close();
}

async function main(): Promise<void> {
  fs.mkdirSync(DATA_DIR, { recursive: true });
  await checkPorts();
  // `on`, not `once`: Ctrl-C reaches this process twice (from the terminal and forwarded by npm), and a second signal
  // without a handler would kill it mid-shutdown, leaving the dev server and the worker running. shutdown() runs once.
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  console.log('Starting the Temporal dev server (state in .data/temporal.sqlite)…');
  const server = await startDevServer({
    port: PORTS.temporal,
    uiPort: PORTS.ui,
    dbFile: path.join(DATA_DIR, 'temporal.sqlite'),
    logFile: path.join(DATA_DIR, 'temporal-dev-server.log'),
  });
  running.server = server;
  const sims = await startSimulators({ wechatpay: PORTS.wechatpay, orderService: PORTS.orderService }, DATA_DIR);
  running.sims = sims;
  console.log(`Temporal Web UI: ${server.uiUrl}`);
  console.log(`WeChat Pay simulator: ${sims.peer.url}`);
  console.log(`Order service stub: ${sims.orderService.url}`);
  await startWorker(server, sims);
  await runDemo(server, sims);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  void shutdown(1);
});
