/**
 * The books, balanced: one secondary merchant's trade bill of one Beijing day, set against the orders that own its
 * rows. Pure: what the bill says per sub-order (`BillDay`), what an order's outcome says it should show, and the
 * mismatch when they disagree. The trade-bill activity feeds it rows and orders (activities/trade-bill.ts).
 */
import { BillMismatchKind, OrderPhase, type BillMismatch } from '../workflows/contract';
import type { TradeBillOrder, TradeBillRowFacts } from './types';

/** Trade states of a bill row (`交易状态`). */
const BillTradeState = { SUCCESS: 'SUCCESS', REFUND: 'REFUND', REVOKED: 'REVOKED' } as const;

/** What a day's bill says of one sub-order: paid (a SUCCESS row) and/or money returned (a REFUND or REVOKED row). */
interface SubOrderEntry {
  paid: boolean;
  returned: boolean;
  /** Rows of this sub-order in the bill. */
  rows: number;
  transactionId: string;
  settlementFen: number;
}

/**
 * A copy of `text` that holds no reference to the text it was cut from: a parsed field is a slice of its whole
 * decompressed chunk, which a kept slice would keep alive (for 100,000 rows, the whole bill again).
 */
function own(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

/** One day's bill of one secondary merchant (every row is this merchant's), by `out_trade_no`. */
export class BillDay {
  private readonly entries = new Map<string, SubOrderEntry>();

  constructor(readonly subMchid: string) {}

  /** Adds a parsed trade row of this merchant. */
  add(row: TradeBillRowFacts): void {
    const known = this.entries.get(row.outTradeNo);
    const entry = known ?? {
      paid: false,
      returned: false,
      rows: 0,
      transactionId: own(row.transactionId),
      settlementFen: 0,
    };
    entry.rows += 1;
    if (row.tradeState === BillTradeState.SUCCESS) {
      entry.paid = true;
      entry.settlementFen = row.settlementFen;
    } else {
      entry.returned = true;
    }
    if (!known) this.entries.set(own(row.outTradeNo), entry);
  }

  /** The sub-orders the bill lists. */
  outTradeNos(): IterableIterator<string> {
    return this.entries.keys();
  }

  /** Whether the bill shows the sub-order paid (a SUCCESS row). */
  paid(outTradeNo: string): boolean {
    return this.entries.get(outTradeNo)?.paid ?? false;
  }

  /** Whether the bill shows the sub-order's money returned (a REFUND or REVOKED row). */
  returned(outTradeNo: string): boolean {
    return this.entries.get(outTradeNo)?.returned ?? false;
  }

  /** The bill's entry for a sub-order. */
  entry(outTradeNo: string): Readonly<SubOrderEntry> | undefined {
    return this.entries.get(outTradeNo);
  }
}

/** Phases in which the order decided to compensate (its sub-orders are, or are being, released downstream). */
const COMPENSATED_PHASES: ReadonlySet<string> = new Set([OrderPhase.COMPENSATING, OrderPhase.REVERSED]);

/**
 * How one sub-order's bill entry compares with its owner: `MATCHED` (the bill agrees with the order's outcome),
 * `UNSETTLED` (the order has no outcome yet, or a person resolved it), `LATER` (a compensated order whose money may come
 * back on a later day's bill: look there), or a mismatch.
 */
export type RowJudgement =
  { kind: 'MATCHED' } | { kind: 'UNSETTLED' } | { kind: 'LATER' } | { kind: 'MISMATCH'; mismatch: BillMismatch };

/** Judges the bill's entry of `outTradeNo` against the order that owns it (undefined: no order knows it). */
export function judgeSubOrder(
  bill: BillDay,
  outTradeNo: string,
  owner: TradeBillOrder | undefined,
  billDate: string,
): RowJudgement {
  const entry = bill.entry(outTradeNo);
  if (!entry || !entry.paid || entry.returned) return { kind: 'MATCHED' };
  const billState = BillTradeState.SUCCESS;
  const facts = { subMchid: bill.subMchid, outTradeNo, billState, transactionId: entry.transactionId };
  if (!owner) {
    return {
      kind: 'MISMATCH',
      mismatch: {
        kind: BillMismatchKind.PAID_WITHOUT_ORDER,
        ...facts,
        amountFen: entry.settlementFen,
        detail: `WeChat Pay debited sub-order ${outTradeNo} on ${billDate} (transaction ${entry.transactionId}) and no order workflow knows it: find the checkout that started the debit, then start the order or refund it`,
      },
    };
  }
  if (owner.phase === OrderPhase.PAID) return { kind: 'MATCHED' };
  if (owner.phase === undefined || !COMPENSATED_PHASES.has(owner.phase)) return { kind: 'UNSETTLED' };
  return { kind: 'LATER' };
}

/** The mismatch of a compensated order whose debit shows no REVOKED or REFUND row on the day nor on the days after. */
export function paidButCompensated(
  bill: BillDay,
  outTradeNo: string,
  owner: TradeBillOrder,
  daysLooked: readonly string[],
): BillMismatch {
  const entry = bill.entry(outTradeNo);
  return {
    kind: BillMismatchKind.PAID_BUT_COMPENSATED,
    subMchid: bill.subMchid,
    outTradeNo,
    combineOutTradeNo: owner.combineOutTradeNo,
    workflowId: owner.workflowId,
    billState: BillTradeState.SUCCESS,
    ...(owner.phase ? { orderOutcome: owner.phase } : {}),
    ...(entry ? { transactionId: entry.transactionId, amountFen: entry.settlementFen } : {}),
    detail: `the order compensated sub-order ${outTradeNo} downstream, but WeChat Pay kept its debit (SUCCESS, no REVOKED or REFUND row on ${daysLooked.join(', ')}): refund it at WeChat Pay or restore it downstream`,
  };
}

/** The sub-orders of `order` that the bill of `subMchid` must list (all of them when the order's memo predates it). */
export function subOrdersOf(order: TradeBillOrder, subMchid: string): string[] {
  const owned = Object.entries(order.subOrders);
  if (owned.length === 0) return order.outTradeNos;
  return owned.filter(([, sub]) => sub === subMchid).map(([no]) => no);
}

/** The mismatch of an order kept as paid whose sub-order no bill shows debited. */
export function adoptedNotInBill(
  order: TradeBillOrder,
  subMchid: string,
  outTradeNo: string,
  daysLooked: readonly string[],
): BillMismatch {
  return {
    kind: BillMismatchKind.ADOPTED_NOT_IN_BILL,
    subMchid,
    outTradeNo,
    combineOutTradeNo: order.combineOutTradeNo,
    workflowId: order.workflowId,
    orderOutcome: OrderPhase.PAID,
    detail: `the order was kept as paid, but no SUCCESS row shows sub-order ${outTradeNo} debited (bills of ${daysLooked.join(', ')}): query the order at WeChat Pay, then hold the goods or collect the payment`,
  };
}
