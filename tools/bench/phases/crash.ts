/**
 * Crash behaviour side by side: a burst of orders whose deadlines fall over a few seconds, the worker process killed
 * with SIGKILL mid-burst (once a third of the burst's reverses have reached the simulator: the deadlines come faster
 * than either side reverses them, so others are mid-reversal), restarted a second later, and everything waited for
 * (bounded). Then, per order, from the simulator's and the order service's request logs: reversals lost, reverse
 * requests sent twice, compensations sent twice (tools/bench/crash-count.ts). The product and the BullMQ peer run the
 * same burst at the same time, each on its own worker.
 */
import type { ChildProcess } from 'node:child_process';
import { startOrder, workflowIdFor, type OrderInput, type OrderResult } from '../../../client';
import { countCrash } from '../crash-count';
import type { BullmqPeer } from '../peers/bullmq/peer';
import type { CrashResults } from '../results';
import { makeOrder, type Stack, BENCH_PAY_WINDOW } from '../stack';
import { log, pooled, sleepMs } from '../util';

/** One side of the crash test. */
interface CrashTarget {
  name: string;
  /** Spawns the worker process and resolves once it serves. */
  start(): Promise<ChildProcess>;
  submit(orders: OrderInput[], dueOf: (o: OrderInput) => number): Promise<void>;
  /** How many of the burst have ended (any end). */
  finished(): Promise<number>;
  /** The orders of the burst that reached a confirmed end. */
  confirmed(orders: OrderInput[]): Promise<Set<string>>;
  /** The peer's jobs found stalled and put back, when the side knows. */
  stalled?(orders: OrderInput[]): Promise<number>;
}

/** Sizes of the crash test. */
export interface CrashSizes {
  orders: number;
  spreadMs: number;
  /** Longest wait after the restart for every order to end. */
  boundMs: number;
}

/** Waits until `check` or `until` (epoch ms); whether `check` held. */
async function until(check: () => Promise<boolean>, deadline: number, everyMs = 250): Promise<boolean> {
  for (;;) {
    if (await check().catch(() => false)) return true;
    if (Date.now() > deadline) return false;
    await sleepMs(everyMs);
  }
}

/** The burst: `n` orders whose deadlines fall evenly over `spreadMs`, from `first`. */
function burstOrders(tag: string, sizes: CrashSizes, first: number): { orders: OrderInput[]; dues: number[] } {
  const dues = Array.from({ length: sizes.orders }, (_, i) => Math.round(first + (i * sizes.spreadMs) / sizes.orders));
  const orders = dues.map((due, i) => makeOrder(`K${tag}${String(i).padStart(5, '0')}`, due));
  return { orders, dues };
}

/** How many of `mine` have had a reverse request reach the simulator. */
async function reversed(stack: Stack, mine: ReadonlySet<string>): Promise<number> {
  const requests = await stack.requests();
  return new Set(requests.filter((r) => r.route === 'reverse' && mine.has(r.orderNo ?? '')).map((r) => r.orderNo)).size;
}

/**
 * Kills the worker once a third of the burst's reverses have reached the simulator (the deadlines come faster than
 * either side reverses them, so others are mid-reversal then), or 30 s after the last deadline; resolves with when,
 * and how many orders had ended and were in flight (past the deadline, not ended) then.
 */
async function killMidBurst(
  stack: Stack,
  target: CrashTarget,
  worker: ChildProcess,
  orders: OrderInput[],
  dues: number[],
) {
  const mine = new Set(orders.map((o) => o.combineOutTradeNo));
  await until(async () => (await reversed(stack, mine)) >= orders.length / 3, dues[dues.length - 1]! + 30_000, 250);
  worker.kill('SIGKILL');
  const killedAt = Date.now();
  const ended = await target.finished();
  return { killedAt, ended, inFlight: dues.filter((d) => d <= killedAt).length - ended };
}

/** The burst on one side: submit, kill mid-burst, restart a second later, wait (bounded), count. */
async function crashOne(stack: Stack, target: CrashTarget, sizes: CrashSizes, tag: string): Promise<CrashResults> {
  const worker = await target.start();
  const first = Date.now() + 4_000 + sizes.orders * 20;
  const { orders, dues } = burstOrders(tag, sizes, first);
  const due = new Map(orders.map((o, i) => [o.combineOutTradeNo, dues[i]!]));
  await target.submit(orders, (o) => due.get(o.combineOutTradeNo)!);
  const kill = await killMidBurst(stack, target, worker, orders, dues);
  log(
    `crash ${target.name}: worker killed ${kill.killedAt - first} ms after the first deadline (${JSON.stringify(kill)})`,
  );
  await sleepMs(1_000);
  await target.start();
  const restarted = Date.now();
  const settled = await until(async () => (await target.finished()) >= orders.length, restarted + sizes.boundMs, 500);
  const settledMs = settled ? Date.now() - restarted : null;
  await sleepMs(1_000);
  const [wechatpay, downstream, confirmed] = await Promise.all([
    stack.requests(),
    stack.downstreamRequests(),
    target.confirmed(orders),
  ]);
  const mine = new Set(orders.map((o) => o.combineOutTradeNo));
  const reversesBeforeKill = new Set(
    wechatpay
      .filter((r) => r.route === 'reverse' && mine.has(r.orderNo ?? '') && Date.parse(r.at) < kill.killedAt)
      .map((r) => r.orderNo),
  ).size;
  const crashOrders = orders.map((o) => ({
    combineOutTradeNo: o.combineOutTradeNo,
    subOrders: o.subOrders.map((s) => s.outTradeNo),
  }));
  const counts = countCrash({ orders: crashOrders, wechatpay, downstream, confirmed });
  const stalled = target.stalled ? { stalled: await target.stalled(orders) } : {};
  log(`crash ${target.name}: ${JSON.stringify({ ...counts, ...stalled, settledMs })}`);
  return {
    orders: orders.length,
    spreadMs: sizes.spreadMs,
    killedAfterMs: kill.killedAt - first,
    finishedBeforeKill: kill.ended,
    inFlightAtKill: kill.inFlight,
    reversesBeforeKill,
    settledMs,
    ...counts,
    ...stalled,
  };
}

/** The product on its own task queue: a worker of the product, orders started through the client. */
function productTarget(stack: Stack, queue: string, extra: Record<string, string>): CrashTarget {
  const ended = `TaskQueue = '${queue}' AND ExecutionStatus != 'Running'`;
  return {
    name: 'product',
    start: () => stack.worker('dist/worker/main.js', queue, extra),
    submit: (orders) =>
      pooled(orders, 20, async (o) => {
        await stack.seed(o);
        await startOrder(stack.client, o, { taskQueue: queue, minPayWindow: BENCH_PAY_WINDOW });
      }),
    finished: async () => Number((await stack.client.workflow.count(ended)).count),
    async confirmed(orders) {
      const out = new Set<string>();
      await pooled(orders, 8, async (o) => {
        const handle = stack.client.workflow.getHandle(workflowIdFor(o.combineOutTradeNo));
        const described = await handle.describe();
        if (described.status.name !== 'COMPLETED') return;
        const result = (await handle.result()) as OrderResult;
        if (result.outcome === 'REVERSED' && result.reverse?.state === 'CONFIRMED') out.add(o.combineOutTradeNo);
      });
      return out;
    },
  };
}

/** The BullMQ peer on its own queue. */
function bullmqTarget(peer: BullmqPeer, queue: string, extra: Record<string, string>): CrashTarget {
  return {
    name: 'bullmq',
    start: () => peer.startWorker(queue, extra),
    submit: (orders, dueOf) => peer.add(queue, orders, dueOf),
    finished: () => peer.finishedCount(queue),
    async confirmed(orders) {
      const ends = await peer.ends(
        queue,
        orders.map((o) => o.combineOutTradeNo),
        0,
      );
      return new Set([...ends].filter(([, end]) => end.confirmed).map(([id]) => id));
    },
    async stalled(orders) {
      const ends = await peer.ends(
        queue,
        orders.map((o) => o.combineOutTradeNo),
        0,
      );
      return [...ends.values()].filter((e) => e.stalled > 0).length;
    },
  };
}

/** The crash test on the product and the peer at once; `extra` is the workers' environment (the rate limit). */
export async function measureCrash(
  stack: Stack,
  peer: BullmqPeer,
  sizes: CrashSizes,
  extra: Record<string, string>,
): Promise<{ product: CrashResults; bullmq: CrashResults }> {
  const run = Date.now().toString(36).toUpperCase();
  const [product, bullmq] = await Promise.all([
    crashOne(stack, productTarget(stack, 'bench-crash', extra), sizes, `${run}P`),
    crashOne(stack, bullmqTarget(peer, 'bench-crash-bullmq', extra), sizes, `${run}B`),
  ]);
  return { product, bullmq };
}
