/**
 * The trade-bill activity's judgement, on bills and orders given by hand (no server): each mismatch kind found, each
 * agreement matched, a day's end crossed both ways, bad lines reported, and every bill that cannot be had or fails its
 * SHA1 a typed failure, never a clean result.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import {
  createTradeBillActivities,
  type BillLine,
  type BillOpening,
  type OrderIndex,
  type TradeBillDeps,
} from '../../activities/trade-bill';
import { beijingDay, billDateOf, isBillDate, nextBillDate, previousBillDate } from '../../workflows/trade-bill/days';
import { BillMismatchKind, ErrorType, OrderPhase } from '../../workflows/contract';
import type { SubMerchantReconciliation, TradeBillOrder } from '../../activities/types';

const DAY = '2026-12-04';
const SUB = '1900000101';
const OTHER = '1900000102';
const { from, to } = beijingDay(DAY);
const HOUR = 3_600_000;

/** A bill row line. */
function row(outTradeNo: string, tradeState: 'SUCCESS' | 'REFUND' | 'REVOKED', subMchid = SUB): BillLine {
  return { ok: true, row: { subMchid, outTradeNo, transactionId: `42${outTradeNo}`, tradeState, settlementFen: 100 } };
}

/** An order as visibility lists it. */
function order(no: string, phase: string, subOrders: Record<string, string>, times: { start: number; close?: number }) {
  const o: TradeBillOrder = {
    workflowId: `order-${no}`,
    runId: `run-${no}`,
    combineOutTradeNo: no,
    phase,
    outTradeNos: Object.keys(subOrders),
    subOrders,
    startedAt: times.start,
    ...(times.close !== undefined ? { closedAt: times.close } : {}),
  };
  return o;
}

/** Bills by day (absent: not to be had), each read from its lines, with its SHA1 holding unless `corrupt`. */
function billsOf(
  days: Record<string, BillLine[] | 'EMPTY' | 'NOT_READY' | 'REFUSED' | 'CORRUPT'>,
): TradeBillDeps['bills'] {
  return {
    async open(billDate): Promise<BillOpening> {
      const bill = days[billDate];
      if (bill === undefined || bill === 'NOT_READY')
        return { ok: false, type: ErrorType.TRADE_BILL_NOT_READY, reason: 'STATEMENT_CREATING' };
      if (bill === 'REFUSED') return { ok: false, type: ErrorType.TRADE_BILL_REFUSED, reason: 'NO_AUTH' };
      if (bill === 'EMPTY') return { ok: true, empty: true };
      const lines = bill === 'CORRUPT' ? [row('S1', 'SUCCESS')] : bill;
      return {
        ok: true,
        empty: false,
        lines: (async function* () {
          yield* lines;
        })(),
        digest: () => (bill === 'CORRUPT' ? { ok: false, reason: 'SHA1 differs' } : { ok: true }),
      };
    },
  };
}

/** An index over the given orders (the day's: those that ran during the asked span). */
function indexOf(orders: TradeBillOrder[]): OrderIndex {
  const ran = (o: TradeBillOrder, a: number, b: number) =>
    o.startedAt < b && (o.closedAt === undefined || o.closedAt >= a);
  return {
    async *ordersOf(subMchid, a, b) {
      yield* orders.filter((o) => ran(o, a, b) && Object.values(o.subOrders).includes(subMchid));
    },
    owners: async (nos) => orders.filter((o) => o.outTradeNos.some((n) => nos.includes(n))),
    subMerchants: async (a, b) => [
      ...new Set(orders.filter((o) => ran(o, a, b)).flatMap((o) => Object.values(o.subOrders))),
    ],
  };
}

async function reconcile(
  bills: Parameters<typeof billsOf>[0],
  orders: TradeBillOrder[],
  counted: string[] = [],
): Promise<SubMerchantReconciliation> {
  const activities = createTradeBillActivities({
    bills: billsOf(bills),
    orders: indexOf(orders),
    subMchids: [],
    notReadyRetryMs: 30 * 60_000,
    metrics: {
      wechatpayAnswer: () => undefined,
      unsignedAnswer: () => undefined,
      staleAnswer: () => undefined,
      compensationFailure: () => undefined,
      confirmationFailure: () => undefined,
      downstreamUnauthorized: () => undefined,
      billMismatch: (kind) => counted.push(kind),
    },
  });
  return new MockActivityEnvironment().run(activities.reconcileTradeBill, { billDate: DAY, subMchid: SUB });
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('bill days (Beijing time)', () => {
  it('names and bounds a day, and steps across months and years', () => {
    expect(new Date(from).toISOString()).toBe('2026-12-03T16:00:00.000Z');
    expect(to - from).toBe(24 * HOUR);
    expect(billDateOf(from)).toBe(DAY);
    expect(billDateOf(to - 1)).toBe(DAY);
    expect(billDateOf(to)).toBe('2026-12-05');
    expect(nextBillDate('2026-12-31')).toBe('2027-01-01');
    expect(previousBillDate('2024-03-01')).toBe('2024-02-29');
    expect(isBillDate('2026-02-29')).toBe(false);
    expect(isBillDate('2026-2-01')).toBe(false);
    expect(isBillDate(20261204)).toBe(false);
  });
});

describe('reconcileTradeBill', () => {
  it('matches a paid order, a reversed one whose money came back, and ignores the other merchant’s sub-orders', async () => {
    const paid = order('P1', OrderPhase.PAID, { S1: SUB, T1: OTHER }, { start: from + HOUR, close: from + 2 * HOUR });
    const reversed = order('R1', OrderPhase.REVERSED, { S2: SUB }, { start: from + HOUR, close: from + 3 * HOUR });
    const result = await reconcile({ [DAY]: [row('S1', 'SUCCESS'), row('S2', 'SUCCESS'), row('S2', 'REVOKED')] }, [
      paid,
      reversed,
    ]);
    expect(result).toMatchObject({ outcome: 'RECONCILED', rows: 3, matched: 3, unsettled: 0, ordersChecked: 2 });
    expect(result.mismatches).toEqual([]);
  });

  it('finds a debit no order knows (PAID_WITHOUT_ORDER) and counts it', async () => {
    const counted: string[] = [];
    const result = await reconcile({ [DAY]: [row('LOST', 'SUCCESS')] }, [], counted);
    expect(result.mismatches).toEqual([
      expect.objectContaining({
        kind: BillMismatchKind.PAID_WITHOUT_ORDER,
        outTradeNo: 'LOST',
        subMchid: SUB,
        transactionId: '42LOST',
        amountFen: 100,
      }),
    ]);
    expect(result.mismatches[0]!.detail).toMatch(/no order workflow knows it/);
    expect(counted).toEqual([BillMismatchKind.PAID_WITHOUT_ORDER]);
  });

  it('finds a compensated sub-order whose debit WeChat Pay kept (PAID_BUT_COMPENSATED)', async () => {
    const reversed = order('R2', OrderPhase.REVERSED, { S3: SUB }, { start: from + HOUR, close: from + 3 * HOUR });
    const result = await reconcile({ [DAY]: [row('S3', 'SUCCESS')] }, [reversed]);
    expect(result.mismatches).toEqual([
      expect.objectContaining({
        kind: BillMismatchKind.PAID_BUT_COMPENSATED,
        outTradeNo: 'S3',
        combineOutTradeNo: 'R2',
        workflowId: 'order-R2',
        orderOutcome: 'REVERSED',
      }),
    ]);
  });

  it('looks on the next day for the money of an order that ended after midnight: back, still out, or not yet known', async () => {
    const late = order('R3', OrderPhase.REVERSED, { S4: SUB }, { start: to - HOUR, close: to + HOUR });
    const back = await reconcile({ [DAY]: [row('S4', 'SUCCESS')], [nextBillDate(DAY)]: [row('S4', 'REVOKED')] }, [
      late,
    ]);
    expect(back).toMatchObject({ matched: 1, mismatches: [] });
    const notYet = await reconcile({ [DAY]: [row('S4', 'SUCCESS')] }, [late]);
    expect(notYet).toMatchObject({ matched: 0, unsettled: 1, mismatches: [] });
    const kept = await reconcile({ [DAY]: [row('S4', 'SUCCESS')], [nextBillDate(DAY)]: 'EMPTY' }, [late]);
    expect(kept.mismatches).toEqual([expect.objectContaining({ kind: BillMismatchKind.PAID_BUT_COMPENSATED })]);
    expect(kept.mismatches[0]!.detail).toContain(nextBillDate(DAY));
  });

  it('finds an order kept as paid that no bill shows debited (ADOPTED_NOT_IN_BILL), also on an empty day', async () => {
    const adopted = order(
      'A1',
      OrderPhase.PAID,
      { S5: SUB, T5: OTHER },
      { start: from + HOUR, close: from + 2 * HOUR },
    );
    const result = await reconcile({ [DAY]: [] }, [adopted]);
    expect(result.mismatches).toEqual([
      expect.objectContaining({
        kind: BillMismatchKind.ADOPTED_NOT_IN_BILL,
        outTradeNo: 'S5',
        subMchid: SUB,
        combineOutTradeNo: 'A1',
      }),
    ]);
    const empty = await reconcile({ [DAY]: 'EMPTY' }, [adopted]);
    expect(empty).toMatchObject({ outcome: 'EMPTY', rows: 0 });
    expect(empty.mismatches.map((m) => m.kind)).toEqual([BillMismatchKind.ADOPTED_NOT_IN_BILL]);
  });

  it('finds the debit of a paid order that started the day before on that day’s bill', async () => {
    const overnight = order('A2', OrderPhase.PAID, { S6: SUB }, { start: from - HOUR, close: from + HOUR });
    const found = await reconcile({ [DAY]: [], [previousBillDate(DAY)]: [row('S6', 'SUCCESS')] }, [overnight]);
    expect(found.mismatches).toEqual([]);
    const missing = await reconcile({ [DAY]: [], [previousBillDate(DAY)]: [] }, [overnight]);
    expect(missing.mismatches[0]!.detail).toContain(previousBillDate(DAY));
  });

  it('judges a sub-order by the run that settled it when a second run of the order was resolved by a person', async () => {
    const first = order('D1', OrderPhase.REVERSED, { S8: SUB }, { start: from + HOUR, close: from + 2 * HOUR });
    const second = {
      ...order('D1', OrderPhase.RESOLVED_MANUALLY, { S8: SUB }, { start: from + 3 * HOUR, close: from + 4 * HOUR }),
      runId: 'run-2',
    };
    for (const runs of [
      [first, second],
      [second, first],
    ]) {
      const result = await reconcile({ [DAY]: [row('S8', 'SUCCESS'), row('S8', 'REVOKED')] }, runs);
      expect(result).toMatchObject({ matched: 2, unsettled: 0, mismatches: [] });
      const kept = await reconcile({ [DAY]: [row('S8', 'SUCCESS')] }, runs);
      expect(kept.mismatches.map((m) => m.kind)).toEqual([BillMismatchKind.PAID_BUT_COMPENSATED]);
    }
  });

  it('leaves rows of orders without an outcome unsettled', async () => {
    const running = order('W1', OrderPhase.NEEDS_ATTENTION, { S7: SUB }, { start: from + HOUR });
    const result = await reconcile({ [DAY]: [row('S7', 'SUCCESS')] }, [running]);
    expect(result).toMatchObject({ matched: 0, unsettled: 1, mismatches: [] });
  });

  it('reports every line that does not parse, and rows of another merchant, never skipping them', async () => {
    const result = await reconcile(
      {
        [DAY]: [
          { ok: false, line: 3, problem: '交易状态 "PAID" is not SUCCESS, REFUND or REVOKED' },
          row('X', 'SUCCESS', OTHER),
        ],
      },
      [],
    );
    expect(result.unread).toEqual([
      { subMchid: SUB, line: 3, problem: '交易状态 "PAID" is not SUCCESS, REFUND or REVOKED' },
      { subMchid: SUB, line: 2, problem: `特约商户号 is ${OTHER}, not ${SUB}` },
    ]);
    expect(result.rows).toBe(0);
  });

  it('fails typed, never clean: not ready (retried after the set delay), refused (not retried), corrupt', async () => {
    const notReady = await failureOf(reconcile({ [DAY]: 'NOT_READY' }, []));
    expect(notReady).toMatchObject({ type: ErrorType.TRADE_BILL_NOT_READY, nonRetryable: false });
    expect(notReady.nextRetryDelay).toBe(30 * 60_000);
    expect(await failureOf(reconcile({ [DAY]: 'REFUSED' }, []))).toMatchObject({
      type: ErrorType.TRADE_BILL_REFUSED,
      nonRetryable: true,
    });
    expect(await failureOf(reconcile({ [DAY]: 'CORRUPT' }, []))).toMatchObject({
      type: ErrorType.TRADE_BILL_CORRUPT,
      nonRetryable: false,
    });
  });
});
