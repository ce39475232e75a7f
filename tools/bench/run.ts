/**
 * `npm run bench`: what the product adds on top of bare Temporal, measured side by side with same-shape ceilings and
 * with the queue a team would pick instead (BullMQ on Redis, tools/bench/peers/bullmq/) on the local stack, its cost
 * per order, and what a worker killed mid-burst costs each. Writes tools/bench/results/latest.{json,md} and
 * tools/bench/results/chart.png.
 *
 * Profiles: `npm run bench` (default: sized to finish within 10 minutes on 2 cores) and `npm run bench -- --full`
 * (50,000-order backlog, larger burst and batches); {@link PROFILES} lists both. `npm run bench -- --trade-bill` runs
 * the trade-bill reconciliation at scale instead (tools/bench/trade-bill.ts: 100,000 rows against 100,000 orders).
 * Environment variables override either: BENCH_PAIRS (interleaved product/ceiling/BullMQ rounds), BENCH_ORDERS (per
 * batch), BENCH_BURST, BENCH_BACKLOG (started for at most BENCH_BACKLOG_MAX_SEC), BENCH_SIGN_CALLS, BENCH_CACHE (the backlog worker's
 * cache), BENCH_CRASH_ORDERS (the kill -9 burst, deadlines over BENCH_CRASH_SPREAD_MS, settled within
 * BENCH_CRASH_BOUND_SEC after the restart), BENCH_LATENCY_SEC (seconds of deadlines in each latency phase);
 * BENCH_RESULTS_DIR (tools/bench/results) is where the report goes. Every worker runs with the product's launch flags
 * (`WORKER_NODE_FLAGS`). REDIS_SERVER names the redis-server binary (default: on the PATH).
 * Levers: BENCH_EAGER=1 (dev server with `system.enableActivityEagerExecution`), BENCH_THROUGHPUT_RPS (10000: the
 * WECHATPAY_MAX_RPS of the throughput, latency and crash workers, so that the ratios measure overhead, not the limit).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureTemporalCli } from '../devstack/temporal-cli';
import { loadWorkerConfig } from '../../worker/config';
import { WORKER_NODE_FLAGS } from '../../worker/memory';
import { startBullmqPeer, type BullmqPeer } from './peers/bullmq/peer';
import { actionsOf } from './phases/actions';
import { measureBacklog } from './phases/backlog';
import { measureBurst } from './phases/burst';
import { bullmqSide, measureBullmqLatency, type PeerWorker } from './phases/bullmq';
import { measureCrash } from './phases/crash';
import { measureLatency } from './phases/latency';
import { measureSigning } from './phases/signing';
import { measureThroughput, type QueueWorker } from './phases/throughput';
import { writeReport } from './report';
import type { BenchResults } from './results';
import { peerSettings, sideResults } from './side-by-side';
import { runTradeBillBench } from './trade-bill';
import { ROOT, startStack, type Stack } from './stack';
import { log } from './util';

/** The two profiles' sizes (environment variables override them one by one). */
export const PROFILES = {
  default: {
    pairs: 3,
    orders: 80,
    burst: 300,
    backlog: 5_000,
    signCalls: 200,
    cache: 100,
    backlogMaxSec: 120,
    crashOrders: 300,
    crashSpreadMs: 2_000,
    crashBoundSec: 150,
    latencySec: 12,
  },
  full: {
    pairs: 3,
    orders: 100,
    burst: 500,
    backlog: 50_000,
    signCalls: 200,
    cache: 100,
    backlogMaxSec: 480,
    crashOrders: 600,
    crashSpreadMs: 3_000,
    crashBoundSec: 240,
    latencySec: 15,
  },
} as const;

const PROFILE: BenchResults['profile'] = process.argv.includes('--full') ? 'full' : 'default';
const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const P = PROFILES[PROFILE];
const SIZES = {
  pairs: env('BENCH_PAIRS', P.pairs),
  orders: env('BENCH_ORDERS', P.orders),
  burst: env('BENCH_BURST', P.burst),
  backlog: env('BENCH_BACKLOG', P.backlog),
  signCalls: env('BENCH_SIGN_CALLS', P.signCalls),
  cache: env('BENCH_CACHE', P.cache),
  backlogMaxSec: env('BENCH_BACKLOG_MAX_SEC', P.backlogMaxSec),
  crashOrders: env('BENCH_CRASH_ORDERS', P.crashOrders),
  crashSpreadMs: env('BENCH_CRASH_SPREAD_MS', P.crashSpreadMs),
  crashBoundSec: env('BENCH_CRASH_BOUND_SEC', P.crashBoundSec),
  latencySec: env('BENCH_LATENCY_SEC', P.latencySec),
  throughputRps: env('BENCH_THROUGHPUT_RPS', 10_000),
  eager: process.env.BENCH_EAGER === '1',
};

const loadavg = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

async function main(): Promise<void> {
  if (process.argv.includes('--trade-bill')) return runTradeBillBench();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'combine-papay-bench-'));
  const started = Date.now();
  const loadBefore = loadavg();
  log(`work dir ${work}; profile ${PROFILE}; sizes ${JSON.stringify(SIZES)}; load ${loadBefore}`);
  const stack = await startStack(work, { eager: SIZES.eager });
  let peer: BullmqPeer | undefined;
  try {
    peer = await startBullmqPeer(stack);
    const results = await measure(stack, peer, started, loadBefore);
    await writeReport(results, path.resolve(ROOT, process.env.BENCH_RESULTS_DIR ?? 'tools/bench/results'));
  } finally {
    await peer?.stop();
    await stack.stop();
  }
}

/** Spawns a worker process and returns it as a {@link QueueWorker}. */
async function queueWorker(stack: Stack, script: string, queue: string, extra: Record<string, string>) {
  const child = await stack.worker(script, queue, extra);
  return { queue, pid: child.pid!, serverPid: stack.server.child.pid!, completed: 0 } satisfies QueueWorker;
}

/** The side-by-side phases: interleaved rounds, actions, then latency at half the lowest saturation rate. */
async function sideBySide(stack: Stack, peer: BullmqPeer, same: Record<string, string>) {
  const product = await queueWorker(stack, 'dist/worker/main.js', 'bench-lifecycle', same);
  const ceiling = await queueWorker(stack, 'tools/bench/ceiling-worker.ts', 'bench-ceiling', same);
  const peerChild = await peer.startWorker('bench-bullmq', same);
  const bullmq: PeerWorker = { queue: 'bench-bullmq', pid: peerChild.pid!, serverPid: peer.redis.pid };
  const peers = [bullmqSide(stack, peer, bullmq, SIZES.orders)];
  const throughput = await measureThroughput(stack, { product, ceiling }, SIZES.pairs, SIZES.orders, peers);
  const sample = (ids: string[]) => ids.slice(0, 20);
  const paidActions = await actionsOf(stack.client, sample(throughput.sampleIds.paid));
  const reversedActions = await actionsOf(stack.client, sample(throughput.sampleIds.reversed));
  log(`actions per order: paid ${paidActions.actions}, reversed ${reversedActions.actions}`);
  const batches = throughput.reversedBatches;
  const lowest = Math.min(
    ...[batches.product!, batches.bullmq!].map((b) => sideResults(b, null).reversedPerSec.median),
  );
  const latency = await measureLatency(stack, product, lowest / 2, SIZES.latencySec);
  log(`latency: ${JSON.stringify(latency)}`);
  const peerLatency = await measureBullmqLatency(stack, peer, bullmq, lowest / 2, SIZES.latencySec);
  log(`BullMQ latency: ${JSON.stringify(peerLatency)}`);
  const productLatency = {
    deadlineToFirstCallMs: { p50: latency.p50DeadlineToFirstCallMs, p99: latency.p99DeadlineToFirstCallMs },
    p99DeadlineToCompletionMs: latency.p99DeadlineToCompletionMs,
  };
  const concurrency = loadWorkerConfig({ ...stack.simEnv, ...same }).maxConcurrentActivities;
  const table = {
    latencyRatePerSec: latency.ratePerSec,
    product: sideResults(batches.product!, productLatency),
    ceiling: sideResults(batches.ceiling!, null),
    bullmq: sideResults(batches.bullmq!, peerLatency),
    bullmqSettings: peerSettings(peer.versions, peer.redis.persistence, concurrency),
  };
  return { throughput, paidActions, reversedActions, latency, table };
}

async function measure(stack: Stack, peer: BullmqPeer, started: number, loadBefore: string): Promise<BenchResults> {
  const cli = await ensureTemporalCli();
  const same = { WECHATPAY_MAX_RPS: String(SIZES.throughputRps) };
  const { throughput, paidActions, reversedActions, latency, table } = await sideBySide(stack, peer, same);
  const burstEnv = {
    ...stack.simEnv,
    TEMPORAL_ADDRESS: stack.server.address,
    ...pick(process.env, 'WECHATPAY_MAX_RPS'),
  };
  const maxRps = loadWorkerConfig(burstEnv).wechatpayMaxRps;
  await queueWorker(stack, 'dist/worker/main.js', 'bench-burst', pick(process.env, 'WECHATPAY_MAX_RPS'));
  const burst = await measureBurst(stack, 'bench-burst', SIZES.burst, maxRps, cli);
  const signing = await measureSigning(stack, SIZES.signCalls);
  const crashSizes = { orders: SIZES.crashOrders, spreadMs: SIZES.crashSpreadMs, boundMs: SIZES.crashBoundSec * 1000 };
  const crash = await measureCrash(stack, peer, crashSizes, same);
  const backlogWorker = await queueWorker(stack, 'dist/worker/main.js', 'bench-backlog', {
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
    profile: PROFILE,
    sizes: SIZES,
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
      maxConcurrentActivities: table.bullmqSettings.concurrency,
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
    sideBySide: table,
    crash,
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
