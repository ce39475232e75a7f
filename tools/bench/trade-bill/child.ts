/**
 * The measured process of the trade-bill bench (spawned by tools/bench/trade-bill/bench.ts with the worker's launch flags):
 * the product's `reconcileTradeBill` run inside `MockActivityEnvironment`, its bill read through the product's own
 * `createBillSource(createWechatpayClient(config))` from the WeChat Pay simulator over HTTP, its orders from an
 * in-memory index (tools/bench/trade-bill/data.ts). Prints one line `RESULT <json>`: phase times, memory before and
 * after the orders were built, and peak heap and RSS sampled every 20 ms (and VmHWM at the end).
 *
 * Input (environment): the worker environment for the simulator (`workerEnvFor`), BENCH_TB_BILL_DATE, BENCH_TB_ORDERS,
 * BENCH_TB_REVOKED_EVERY, BENCH_TB_MERCHANTS (1: merchants reconciled at once, each with a bill and orders of its own).
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createBillSource } from '../../../activities/bill-source';
import { createTradeBillActivities, type BillSource, type OrderIndex } from '../../../activities/trade-bill';
import type { SubMerchantReconciliation } from '../../../activities/types';
import { createWechatpayClient } from '../../../wechatpay/client';
import { loadWorkerConfig } from '../../../worker/config';
import { benchSubMchid, generatedOrderIndex, memoryOf, type BenchDay } from './data';

const MB = 1024 * 1024;
const mb = (bytes: number): number => Math.round(bytes / MB);

/** Peak heap used and RSS, sampled on a timer (the activity awaits I/O between lines, so the timer runs). */
function sampler() {
  const peak = { heapUsedMb: 0, rssMb: 0 };
  const sample = (): void => {
    const m = process.memoryUsage();
    peak.heapUsedMb = Math.max(peak.heapUsedMb, mb(m.heapUsed));
    peak.rssMb = Math.max(peak.rssMb, mb(m.rss));
  };
  const timer = setInterval(sample, 20);
  return {
    peak,
    stop: () => {
      sample();
      clearInterval(timer);
    },
  };
}

/** The phases' end times (ms since the activity started), seen through wrappers of the two deps. */
interface Marks {
  opened?: number;
  billRead?: number;
  listStarted?: number;
  listed?: number;
}

function timedBills(bills: BillSource, marks: Marks, t0: () => number): BillSource {
  return {
    async open(billDate, subMchid, signal) {
      const opened = await bills.open(billDate, subMchid, signal);
      marks.opened ??= t0();
      if (!opened.ok || opened.empty) return opened;
      const lines = opened.lines;
      return {
        ...opened,
        lines: (async function* () {
          yield* lines;
          marks.billRead ??= t0();
        })(),
      };
    },
  };
}

function timedOrders(orders: OrderIndex, marks: Marks, t0: () => number): OrderIndex {
  return {
    ...orders,
    async *ordersOf(subMchid, from, to) {
      marks.listStarted ??= t0();
      yield* orders.ordersOf(subMchid, from, to);
      marks.listed ??= t0();
    },
  };
}

async function main(): Promise<void> {
  const merchants = Number(process.env.BENCH_TB_MERCHANTS ?? 1);
  const days: BenchDay[] = Array.from({ length: merchants }, (_, merchant) => ({
    billDate: process.env.BENCH_TB_BILL_DATE!,
    orders: Number(process.env.BENCH_TB_ORDERS),
    revokedEvery: Number(process.env.BENCH_TB_REVOKED_EVERY),
    merchant,
  }));
  const config = loadWorkerConfig(process.env);
  const atStart = { heapUsedMb: mb(process.memoryUsage().heapUsed), rssMb: memoryOf('self').rss };
  const withOrders = { heapUsedMb: mb(process.memoryUsage().heapUsed), rssMb: memoryOf('self').rss };

  // The phases are timed on merchant 0's activity; with several merchants they run at once, as the workflow runs them.
  const marks: Marks = {};
  let started = 0;
  const t0 = (): number => Math.round(performance.now() - started);
  const bills = createBillSource(createWechatpayClient(config.wechatpay));
  const index = generatedOrderIndex(days);
  const deps = { subMchids: [], notReadyRetryMs: 60_000 };
  const timed = createTradeBillActivities({
    ...deps,
    bills: timedBills(bills, marks, t0),
    orders: timedOrders(index, marks, t0),
  });
  const plain = createTradeBillActivities({ ...deps, bills, orders: index });
  const memory = sampler();
  const cpu0 = process.cpuUsage();
  started = performance.now();
  const reconcile = async (day: BenchDay): Promise<SubMerchantReconciliation> => {
    const env = new MockActivityEnvironment({ attempt: 1, heartbeatTimeoutMs: 60_000 });
    const request = { billDate: day.billDate, subMchid: benchSubMchid(day.merchant) };
    const result: SubMerchantReconciliation = await env.run((day.merchant ? plain : timed).reconcileTradeBill, request);
    return result;
  };
  const results = await Promise.all(days.map(reconcile));
  const wallMs = t0();
  const cpu = process.cpuUsage(cpu0);
  memory.stop();
  const heap = process.memoryUsage();
  const sum = (f: (r: SubMerchantReconciliation) => number): number => results.reduce((a, r) => a + f(r), 0);
  const line = {
    wallMs,
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    marks,
    result: {
      merchants,
      rows: sum((r) => r.rows),
      ordersChecked: sum((r) => r.ordersChecked),
      matched: sum((r) => r.matched),
      unsettled: sum((r) => r.unsettled),
      mismatches: sum((r) => r.mismatches.length),
      unread: sum((r) => r.unread.length),
    },
    memory: {
      atStart,
      withOrders,
      peak: memory.peak,
      vmHwmMb: memoryOf('self').peak,
      after: { heapUsedMb: mb(heap.heapUsed), heapTotalMb: mb(heap.heapTotal), rssMb: mb(heap.rss) },
    },
  };
  console.log(`RESULT ${JSON.stringify(line)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
