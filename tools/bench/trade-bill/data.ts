/**
 * The trade-bill bench's data (tools/bench/trade-bill/bench.ts): one day's orders of one secondary merchant and the ledger
 * rows WeChat Pay would have booked for them, generated from the same numbering so that every bill row has its order;
 * an in-memory {@link OrderIndex} over them (the visibility listing replaced); memory read from /proc. Pure but for
 * the /proc read.
 */
import fs from 'node:fs';
import type { OrderIndex } from '../../../activities/trade-bill';
import type { TradeBillOrder } from '../../../activities/types';
import { OrderPhase } from '../../../workflows/contract';
import { beijingDay } from '../../../workflows/trade-bill/days';
import type { NewLedgerRow } from '../../simulator/wechatpay/ledger';

/** The secondary merchant whose bill is reconciled (merchant 0), and the one the second sub-order of every order belongs to. */
const BENCH_SUB_MCHID = '1900000001';
const OTHER_SUB_MCHID = '1900000002';
const MCHID = '1900009191';
const APPID = 'wxd678efh567hg6787';

/**
 * What the bench's day holds for one secondary merchant (`merchant`: 0, 1, …; see {@link benchSubMchid}): `orders`
 * orders, every `revokedEvery`-th one reversed (its debit REVOKED the same day).
 */
export interface BenchDay {
  billDate: string;
  orders: number;
  revokedEvery: number;
  merchant?: number;
}

/** The secondary merchant numbered `merchant`: {@link BENCH_SUB_MCHID} for 0. */
export function benchSubMchid(merchant = 0): string {
  return merchant === 0 ? BENCH_SUB_MCHID : `19000001${String(merchant).padStart(2, '0')}`;
}

/** Order `i`'s combined number, sub-order numbers, times and whether it was reversed. */
function orderFacts(day: BenchDay, i: number) {
  const { from, to } = beijingDay(day.billDate);
  const no = `BTB${day.merchant ?? 0}N${String(i).padStart(9, '0')}`;
  const startedAt = from + Math.floor(((to - from - 3_600_000) * i) / day.orders);
  return {
    no,
    subs: [`${no}S1`, `${no}S2`] as const,
    startedAt,
    paidAt: startedAt + 1_000,
    closedAt: startedAt + 60_000,
    reversed: day.revokedEvery > 0 && i % day.revokedEvery === 0,
  };
}

/** Order `i` (0-based) as visibility lists it: two sub-orders, the first of the day's merchant; PAID or REVERSED. */
function benchOrder(day: BenchDay, i: number): TradeBillOrder {
  const o = orderFacts(day, i);
  return {
    workflowId: `combine-papay-${o.no}`,
    runId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    combineOutTradeNo: o.no,
    phase: o.reversed ? OrderPhase.REVERSED : OrderPhase.PAID,
    outTradeNos: [...o.subs],
    subOrders: { [o.subs[0]]: benchSubMchid(day.merchant), [o.subs[1]]: OTHER_SUB_MCHID },
    startedAt: o.startedAt,
    closedAt: o.closedAt,
  };
}

/** The day's orders. */
export function benchOrders(day: BenchDay): TradeBillOrder[] {
  return Array.from({ length: day.orders }, (_, i) => benchOrder(day, i));
}

const at = (ms: number) => ({
  at: new Date(ms).toISOString(),
  tradeTime: new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' '),
});

/**
 * The ledger rows of the day's merchant's bill: one SUCCESS row per order (its first sub-order's debit) and a
 * REVOKED row per reversed order. The amounts are the simulator's own (`amountOf`), passed in to keep this pure.
 */
export function benchLedgerRows(day: BenchDay, amountOf: (outTradeNo: string) => number): NewLedgerRow[] {
  const rows: NewLedgerRow[] = [];
  for (let i = 0; i < day.orders; i += 1) {
    const o = orderFacts(day, i);
    const base = {
      billDate: day.billDate,
      mchid: MCHID,
      subMchid: benchSubMchid(day.merchant),
      outTradeNo: o.subs[0],
      transactionId: `4200${String(i).padStart(24, '0')}`,
      amountFen: amountOf(o.subs[0]),
      appid: APPID,
      combineOutTradeNo: o.no,
    };
    rows.push({ ...base, ...at(o.paidAt), tradeState: 'SUCCESS' });
    if (o.reversed) {
      const refund = { outRefundNo: `RV${o.subs[0]}`, refundId: `503${String(i).padStart(25, '0')}` };
      rows.push({ ...base, ...at(o.closedAt), tradeState: 'REVOKED', ...refund });
    }
  }
  return rows;
}

/** Whether `order` ran during `[from, to)` as visibility's query has it (started before its end, not closed before). */
const ranDuring = (order: TradeBillOrder, from: number, to: number): boolean =>
  order.startedAt < to && (order.closedAt === undefined || order.closedAt >= from);

/** An {@link OrderIndex} over orders in memory: the visibility listing replaced, same answers. */
export function inMemoryOrderIndex(orders: readonly TradeBillOrder[]): OrderIndex {
  return {
    async *ordersOf(subMchid, from, to) {
      for (const order of orders) {
        if (ranDuring(order, from, to) && Object.values(order.subOrders).includes(subMchid)) yield order;
      }
    },
    async owners(outTradeNos) {
      const wanted = new Set(outTradeNos);
      return orders.filter((o) => o.outTradeNos.some((no) => wanted.has(no)));
    },
    async subMerchants(from, to) {
      const seen = new Set<string>();
      for (const o of orders) if (ranDuring(o, from, to)) Object.values(o.subOrders).forEach((s) => seen.add(s));
      return [...seen].sort();
    },
  };
}

/**
 * An {@link OrderIndex} that makes the days' orders as it lists them, the way visibility streams its pages: nothing
 * holds the orders but the activity that reads them, so the bench measures what the activity itself keeps.
 */
export function generatedOrderIndex(days: readonly BenchDay[]): OrderIndex {
  const all = function* (): Generator<TradeBillOrder> {
    for (const day of days) for (let i = 0; i < day.orders; i += 1) yield benchOrder(day, i);
  };
  return {
    async *ordersOf(subMchid, from, to) {
      for (const order of all()) {
        if (ranDuring(order, from, to) && Object.values(order.subOrders).includes(subMchid)) yield order;
      }
    },
    async owners(outTradeNos) {
      const wanted = new Set(outTradeNos);
      return [...all()].filter((o) => o.outTradeNos.some((no) => wanted.has(no)));
    },
    async subMerchants(from, to) {
      const seen = new Set<string>();
      for (const o of all()) if (ranDuring(o, from, to)) Object.values(o.subOrders).forEach((s) => seen.add(s));
      return [...seen].sort();
    },
  };
}

/** A process's memory from its /proc status text (MB): resident now (`VmRSS`) and at its peak (`VmHWM`). */
export function procMemoryMb(status: string): { rss: number; peak: number } {
  const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rss: Math.round(kb('VmRSS') / 1024), peak: Math.round(kb('VmHWM') / 1024) };
}

/** {@link procMemoryMb} of a running process. */
export function memoryOf(pid: number | 'self'): { rss: number; peak: number } {
  return procMemoryMb(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
}
