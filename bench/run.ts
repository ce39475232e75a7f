/**
 * `npm run bench`: what the product adds on top of bare Temporal, measured side by side with same-shape ceilings on
 * the local stack, and its cost per order. Writes bench/results/latest.{json,md} and bench/results/chart.png.
 *
 * Sizes: BENCH_PAIRS (3 interleaved product/ceiling pairs), BENCH_ORDERS (100 per batch), BENCH_BURST (500),
 * BENCH_BACKLOG (50000, started for at most BENCH_BACKLOG_MAX_SEC = 480 s), BENCH_SIGN_CALLS (200), BENCH_CACHE
 * (100, the backlog worker's cache); BENCH_RESULTS_DIR (bench/results) is where the report goes. Every worker runs
 * with the product's launch flags (`WORKER_NODE_FLAGS`).
 * Levers: BENCH_EAGER=1 (dev server with `system.enableActivityEagerExecution`), BENCH_THROUGHPUT_RPS (10000: the
 * WECHATPAY_MAX_RPS of the throughput and latency workers, so that the ratios measure overhead, not the limit).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureTemporalCli } from '../devstack/temporal-cli';
import { loadWorkerConfig } from '../worker/config';
import { WORKER_NODE_FLAGS } from '../worker/memory';
import { actionsOf } from './phases/actions';
import { measureBacklog } from './phases/backlog';
import { measureBurst } from './phases/burst';
import { measureLatency } from './phases/latency';
import { measureSigning } from './phases/signing';
import { measureThroughput, type QueueWorker } from './phases/throughput';
import { writeReport } from './report';
import type { BenchResults } from './results';
import { ROOT, startStack, type Stack } from './stack';
import { log } from './util';

const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const SIZES = {
  pairs: env('BENCH_PAIRS', 3),
  orders: env('BENCH_ORDERS', 100),
  burst: env('BENCH_BURST', 500),
  backlog: env('BENCH_BACKLOG', 50_000),
  signCalls: env('BENCH_SIGN_CALLS', 200),
  cache: env('BENCH_CACHE', 100),
  backlogMaxSec: env('BENCH_BACKLOG_MAX_SEC', 480),
  throughputRps: env('BENCH_THROUGHPUT_RPS', 10_000),
  eager: process.env.BENCH_EAGER === '1',
};

const loadavg = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'combine-papay-bench-'));
  const started = Date.now();
  const loadBefore = loadavg();
  log(`work dir ${work}; sizes ${JSON.stringify(SIZES)}; load ${loadBefore}`);
  const stack = await startStack(work, { eager: SIZES.eager });
  try {
    const results = await measure(stack, started, loadBefore);
    await writeReport(results, path.resolve(ROOT, process.env.BENCH_RESULTS_DIR ?? 'bench/results'));
  } finally {
    await stack.stop();
  }
}

/** Spawns a worker process and returns it as a {@link QueueWorker}. */
async function queueWorker(stack: Stack, script: string, queue: string, extra: Record<string, string>) {
  const child = await stack.worker(script, queue, extra);
  return { queue, pid: child.pid!, completed: 0 } satisfies QueueWorker;
}

async function measure(stack: Stack, started: number, loadBefore: string): Promise<BenchResults> {
  const cli = await ensureTemporalCli();
  const same = { WECHATPAY_MAX_RPS: String(SIZES.throughputRps) };
  const product = await queueWorker(stack, 'worker/main.js', 'bench-lifecycle', same);
  const ceiling = await queueWorker(stack, 'bench/ceiling-worker.js', 'bench-ceiling', same);
  const throughput = await measureThroughput(stack, { product, ceiling }, SIZES.pairs, SIZES.orders);
  const sample = (ids: string[]) => ids.slice(0, 20);
  const paidActions = await actionsOf(stack.client, sample(throughput.sampleIds.paid));
  const reversedActions = await actionsOf(stack.client, sample(throughput.sampleIds.reversed));
  log(`actions per order: paid ${paidActions.actions}, reversed ${reversedActions.actions}`);
  const latency = await measureLatency(stack, product, throughput.reversed.productPerSec.median / 2, 15);
  log(`latency: ${JSON.stringify(latency)}`);

  const burstEnv = {
    ...stack.simEnv,
    TEMPORAL_ADDRESS: stack.server.address,
    ...pick(process.env, 'WECHATPAY_MAX_RPS'),
  };
  const maxRps = loadWorkerConfig(burstEnv).wechatpayMaxRps;
  await queueWorker(stack, 'worker/main.js', 'bench-burst', pick(process.env, 'WECHATPAY_MAX_RPS'));
  const burst = await measureBurst(stack, 'bench-burst', SIZES.burst, maxRps, cli);
  const signing = await measureSigning(stack, SIZES.signCalls);
  const backlogWorker = await queueWorker(stack, 'worker/main.js', 'bench-backlog', {
    WORKER_MAX_CACHED_WORKFLOWS: String(SIZES.cache),
  });
  const backlog = await measureBacklog(
    stack,
    'bench-backlog',
    backlogWorker.pid,
    SIZES.backlog,
    SIZES.cache,
    cli,
    SIZES.backlogMaxSec,
  );
  return {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      temporalCli: execFileSync(cli, ['--version'], { encoding: 'utf8' }).trim(),
    },
    load: { before: loadBefore, after: loadavg() },
    settings: {
      pairs: SIZES.pairs,
      ordersPerBatch: SIZES.orders,
      eagerActivityDispatch: SIZES.eager,
      throughputWechatpayMaxRps: SIZES.throughputRps,
      maxConcurrentActivities: 100,
      workerNodeFlags: WORKER_NODE_FLAGS,
    },
    ratio: throughput.ratio,
    reversed: throughput.reversed,
    paidRatio: throughput.paidRatio,
    paid: throughput.paid,
    workerCpuMsPerOrder: throughput.cpuMsPerOrder,
    historyEventsPerOrder: { paid: paidActions.events, reversed: reversedActions.events },
    actionsPerOrder: { paid: paidActions.actions, reversed: reversedActions.actions },
    actionsBreakdown: { paid: paidActions.breakdown, reversed: reversedActions.breakdown },
    latency,
    p99TimerToFirstCallMs: latency.p99TimerToFirstCallMs,
    p99DeadlineToFirstCallMs: latency.p99DeadlineToFirstCallMs,
    burst,
    signing,
    backlog,
    workerRssMbAt50k: backlog.workerRssMbAt50k,
    durationSec: Math.round((Date.now() - started) / 1000),
  };
}

/** The named variables of `from` that are set. */
function pick(from: NodeJS.ProcessEnv, ...names: string[]): Record<string, string> {
  return Object.fromEntries(names.filter((n) => from[n] !== undefined).map((n) => [n, from[n]!]));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
