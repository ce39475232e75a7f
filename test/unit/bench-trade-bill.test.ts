/**
 * The trade-bill bench's helpers (tools/bench/trade-bill/data.ts) at a small size: every bill row has its order, the
 * in-memory index answers as visibility would, the bulk ledger plant books as `book` does, and the bench's bill
 * reconciles clean through the product's activity (a short form of `npm run bench -- --trade-bill`, no timing).
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createTradeBillActivities, type BillSource } from '../../activities/trade-bill';
import type { SubMerchantReconciliation } from '../../activities/types';
import { readTradeBill } from '../../wechatpay/trade-bill';
import { beijingDay } from '../../workflows/trade-bill/days';
import { applyForBill, type IssuedBills } from '../../tools/simulator/wechatpay/bills';
import { amountOf, Ledger } from '../../tools/simulator/wechatpay/ledger';
import { peerSettings } from '../../tools/simulator/wechatpay/settings';
import {
  benchLedgerRows,
  benchOrders,
  benchSubMchid,
  inMemoryOrderIndex,
  procMemoryMb,
  type BenchDay,
} from '../../tools/bench/trade-bill/data';

const DAY: BenchDay = { billDate: '2026-11-30', orders: 2_000, revokedEvery: 10 };

/** The simulator's bill of the bench's rows as text (its own writer), served from memory. */
function billSourceOf(ledger: Ledger, day: BenchDay): BillSource {
  const bills: IssuedBills = new Map();
  const query = {
    subMchid: benchSubMchid(day.merchant),
    billDate: day.billDate,
    billType: 'ALL' as const,
    gzip: false,
  };
  applyForBill({ ledger, bills, settings: peerSettings() }, query, 'http://x', Date.parse('2026-12-01T12:00:00Z'));
  const text = [...bills.values()][0]!.text;
  return {
    async open() {
      const reader = readTradeBill(
        (async function* () {
          yield* text.split('\n');
        })(),
      );
      return { ok: true, empty: false, lines: reader, digest: () => ({ ok: true }) };
    },
  };
}

describe('bench trade bill', () => {
  it('generates a SUCCESS row per order and a REVOKED row for every tenth, each owned by its order', () => {
    const orders = benchOrders(DAY);
    const rows = benchLedgerRows(DAY, amountOf);
    expect(rows).toHaveLength(2_200);
    expect(rows.filter((r) => r.tradeState === 'REVOKED')).toHaveLength(200);
    const owned = new Set(orders.flatMap((o) => o.outTradeNos));
    expect(rows.every((r) => owned.has(r.outTradeNo) && r.billDate === DAY.billDate)).toBe(true);
    const { from, to } = beijingDay(DAY.billDate);
    expect(orders.every((o) => o.startedAt >= from && (o.closedAt ?? 0) < to)).toBe(true);
  });

  it('lists a merchant’s orders of a day, their owners and the day’s merchants from memory', async () => {
    const orders = [...benchOrders(DAY), ...benchOrders({ ...DAY, orders: 10, merchant: 1 })];
    const index = inMemoryOrderIndex(orders);
    const { from, to } = beijingDay(DAY.billDate);
    const listed = [];
    for await (const o of index.ordersOf(benchSubMchid(1), from, to)) listed.push(o);
    expect(listed).toHaveLength(10);
    const empty = [];
    for await (const o of index.ordersOf(benchSubMchid(1), to, to + 86_400_000)) empty.push(o);
    expect(empty).toHaveLength(0);
    expect(await index.owners([orders[0]!.outTradeNos[1]!])).toEqual([orders[0]]);
    expect(await index.subMerchants(from, to)).toEqual([benchSubMchid(0), '1900000002', benchSubMchid(1)].sort());
  });

  it('books in bulk as one by one', () => {
    const rows = benchLedgerRows({ ...DAY, orders: 30 }, amountOf);
    const one = new Ledger();
    rows.forEach((r) => one.book(r));
    one.book(rows[0]!);
    const bulk = new Ledger();
    bulk.bookAll([...rows, rows[0]!]);
    const strip = (l: Ledger) => l.all().map(({ id: _id, ...r }) => r);
    expect(strip(bulk)).toEqual(strip(one));
  });

  it('reconciles the bench’s bill clean through the product’s activity', async () => {
    const ledger = new Ledger();
    ledger.bookAll(benchLedgerRows(DAY, amountOf));
    const activities = createTradeBillActivities({
      bills: billSourceOf(ledger, DAY),
      orders: inMemoryOrderIndex(benchOrders(DAY)),
      subMchids: [],
      notReadyRetryMs: 1_000,
    });
    const request = { billDate: DAY.billDate, subMchid: benchSubMchid() };
    const result: SubMerchantReconciliation = await new MockActivityEnvironment({ attempt: 1 }).run(
      activities.reconcileTradeBill,
      request,
    );
    expect(result).toMatchObject({ outcome: 'RECONCILED', rows: 2_200, ordersChecked: 2_000, matched: 2_200 });
    expect(result.mismatches).toEqual([]);
    expect(result.unread).toEqual([]);
  });

  it('reads resident and peak memory from a /proc status', () => {
    expect(procMemoryMb('Name:\tnode\nVmHWM:\t  262144 kB\nVmRSS:\t  131072 kB\n')).toEqual({ rss: 128, peak: 256 });
  });
});
