/**
 * `npm run bench`: what the product adds on top of bare Temporal, measured side by side with same-shape ceilings and
 * with the queue a team would pick instead (BullMQ on Redis, tools/bench/peers/bullmq/) on the local stack, its cost
 * per order, and what a worker killed mid-burst costs each. Writes tools/bench/results/latest.{json,md} and
 * tools/bench/results/chart.png.
 *
 * Profiles: `npm run bench` (default: sized to finish within 10 minutes on 2 cores, on the dev server) and
 * `npm run bench -- --full` (50,000-order backlog, larger burst and batches); {@link PROFILES} lists both.
 * `--engine cluster` (or `--engine dev-server`) runs only the side-by-side rounds (product, real-activities ceiling,
 * no-op ceiling, BullMQ) on that engine (tools/bench/engine.ts) and writes results/engine-<name>.{json,md};
 * `--flash-sale [--engine cluster]` runs the flash sale (tools/bench/phases/flash-sale.ts: BENCH_FLASH_ORDERS, 20,000
 * orders with one deadline, at the default WECHATPAY_MAX_RPS; the worker's environment passes through, e.g.
 * WORKER_MAX_CACHED_WORKFLOWS, and BENCH_WORKER_NODE_ARGS adds Node flags after the product's, e.g. a larger heap) and
 * writes results/flash-sale-<engine>.{json,md}.
 * `npm run bench -- --trade-bill` runs the trade-bill reconciliation at scale instead (tools/bench/trade-bill/bench.ts:
 * 100,000 rows against 100,000 orders).
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
import { DEFAULT_WECHATPAY_MAX_RPS, loadWorkerConfig } from '../../worker/config';
import { WORKER_NODE_FLAGS } from '../../worker/memory';
import { startBullmqPeer, type BullmqPeer } from './peers/bullmq/peer';
import { actionsOf } from './phases/actions';
import { measureBacklog } from './phases/backlog';
import { measureBurst } from './phases/burst';
import { bullmqSide, measureBullmqLatency, type PeerWorker } from './phases/bullmq';
import { measureCrash } from './phases/crash';
import { measureFlashSale } from './phases/flash-sale';
import { measureLatency } from './phases/latency';
import { measureSigning } from './phases/signing';
import { measureThroughput, type QueueWorker } from './phases/throughput';
import { writeEngineReport, writeFlashSaleReport, writeReport } from './report';
import type { BenchResults, EngineResults, RunInfo } from './results';
import { peerSettings, sideResults } from './side-by-side';
import { runTradeBillBench } from './trade-bill/bench';
import { ENGINES, type EngineName } from './engine';
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

/**
 * The flash sale's sizes: BENCH_FLASH_ORDERS (20,000) orders over BENCH_FLASH_SUB_MERCHANTS (20) sub-merchants, at
 * WECHATPAY_MAX_RPS (the product's default, 50), waiting at most twice the rate limit's bound plus two minutes.
 */
const FLASH_SIZES = ((orders: number, maxRps: number) => ({
  orders,
  subMerchants: env('BENCH_FLASH_SUB_MERCHANTS', 20),
  maxRps,
  waitSec: Math.ceil((2 * orders * 3) / maxRps) + 120,
}))(env('BENCH_FLASH_ORDERS', 20_000), env('WECHATPAY_MAX_RPS', DEFAULT_WECHATPAY_MAX_RPS));

const loadavg = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** The value after `--<name>` on the command line. */
function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** The engine named by `--engine` (the dev server when absent); refuses any other name. */
function engineArg(): EngineName {
  const name = argValue('engine') ?? 'dev-server';
  if (!(ENGINES as readonly string[]).includes(name)) {
    throw new Error(`--engine must be one of ${ENGINES.join(', ')} (got "${name}")`);
  }
  return name as EngineName;
}

async function main(): Promise<void> {
  if (process.argv.includes('--trade-bill')) return runTradeBillBench();
  const engine = engineArg();
  const flashSale = process.argv.includes('--flash-sale');
  const roundsOnly = !flashSale && argValue('engine') !== undefined;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'combine-papay-bench-'));
  const info = { started: Date.now(), loadBefore: loadavg() };
  const profile = flashSale ? 'flash-sale' : roundsOnly ? 'engine' : PROFILE;
  const sizes = flashSale ? FLASH_SIZES : SIZES;
  log(`work dir ${work}; profile ${profile} on ${engine}; sizes ${JSON.stringify(sizes)}; load ${info.loadBefore}`);
  const stack = await startStack(work, { engine, eager: SIZES.eager });
  const dir = path.resolve(ROOT, process.env.BENCH_RESULTS_DIR ?? 'tools/bench/results');
  let peer: BullmqPeer | undefined;
  try {
    if (flashSale) {
      const nodeArgs = (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean);
      const sale = await measureFlashSale(stack, FLASH_SIZES, { queue: 'bench-flash-sale', nodeArgs });
      return writeFlashSaleReport({ ...(await runInfo(stack, info, 'flash-sale', FLASH_SIZES)), ...sale }, dir);
    }
    peer = await startBullmqPeer(stack);
    if (roundsOnly) {
      const { rounds } = await sideBySide(stack, peer, { latency: false });
      return writeEngineReport({ ...(await runInfo(stack, info, 'engine', SIZES)), ...rounds }, dir);
    }
    await writeReport(await measure(stack, peer, info), dir);
  } finally {
    await peer?.stop();
    await stack.stop();
  }
}

/** What every report records about its run (the wall time up to now). */
async function runInfo(
  stack: Stack,
  info: { started: number; loadBefore: string },
  profile: RunInfo['profile'],
  sizes: Record<string, number | boolean>,
): Promise<RunInfo> {
  const cli = await ensureTemporalCli();
  return {
    date: new Date().toISOString(),
    profile,
    engine: stack.engine.describe,
    sizes,
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      temporalCli: execFileSync(cli, ['--version'], { encoding: 'utf8' }).trim(),
    },
    load: { before: info.loadBefore, after: loadavg() },
    durationSec: Math.round((Date.now() - info.started) / 1000),
  };
}

/** Spawns a worker process and returns it as a {@link QueueWorker}. */
async function queueWorker(stack: Stack, script: string, queue: string, extra: Record<string, string>) {
  const child = await stack.worker(script, queue, extra);
  return { queue, pid: child.pid!, serverPids: stack.engine.pids(), completed: 0 } satisfies QueueWorker;
}

/** The side-by-side workers: the product, both ceilings and the BullMQ peer, with the same settings. */
async function sideBySideWorkers(stack: Stack, peer: BullmqPeer, same: Record<string, string>) {
  const product = await queueWorker(stack, 'dist/worker/main.js', 'bench-lifecycle', same);
  const realCeiling = await queueWorker(stack, 'tools/bench/ceilings/worker.ts', 'bench-real-ceiling', {
    ...same,
    BENCH_CEILING_ACTIVITIES: 'real',
  });
  const ceiling = await queueWorker(stack, 'tools/bench/ceilings/worker.ts', 'bench-ceiling', same);
  const peerChild = await peer.startWorker('bench-bullmq', same);
  const bullmq: PeerWorker = { queue: 'bench-bullmq', pid: peerChild.pid!, serverPids: [peer.redis.pid] };
  return { temporal: { product, realCeiling, ceiling }, bullmq };
}

/**
 * The side-by-side phases: interleaved rounds, actions, then (unless `latency` is false) latency at half the lowest
 * saturation rate of the product and the peer.
 */
async function sideBySide(stack: Stack, peer: BullmqPeer, options: { latency: boolean }) {
  const same = { WECHATPAY_MAX_RPS: String(SIZES.throughputRps) };
  const { temporal, bullmq } = await sideBySideWorkers(stack, peer, same);
  const peers = [bullmqSide(stack, peer, bullmq, SIZES.orders)];
  const throughput = await measureThroughput(stack, temporal, SIZES.pairs, SIZES.orders, peers);
  const sample = (ids: string[]) => ids.slice(0, 20);
  const paidActions = await actionsOf(stack.client, sample(throughput.sampleIds.paid));
  const reversedActions = await actionsOf(stack.client, sample(throughput.sampleIds.reversed));
  log(`actions per order: paid ${paidActions.actions}, reversed ${reversedActions.actions}`);
  const batches = throughput.reversedBatches;
  const lowest = Math.min(
    ...[batches.product!, batches.bullmq!].map((b) => sideResults(b, null).reversedPerSec.median),
  );
  const latency = options.latency ? await measureLatency(stack, temporal.product, lowest / 2, SIZES.latencySec) : null;
  const peerLatency = options.latency
    ? await measureBullmqLatency(stack, peer, bullmq, lowest / 2, SIZES.latencySec)
    : null;
  if (latency) log(`latency: ${JSON.stringify(latency)}; BullMQ ${JSON.stringify(peerLatency)}`);
  const productLatency = latency && {
    deadlineToFirstCallMs: { p50: latency.p50DeadlineToFirstCallMs, p99: latency.p99DeadlineToFirstCallMs },
    p99DeadlineToCompletionMs: latency.p99DeadlineToCompletionMs,
  };
  const concurrency = loadWorkerConfig({ ...stack.simEnv, ...same }).maxConcurrentActivities;
  const rounds: Omit<EngineResults, keyof RunInfo> = {
    settings: {
      pairs: SIZES.pairs,
      ordersPerBatch: SIZES.orders,
      eagerActivityDispatch: SIZES.eager,
      throughputWechatpayMaxRps: SIZES.throughputRps,
      maxConcurrentActivities: concurrency,
      workerNodeFlags: WORKER_NODE_FLAGS,
    },
    ratio: throughput.ratio,
    reversed: throughput.reversed,
    realRatio: throughput.realRatio,
    reversedVsReal: throughput.reversedVsReal,
    paidRatio: throughput.paidRatio,
    paid: throughput.paid,
    workerCpuMsPerOrder: throughput.cpuMsPerOrder,
    cpuRatioToReal: throughput.cpuRatioToReal,
    historyEventsPerOrder: { paid: paidActions.events, reversed: reversedActions.events },
    actionsPerOrder: { paid: paidActions.actions, reversed: reversedActions.actions },
    actionsBreakdown: { paid: paidActions.breakdown, reversed: reversedActions.breakdown },
    sideBySide: {
      latencyRatePerSec: latency?.ratePerSec ?? null,
      product: sideResults(batches.product!, productLatency),
      realCeiling: sideResults(batches.realCeiling!, null),
      ceiling: sideResults(batches.ceiling!, null),
      bullmq: sideResults(batches.bullmq!, peerLatency),
      bullmqSettings: peerSettings(peer.versions, peer.redis.persistence, concurrency),
    },
  };
  return { rounds, latency };
}

/** The default (or full) run: the side-by-side phases with latency, then burst, signing, crash and backlog. */
async function measure(
  stack: Stack,
  peer: BullmqPeer,
  info: { started: number; loadBefore: string },
): Promise<BenchResults> {
  const cli = await ensureTemporalCli();
  const { rounds, latency } = await sideBySide(stack, peer, { latency: true });
  const burstEnv = { ...stack.simEnv, ...stack.engine.env, ...pick(process.env, 'WECHATPAY_MAX_RPS') };
  const maxRps = loadWorkerConfig(burstEnv).wechatpayMaxRps;
  await queueWorker(stack, 'dist/worker/main.js', 'bench-burst', pick(process.env, 'WECHATPAY_MAX_RPS'));
  const burst = await measureBurst(stack, 'bench-burst', SIZES.burst, maxRps, cli);
  const signing = await measureSigning(stack, SIZES.signCalls);
  const crashSizes = { orders: SIZES.crashOrders, spreadMs: SIZES.crashSpreadMs, boundMs: SIZES.crashBoundSec * 1000 };
  const same = { WECHATPAY_MAX_RPS: String(SIZES.throughputRps) };
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
    ...(await runInfo(stack, info, PROFILE, SIZES)),
    profile: PROFILE,
    ...rounds,
    latency: latency!,
    p99TimerToFirstCallMs: latency!.p99TimerToFirstCallMs,
    p99DeadlineToFirstCallMs: latency!.p99DeadlineToFirstCallMs,
    burst,
    signing,
    backlog,
    workerRssMbAt50k: backlog.workerRssMbAt50k,
    crash,
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
