/**
 * The benchmark's local stack: an engine (the dev server, or the local cluster: tools/bench/engine.ts), the WeChat Pay
 * simulator in its own process, and worker processes spawned per task queue, with the look-ups every phase needs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { OrderInput } from '../../client';
import { projectRoot } from '../devstack/data-dir';
import { sampleOrderInput } from '../devstack/order-input';
import { freePort, stopProcess, waitFor } from '../devstack/dev-server';
import { ensureBuilt } from '../scripts/build-if-stale';
import { seedOrder } from '../simulator/admin-client';
import { WORKER_NODE_FLAGS } from '../../worker/memory';
import { startEngine, type Engine, type EngineName } from './engine';

export const ROOT = projectRoot();

/** One request the simulator logged. */
export interface PeerRequest {
  orderNo?: string;
  route: string;
  /** The HTTP status of the simulator's answer. */
  status: number;
  at: string;
}

/** One request the order-service stub logged (a compensation or a payment confirmation). */
export interface DownstreamRequest {
  route: string;
  idempotencyKey?: string;
  combineOutTradeNo?: string;
  status: number;
  at: string;
}

/** The running stack. */
export interface Stack {
  work: string;
  engine: Engine;
  client: Client;
  peerUrl: string;
  /** The environment the simulator wrote for workers (WeChat Pay URL, keys, order service). */
  simEnv: Record<string, string>;
  /**
   * Spawns `script` (a path from the repository root: the built product worker `dist/worker/main.js`, or a tool's
   * `.ts` worker run with tsx), with `nodeArgs` before it, polling `taskQueue`, and waits until it polls.
   */
  worker(script: string, taskQueue: string, extra?: Record<string, string>, nodeArgs?: string[]): Promise<ChildProcess>;
  /**
   * Spawns `script` (as above) with a worker's environment and launch flags (logging to `<name>.log`), without waiting:
   * a peer's worker process. Stopped with the stack.
   */
  spawn(script: string, name: string, extra?: Record<string, string>): ChildProcess;
  /** Registers the order at the simulator as debited (the query answers SUCCESS). */
  seed(input: OrderInput): Promise<void>;
  /** Every request the simulator has logged so far. */
  requests(): Promise<PeerRequest[]>;
  /** Every request the order-service stub has logged so far. */
  downstreamRequests(): Promise<DownstreamRequest[]>;
  /** Close time of each completed workflow on `taskQueue`, once at least `expected` have completed there. */
  closeTimes(taskQueue: string, expected: number): Promise<Map<string, number>>;
  stop(): Promise<void>;
}

/** Options of the run: the engine (`--engine`, the dev server by default) and eager dispatch (`BENCH_EAGER=1`). */
export interface StackOptions {
  engine?: EngineName;
  eager: boolean;
}

/** Starts the engine and the simulator (after building dist/ if it is stale: the product workers run from it). */
export async function startStack(work: string, options: StackOptions): Promise<Stack> {
  ensureBuilt();
  const engine = await startEngine(options.engine ?? 'dev-server', work, options);
  const { client } = engine;
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(children.map((c) => stopProcess(c, 10_000)));
    await engine.stop();
  };
  try {
    const simEnv = await startSimulator(children);
    const peerUrl = simEnv.WECHATPAY_BASE_URL!;
    // No pay window: the bench's orders make no pay call, so the reverse path starts at the deadline.
    const env = { ...simEnv, ...engine.env, WECHATPAY_MIN_PAY_WINDOW: BENCH_PAY_WINDOW };
    const spawnChild = (script: string, name: string, extra: Record<string, string> = {}, nodeArgs: string[] = []) => {
      const child = spawnWorker(work, script, env, name, extra, nodeArgs);
      children.push(child);
      return child;
    };
    const worker = async (
      script: string,
      taskQueue: string,
      extra: Record<string, string> = {},
      nodeArgs: string[] = [],
    ) => {
      const child = spawnChild(script, taskQueue, extra, nodeArgs);
      await waitPolling(client, engine.namespace, taskQueue);
      return child;
    };
    const downstreamAdmin = simEnv.COMPENSATION_URL!.replace(/\/compensations$/, '/__admin/requests');
    return {
      work,
      engine,
      client,
      peerUrl,
      simEnv,
      worker,
      spawn: (script, name, extra) => spawnChild(script, name, extra),
      seed: (input) => seedOrder(peerUrl, input, 'SUCCESS'),
      requests: async () => (await (await fetch(`${peerUrl}__admin/requests`)).json()) as PeerRequest[],
      downstreamRequests: async () => (await (await fetch(downstreamAdmin)).json()) as DownstreamRequest[],
      closeTimes: (taskQueue, expected) => closeTimes(client, taskQueue, expected),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The simulator in its own process, so that its CPU is not counted as the bench's or a worker's. */
async function startSimulator(children: ChildProcess[]): Promise<Record<string, string>> {
  const sim = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'tools', 'scripts', 'simulator.ts')], {
    env: { ...process.env, SIMULATOR_PORT: String(await freePort()), ORDER_SERVICE_PORT: String(await freePort()) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(sim);
  let simOut = '';
  sim.stdout.on('data', (d: Buffer) => (simOut += d.toString()));
  await waitFor('the simulator', async () => simOut.includes('Worker environment written'));
  return Object.fromEntries(
    fs
      .readFileSync(path.join(ROOT, '.data', 'worker.env'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

function spawnWorker(
  work: string,
  script: string,
  env: Record<string, string>,
  taskQueue: string,
  extra: Record<string, string>,
  nodeArgs: string[],
): ChildProcess {
  const out = fs.openSync(path.join(work, `${taskQueue}.log`), 'a');
  // Every worker (product or ceiling) runs with the product's launch flags; `nodeArgs` come after and override them.
  // The product worker is the built one (dist/); a tool's worker (the ceiling, a peer) runs from its source with tsx.
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...WORKER_NODE_FLAGS, ...nodeArgs, ...loader, path.join(ROOT, script)], {
    env: { ...process.env, ...env, TEMPORAL_TASK_QUEUE: taskQueue, LOG_LEVEL: 'WARN', ...extra },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  return child;
}

function waitPolling(client: Client, namespace: string, taskQueue: string): Promise<void> {
  return waitFor(
    `a worker polling ${taskQueue}`,
    async () => {
      const res = await client.workflowService.describeTaskQueue({
        namespace,
        taskQueue: { name: taskQueue },
        taskQueueType: 1,
      });
      return (res.pollers ?? []).length > 0;
    },
    { timeoutMs: 90_000 },
  );
}

async function closeTimes(client: Client, taskQueue: string, expected: number): Promise<Map<string, number>> {
  const query = `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Completed'`;
  await waitFor(
    `${expected} completions on ${taskQueue}`,
    async () => Number((await client.workflow.count(query)).count) >= expected,
    { timeoutMs: 600_000, intervalMs: 250 },
  );
  const out = new Map<string, number>();
  for await (const wf of client.workflow.list({ query })) out.set(wf.workflowId, wf.closeTime?.getTime() ?? NaN);
  return out;
}

/**
 * The bench's pay window and floor: its orders make no pay call, so nothing can land after the deadline and the
 * reconcile starts at it (a checkout's orders wait the pay window after it; the bench measures the path after that).
 */
export const BENCH_PAY_WINDOW = '0s';

/** A two-sub-order order due at `deadline`, with the bench's pay window ({@link BENCH_PAY_WINDOW}). */
export function makeOrder(no: string, deadline: number): OrderInput {
  const created = Date.now() - 60_000;
  return sampleOrderInput(no, {
    orderCreatedAt: created,
    paymentTimeout: deadline - created,
    payWindow: BENCH_PAY_WINDOW,
  });
}
