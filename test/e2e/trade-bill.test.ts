/**
 * The trade-bill reconciliation on the real stack: orders run through the product worker against the WeChat Pay peer
 * (which books every debit and reverse in its ledger and serves real trade bills: signed apply, unsigned GZIP
 * download, SHA1), then the day is reconciled by the worker's own activities. The books balance; each mismatch kind,
 * planted in the peer's ledger, is found; each bill fault is survived or, when it persists, leaves the day not
 * reconciled — never reconciled as clean.
 */
import { randomInt } from 'node:crypto';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import {
  describeTradeBillSchedule,
  ensureTradeBillSchedule,
  markPaid,
  pauseTradeBillSchedule,
  reconciliationResult,
  startOrder,
  startReconciliation,
  TRADE_BILL_SCHEDULE_ID,
  TRADE_BILL_WORKFLOW_TYPE,
  type TradeBillResult,
} from '../../client';
import {
  addBillFault,
  changePeerSettings,
  dropLedgerRows,
  peerLedger,
  plantLedgerRow,
} from '../../tools/simulator/admin-client';
import { BillMismatchKind, ErrorType, OrderPhase, type OrderInput } from '../../workflows/contract';
import { beijingDay, billDateOf } from '../../workflows/trade-bill/days';
import { main as orderCli } from '../../worker/cli/order';
import { connectClient } from '../harness/env';
import { orderInput, waitForPhase } from '../harness/orders';
import { seedOrder, startStack, type Stack } from '../harness/stack';

/** A secondary merchant id no other suite uses: its bill holds this suite's orders only. */
const merchant = (): string => `17${String(randomInt(0, 100_000_000)).padStart(8, '0')}`;

describe('end to end: the day balanced against the trade bill', () => {
  let client: Client;
  let stack: Stack;
  let day: string;
  const subs = [merchant(), merchant()];
  const orders: Record<'paid' | 'refunded' | 'unpaid', OrderInput> = {} as never;

  /** An order of this suite's two merchants. */
  const input = (dueInMs: number): OrderInput => {
    const base = orderInput({ dueInMs, payWindow: '1s' });
    return { ...base, subOrders: base.subOrders.map((s, i) => ({ ...s, subMchid: subs[i]! })) };
  };

  /** Reconciles the day for this suite's merchants on the stack's worker. */
  const reconcile = async (extra: { waitForBill?: string } = {}): Promise<TradeBillResult> => {
    const handle = await startReconciliation(
      client,
      { billDate: day, subMchids: subs, ...extra },
      { taskQueue: stack.taskQueue },
    );
    return reconciliationResult(handle);
  };

  beforeAll(async () => {
    client = await connectClient();
    // A day whose end is more than 5 minutes away: the orders and their rows fall in it.
    if (beijingDay(billDateOf(Date.now())).to - Date.now() < 5 * 60_000) {
      await new Promise((r) => setTimeout(r, beijingDay(billDateOf(Date.now())).to - Date.now() + 1_000));
    }
    day = billDateOf(Date.now());
    stack = await startStack({ env: { TRADE_BILL_NOT_READY_RETRY: '1s' } });
    await changePeerSettings(stack.peer.url, { serveTodayBill: true });

    // Paid and confirmed; paid but never confirmed (refunded by the reverse); never paid (closed by the reverse).
    orders.paid = input(60_000);
    orders.refunded = input(500);
    orders.unpaid = input(500);
    await seedOrder(stack.peer, orders.paid, 'SUCCESS');
    await seedOrder(stack.peer, orders.refunded, 'SUCCESS');
    const handles = await Promise.all(
      Object.values(orders).map(async (o) => (await startOrder(client, o, { taskQueue: stack.taskQueue })).handle),
    );
    await markPaid(client, orders.paid.combineOutTradeNo);
    await waitForPhase(handles[0]!, OrderPhase.PAID, 60_000);
    await waitForPhase(handles[1]!, OrderPhase.REVERSED, 60_000);
    await waitForPhase(handles[2]!, OrderPhase.REVERSED, 60_000);
    await Promise.all(handles.map((h) => h.result()));
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await client?.connection.close();
  });

  it('balances: every debit and reverse the peer booked matches the order that owns it', async () => {
    const ledger = await peerLedger(stack.peer.url, { billDate: day });
    const ours = ledger.filter((r) => subs.includes(r.subMchid));
    // Two debits of two sub-orders each, and the refunded order's two REVOKED rows; nothing for the unpaid order.
    expect(ours.map((r) => r.tradeState).sort()).toEqual([
      'REVOKED',
      'REVOKED',
      'SUCCESS',
      'SUCCESS',
      'SUCCESS',
      'SUCCESS',
    ]);
    const result = await reconcile();
    expect(result).toMatchObject({
      billDate: day,
      subMerchants: 2,
      rows: 6,
      matched: 6,
      unsettled: 0,
      mismatchCount: 0,
      unread: [],
      notReconciled: [],
    });
    expect(result.ordersChecked).toBe(6); // three orders, each in both merchants' bills
  });

  it('finds each kind planted in the ledger: a debit no order knows, a kept debit, a missing debit', async () => {
    const [paidSub] = orders.paid.subOrders;
    const [refundedSub] = orders.refunded.subOrders;
    await plantLedgerRow(stack.peer.url, {
      tradeState: 'SUCCESS',
      subMchid: subs[0]!,
      outTradeNo: 'NOBODY0001',
      billDate: day,
    });
    expect(
      await dropLedgerRows(stack.peer.url, { tradeState: 'SUCCESS', outTradeNo: paidSub!.outTradeNo }),
    ).toHaveLength(1);
    expect(
      await dropLedgerRows(stack.peer.url, { tradeState: 'REVOKED', outTradeNo: refundedSub!.outTradeNo }),
    ).toHaveLength(1);
    const result = await reconcile();
    const found = result.mismatches.map((m) => [m.kind, m.outTradeNo, m.combineOutTradeNo]).sort();
    expect(found).toEqual(
      [
        [BillMismatchKind.ADOPTED_NOT_IN_BILL, paidSub!.outTradeNo, orders.paid.combineOutTradeNo],
        [BillMismatchKind.PAID_BUT_COMPENSATED, refundedSub!.outTradeNo, orders.refunded.combineOutTradeNo],
        [BillMismatchKind.PAID_WITHOUT_ORDER, 'NOBODY0001', undefined],
      ].sort(),
    );
    expect(result.mismatchCount).toBe(3);
  });

  it('combine-papay-order reconcile --wait prints the result and exits 3 while mismatches stand; schedule describe', async () => {
    const lines: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    const saved = { ...process.env };
    Object.assign(process.env, {
      TEMPORAL_ADDRESS: stack.env.TEMPORAL_ADDRESS,
      TEMPORAL_NAMESPACE: stack.env.TEMPORAL_NAMESPACE,
      TEMPORAL_TASK_QUEUE: stack.taskQueue,
    });
    try {
      expect(await orderCli(['reconcile', '--date', day, '--sub-mchid', subs.join(','), '--wait'])).toBe(3);
      expect(lines[0]).toMatch(/^started: combine-papay-trade-bill-\d{4}-\d{2}-\d{2}-on-demand-\d+$/);
      expect(lines[lines.length - 1]).toBe(`${day}: 5 rows, 3 matched, 3 mismatches`);
      lines.length = 0;
      expect(await orderCli(['schedule', 'describe'])).toBe(0);
      expect(lines).toEqual([expect.stringMatching(/^combine-papay-trade-bill: (active|paused)/)]);
    } finally {
      log.mockRestore();
      process.env = saved;
    }
  });

  it('survives each fault once (not ready, unsigned apply, expired URL, corrupt file) and reads the same bill', async () => {
    const clean = await reconcile();
    for (const kind of ['BILL_NOT_READY', 'BILL_APPLY_UNSIGNED', 'BILL_URL_EXPIRED', 'BILL_CORRUPT'] as const) {
      await addBillFault(stack.peer.url, { kind, count: 1, subMchid: subs[0]!, billDate: day });
    }
    const before = stack.peer.log.length;
    const result = await reconcile();
    expect(result).toEqual({ ...clean });
    const bills = stack.peer.log.slice(before).filter((e) => e.route === 'tradeBill' || e.route === 'billDownload');
    // Merchant 0: 4 faults, each costing one more request; merchant 1: one apply and one download.
    expect(bills.length).toBeGreaterThanOrEqual(2 + 2 + 4);
  });

  it('keeps the daily Schedule: created by the worker at start, 10:30 Asia/Shanghai, paused and resumed, ensured again', async () => {
    expect(stack.product.tradeBillSchedule).toMatch(/^(created|updated)$/);
    const handle = client.schedule.getHandle(TRADE_BILL_SCHEDULE_ID);
    const described = await handle.describe();
    expect(described.spec.timezone).toBe('Asia/Shanghai');
    expect(described.spec.calendars?.[0]).toMatchObject({
      hour: [{ start: 10, end: 10, step: 1 }],
      minute: [{ start: 30, end: 30, step: 1 }],
    });
    expect(described.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: TRADE_BILL_WORKFLOW_TYPE,
      taskQueue: stack.taskQueue,
    });
    // The next run is at 10:30 Beijing time (02:30 UTC).
    expect(described.info.nextActionTimes[0]?.toISOString()).toMatch(/T02:30:00\.000Z$/);
    await pauseTradeBillSchedule(client, true, 'bill API down, INC-42');
    expect(await describeTradeBillSchedule(client)).toMatch(
      /^combine-papay-trade-bill: paused \(bill API down, INC-42\), next run /,
    );
    // Ensuring again updates it and leaves its paused state alone.
    expect(await ensureTradeBillSchedule(client, { taskQueue: stack.taskQueue })).toBe('updated');
    expect((await handle.describe()).state.paused).toBe(true);
    await pauseTradeBillSchedule(client, false, 'fixed');
    expect(await describeTradeBillSchedule(client)).toMatch(/^combine-papay-trade-bill: active \(fixed\)/);
  });

  it('leaves the day not reconciled when the file never matches its SHA1', async () => {
    await addBillFault(stack.peer.url, { kind: 'BILL_CORRUPT', count: 1_000, subMchid: subs[1]!, billDate: day });
    const err = await reconcile({ waitForBill: '4s' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe(ErrorType.TRADE_BILL_NOT_RECONCILED);
    const sums = cause.details?.[0] as TradeBillResult;
    expect(sums.notReconciled).toEqual([
      { subMchid: subs[1], reason: expect.stringContaining(ErrorType.TRADE_BILL_CORRUPT) as string },
    ]);
    expect(sums.subMerchants).toBe(2);
  });
});
