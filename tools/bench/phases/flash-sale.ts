/**
 * A flash sale: `orders` two-sub-order orders spread over `subMerchants` sub-merchants, all falling due at one
 * deadline, on one product worker at `WECHATPAY_MAX_RPS` = `maxRps`. Every order needs three WeChat Pay calls (query,
 * reverse, confirming query), so the rate limit sets the bound: orders × 3 ÷ maxRps seconds from the deadline to the
 * last order reversed and compensated. Measures the time to the last completion against that bound, the peak request
 * rate the simulator saw, and when each sub-merchant's orders completed (half of them, all of them).
 */
import { startOrder, workflowIdFor } from '../../../client';
import type { OrderInput } from '../../../workflows/contract';
import type { FlashSaleResults, RunInfo } from '../results';
import { makeOrder, type Stack, BENCH_PAY_WINDOW } from '../stack';
import { stopProcess } from '../../devstack/dev-server';
import { cpuMs, log, percentile, pooled, sleepMs, spread } from '../util';

/** The sale's sizes: orders, sub-merchants, the worker's WeChat Pay rate limit, and the most it waits (s). */
export interface FlashSaleSizes {
  orders: number;
  subMerchants: number;
  maxRps: number;
  waitSec: number;
}

/**
 * Where the sale runs: its task queue, the worker's environment beyond the rate limit (a lever's bundle, a cache size)
 * and Node flags after the product's (`BENCH_WORKER_NODE_ARGS`, e.g. a larger heap for a larger cache).
 */
export interface FlashSaleTarget {
  queue: string;
  workerEnv?: Record<string, string>;
  nodeArgs?: string[];
}

/** Sub-order `i` of order `k` at sub-merchant `(2k + i) mod m`: every sub-merchant gets an even share. */
function saleOrder(k: number, due: number, run: string, subMerchants: number): OrderInput {
  const order = makeOrder(`F${run}${String(k).padStart(6, '0')}`, due);
  return {
    ...order,
    subOrders: order.subOrders.map((s, i) => ({
      ...s,
      subMchid: `19${String(1 + ((2 * k + i) % subMerchants)).padStart(8, '0')}`,
    })),
  };
}

/** Runs the sale and measures it (see the module's comment). */
export async function measureFlashSale(
  stack: Stack,
  sizes: FlashSaleSizes,
  target: FlashSaleTarget = { queue: 'bench-flash-sale' },
): Promise<Omit<FlashSaleResults, keyof RunInfo>> {
  const { queue } = target;
  const worker = await stack.worker(
    'dist/worker/main.js',
    queue,
    { ...target.workerEnv, WECHATPAY_MAX_RPS: String(sizes.maxRps) },
    target.nodeArgs,
  );
  const cpu0 = cpuMs(worker.pid!);
  const run = Date.now().toString(36).toUpperCase();
  const began = Date.now();
  // Starts run at ~100-250/s here: the deadline leaves room for all of them.
  const due = Math.ceil((began + 20_000 + sizes.orders * 10) / 1000) * 1000;
  const orders = Array.from({ length: sizes.orders }, (_, k) => saleOrder(k, due, run, sizes.subMerchants));
  let started = 0;
  await pooled(orders, 48, async (o) => {
    await stack.seed(o);
    await startOrder(stack.client, o, { taskQueue: queue, minPayWindow: BENCH_PAY_WINDOW });
    if (++started % 5_000 === 0) log(`flash sale: ${started}/${sizes.orders} started`);
  });
  const startSec = (Date.now() - began) / 1000;
  if (Date.now() > due) log(`warning: the sale was still starting at its deadline`);
  const boundSec = (sizes.orders * 3) / sizes.maxRps;
  log(
    `flash sale: ${sizes.orders} orders started in ${startSec.toFixed(0)} s, due in ${due - Date.now()} ms; bound ${boundSec} s`,
  );
  const completed = await waitForCompletions(stack, queue, sizes.orders, due + sizes.waitSec * 1000);
  const workerCpuMsPerOrder = Number(((cpuMs(worker.pid!) - cpu0) / sizes.orders).toFixed(1));
  await stopProcess(worker, 10_000);
  const close = await closeTimes(stack, queue);
  const p50CompletedSec = Number(
    (
      percentile(
        orders.map((o) => close.get(workflowIdFor(o.combineOutTradeNo)) ?? NaN),
        50,
      ) /
        1000 -
      due / 1000
    ).toFixed(1),
  );
  const lastMs = Math.max(...orders.map((o) => close.get(workflowIdFor(o.combineOutTradeNo)) ?? NaN));
  const lastCompletedSec = completed === sizes.orders ? (lastMs - due) / 1000 : null;
  const subMerchants = perSubMerchant(orders, close, due);
  const lastSpread = spread(subMerchants.map((s) => s.lastSec));
  const { peak, byRoute } = await requestProfile(stack, new Set(orders.map((o) => o.combineOutTradeNo)), due);
  log(
    `flash sale: ${completed}/${sizes.orders} completed, the last ${lastCompletedSec ?? '–'} s after the deadline ` +
      `(bound ${boundSec} s); peak ${peak} requests/s; sub-merchants' last ${lastSpread.min}–${lastSpread.max} s`,
  );
  return {
    orders: sizes.orders,
    maxRps: sizes.maxRps,
    boundSec,
    lastCompletedSec,
    ratioToBound: lastCompletedSec === null ? null : Number((lastCompletedSec / boundSec).toFixed(3)),
    p50CompletedSec,
    completed,
    workerCpuMsPerOrder,
    peakRequestsPerSec: peak,
    requestsByRouteAndStatus: byRoute,
    subMerchants,
    subMerchantLastSec: { min: lastSpread.min, median: lastSpread.median, max: lastSpread.max },
    startSec: Number(startSec.toFixed(1)),
  };
}

/** Polls the count of completed sale workflows until all `n` or `until` (epoch ms); answers the last count. */
async function waitForCompletions(stack: Stack, queue: string, n: number, until: number): Promise<number> {
  const query = `TaskQueue = '${queue}' AND ExecutionStatus = 'Completed'`;
  let lastLog = 0;
  for (;;) {
    const done = Number((await stack.client.workflow.count(query)).count);
    if (done >= n || Date.now() > until) return done;
    if (Date.now() - lastLog > 30_000) {
      log(`flash sale: ${done}/${n} completed`);
      lastLog = Date.now();
    }
    await sleepMs(1_000);
  }
}

async function closeTimes(stack: Stack, queue: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const query = `TaskQueue = '${queue}' AND ExecutionStatus = 'Completed'`;
  for await (const wf of stack.client.workflow.list({ query })) out.set(wf.workflowId, wf.closeTime?.getTime() ?? NaN);
  return out;
}

/** Per sub-merchant: deadline → half and → all of its sub-orders' orders completed (s). */
function perSubMerchant(orders: OrderInput[], close: Map<string, number>, due: number) {
  const bySub = new Map<string, number[]>();
  for (const o of orders) {
    const at = close.get(workflowIdFor(o.combineOutTradeNo)) ?? NaN;
    for (const s of o.subOrders) {
      const secs = bySub.get(s.subMchid) ?? [];
      secs.push((at - due) / 1000);
      bySub.set(s.subMchid, secs);
    }
  }
  return [...bySub.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([subMchid, secs]) => ({
      subMchid,
      subOrders: secs.length,
      p50Sec: Number(percentile(secs, 50).toFixed(1)),
      lastSec: Number(Math.max(...secs).toFixed(1)),
    }));
}

/**
 * The sale's WeChat Pay requests at the simulator: the most in one whole second, the count by route and status, and
 * the rate per 10 s from the deadline (logged: where the time went).
 */
async function requestProfile(stack: Stack, mine: Set<string>, due: number) {
  const perSecond = new Map<number, number>();
  const byRoute: Record<string, number> = {};
  const perTen = new Map<number, number>();
  for (const r of await stack.requests()) {
    if (!r.orderNo || !mine.has(r.orderNo)) continue;
    const at = Date.parse(r.at);
    const s = Math.floor(at / 1000);
    perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
    const key = `${r.route} ${r.status}`;
    byRoute[key] = (byRoute[key] ?? 0) + 1;
    const ten = Math.floor((at - due) / 10_000);
    perTen.set(ten, (perTen.get(ten) ?? 0) + 1);
  }
  const timeline = [...perTen.entries()].sort(([a], [b]) => a - b).map(([t, n]) => `${t * 10}s:${(n / 10).toFixed(1)}`);
  log(
    `flash sale: requests by route and status ${JSON.stringify(byRoute)}; per second from the deadline ${timeline.join(' ')}`,
  );
  return { peak: Math.max(0, ...perSecond.values()), byRoute };
}
