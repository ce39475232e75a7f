/**
 * The trade-bill activities: which secondary merchants a day involves, and one merchant's bill of one day read and
 * set against the orders that own its rows (activities/bill-check.ts judges). The bill comes from a
 * {@link BillSource} (verified apply, SHA1-checked download, parsed lines); the orders from an {@link OrderIndex}
 * (visibility). A bill that cannot be had, or whose file fails its SHA1, is a typed failure: never reconciled as clean.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import {
  ErrorType,
  MAX_REPORTED_MISMATCHES,
  OrderPhase,
  type BillMismatch,
  type UnreadBillLine,
} from '../workflows/contract';
import type { SubMerchantReconciliation, TradeBillOrder, TradeBillRowFacts } from './types';
import { adoptedNotInBill, BillDay, judgeSubOrder, paidButCompensated, subOrdersOf } from './bill-check';
import { beijingDay, nextBillDate, previousBillDate } from '../workflows/trade-bill/days';
import type { Metrics } from './metrics';

/** The failure types of a bill not to be had. */
type BillFailureType =
  | typeof ErrorType.TRADE_BILL_NOT_READY
  | typeof ErrorType.TRADE_BILL_UNAVAILABLE
  | typeof ErrorType.TRADE_BILL_REFUSED
  | typeof ErrorType.TRADE_BILL_CORRUPT;

/** One line of a bill: a trade row, or a line that did not parse. */
export type BillLine = { ok: true; row: TradeBillRowFacts } | { ok: false; line: number; problem: string };

/** A day's bill of one merchant, opened: empty (`NO_STATEMENT_EXIST`), readable, or not to be had. */
export type BillOpening =
  | { ok: true; empty: true }
  | {
      ok: true;
      empty: false;
      lines: AsyncIterable<BillLine>;
      /** After every line was read: whether the file's SHA1 is the signed one (else a reason). */
      digest(): { ok: true } | { ok: false; reason: string };
    }
  | { ok: false; type: BillFailureType; reason: string };

/** Where bills come from (WeChat Pay, through the worker's client). */
export interface BillSource {
  open(billDate: string, subMchid: string, signal?: AbortSignal): Promise<BillOpening>;
}

/** Where orders are found (Temporal visibility, through the worker's connection). */
export interface OrderIndex {
  /** Orders involving `subMchid` that ran during `[from, to)`: started before its end and not closed before its start. */
  ordersOf(subMchid: string, from: number, to: number): AsyncIterable<TradeBillOrder>;
  /** The orders that own any of these sub-orders (`SubOutTradeNos`), whenever they ran. */
  owners(outTradeNos: string[]): Promise<TradeBillOrder[]>;
  /** The secondary merchants of the orders that ran during `[from, to)` (as {@link OrderIndex.ordersOf}). */
  subMerchants(from: number, to: number): Promise<string[]>;
}

/** What the trade-bill activities need from the worker. */
export interface TradeBillDeps {
  bills: BillSource;
  orders: OrderIndex;
  /** Secondary merchants always reconciled (`RECONCILE_SUB_MCHIDS`), whether or not the day's orders involve them. */
  subMchids: readonly string[];
  /** Delay before asking again for a bill that is not ready (`TRADE_BILL_NOT_READY_RETRY`). */
  notReadyRetryMs: number;
  metrics?: Metrics;
}

/** Most earlier days' bills read for an order kept as paid that started before the day. */
const MAX_EARLIER_DAYS = 7;
/** Lines between two heartbeats. */
const HEARTBEAT_EVERY = 10_000;

/** Input of `reconcileTradeBill`. */
export interface ReconcileTradeBillRequest {
  billDate: string;
  subMchid: string;
}

/** Builds the trade-bill activities. */
export function createTradeBillActivities(deps: TradeBillDeps) {
  return {
    /** The secondary merchants of a day: every one the day's orders involve, and the configured ones. */
    tradeBillSubMerchants: async (request: { billDate: string }): Promise<string[]> => {
      const day = beijingDay(request.billDate);
      const involved = await deps.orders.subMerchants(day.from, day.to);
      return [...new Set([...involved, ...deps.subMchids])].sort();
    },
    /** One merchant's bill of one day, set against the orders that own its rows and the day's orders. */
    reconcileTradeBill: async (request: ReconcileTradeBillRequest): Promise<SubMerchantReconciliation> => {
      const result = await reconcileOne(deps, request, Context.current().cancellationSignal);
      for (const m of result.mismatches) deps.metrics?.billMismatch(m.kind);
      return result;
    },
  };
}

/** A bill read into a {@link BillDay}, with its unread lines and row count. */
interface ReadBill {
  book: BillDay;
  rows: number;
  unread: UnreadBillLine[];
  empty: boolean;
}

/** Opens and reads one day's bill; a bill that cannot be had or fails its SHA1 throws the typed failure. */
async function readBill(
  deps: TradeBillDeps,
  billDate: string,
  subMchid: string,
  signal: AbortSignal | undefined,
  notReadyRetryMs: number | undefined,
): Promise<ReadBill> {
  const opened = await deps.bills.open(billDate, subMchid, signal);
  const book = new BillDay(subMchid);
  if (!opened.ok) throw billFailure(opened.type, `${billDate} ${subMchid}: ${opened.reason}`, notReadyRetryMs);
  if (opened.empty) return { book, rows: 0, unread: [], empty: true };
  const unread: UnreadBillLine[] = [];
  let rows = 0;
  let lines = 0;
  for await (const line of opened.lines) {
    if (++lines % HEARTBEAT_EVERY === 0) Context.current().heartbeat({ billDate, subMchid, lines });
    if (!line.ok) {
      unread.push({ subMchid, line: line.line, problem: line.problem });
    } else if (line.row.subMchid !== subMchid) {
      unread.push({ subMchid, line: lines, problem: `特约商户号 is ${line.row.subMchid}, not ${subMchid}` });
    } else {
      rows += 1;
      book.add(line.row);
    }
  }
  const digest = opened.digest();
  if (!digest.ok) throw billFailure(ErrorType.TRADE_BILL_CORRUPT, `${billDate} ${subMchid}: ${digest.reason}`);
  return { book, rows, unread, empty: false };
}

/** The typed failure of a bill not to be had: refused for good, or retried (not ready: after the set delay). */
function billFailure(type: string, message: string, notReadyRetryMs?: number): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable: type === ErrorType.TRADE_BILL_REFUSED,
    ...(type === ErrorType.TRADE_BILL_NOT_READY && notReadyRetryMs ? { nextRetryDelay: notReadyRetryMs } : {}),
  });
}

/** Phases in which an order settled the money (kept it, or gave it back). */
const MONEY_PHASES: ReadonlySet<string | undefined> = new Set([
  OrderPhase.PAID,
  OrderPhase.COMPENSATING,
  OrderPhase.REVERSED,
]);

/**
 * Records `order` as the owner of its sub-orders. Two runs of one order (a second start after the first ended) own
 * the same sub-orders: the run that settled the money keeps them over one that did not (e.g. resolved by a person).
 */
function own(owners: Map<string, TradeBillOrder>, order: TradeBillOrder): void {
  for (const no of order.outTradeNos) {
    const known = owners.get(no);
    if (!known || !MONEY_PHASES.has(known.phase)) owners.set(no, order);
  }
}

/**
 * An order as this merchant's check keeps it: its sub-orders of this merchant only (the bill lists no other), without
 * the run id and the other merchants' sub-orders: 100,000 orders held while a bill is read must stay small.
 */
function held(order: TradeBillOrder, subMchid: string): TradeBillOrder {
  const { workflowId, combineOutTradeNo, phase, startedAt, closedAt } = order;
  const mine = subOrdersOf(order, subMchid);
  return {
    workflowId,
    combineOutTradeNo,
    phase,
    startedAt,
    runId: '',
    outTradeNos: mine,
    subOrders: {},
    ...(closedAt !== undefined ? { closedAt } : {}),
  };
}

/**
 * The day's orders of a merchant: each by the sub-orders its bill must list (`owners`), how many were listed, and those
 * kept as paid that ended within the day (`paid`: each of their sub-orders must show a SUCCESS row).
 */
async function ordersBySubOrder(
  deps: TradeBillDeps,
  subMchid: string,
  day: { from: number; to: number },
): Promise<{ listed: number; paid: TradeBillOrder[]; owners: Map<string, TradeBillOrder> }> {
  const paid: TradeBillOrder[] = [];
  const owners = new Map<string, TradeBillOrder>();
  let listed = 0;
  for await (const order of deps.orders.ordersOf(subMchid, day.from, day.to)) {
    listed += 1;
    const kept = held(order, subMchid);
    own(owners, kept);
    if (kept.phase === OrderPhase.PAID && kept.closedAt !== undefined && kept.closedAt < day.to) paid.push(kept);
  }
  return { listed, paid, owners };
}

/** Reconciles one merchant's bill of one day. */
async function reconcileOne(
  deps: TradeBillDeps,
  { billDate, subMchid }: ReconcileTradeBillRequest,
  signal: AbortSignal | undefined,
): Promise<SubMerchantReconciliation> {
  const day = beijingDay(billDate);
  const bill = await readBill(deps, billDate, subMchid, signal, deps.notReadyRetryMs);
  const { listed, paid, owners } = await ordersBySubOrder(deps, subMchid, day);
  const unknown = [...bill.book.outTradeNos()].filter((no) => !owners.has(no));
  for (const order of await deps.orders.owners(unknown)) own(owners, order);

  const mismatches: BillMismatch[] = [];
  let matched = 0;
  let unsettled = 0;
  const later: { outTradeNo: string; owner: TradeBillOrder }[] = [];
  for (const no of bill.book.outTradeNos()) {
    const owner = owners.get(no);
    const judged = judgeSubOrder(bill.book, no, owner, billDate);
    const rows = bill.book.entry(no)?.rows ?? 1;
    if (judged.kind === 'MATCHED') matched += rows;
    else if (judged.kind === 'UNSETTLED') unsettled += rows;
    else if (judged.kind === 'MISMATCH') mismatches.push(judged.mismatch);
    else if (owner) later.push({ outTradeNo: no, owner });
  }
  const settledLater = await returnedLater(deps, billDate, subMchid, day, later, signal);
  for (const { outTradeNo, owner } of later) {
    const rows = bill.book.entry(outTradeNo)?.rows ?? 1;
    const verdict = settledLater(outTradeNo, owner);
    if (verdict.kind === 'MATCHED') matched += rows;
    else if (verdict.kind === 'UNSETTLED') unsettled += rows;
    else mismatches.push(paidButCompensated(bill.book, outTradeNo, owner, verdict.daysLooked));
  }
  mismatches.push(...(await adoptedMissing(deps, billDate, subMchid, bill.book, paid, signal)));
  return {
    subMchid,
    outcome: bill.empty ? 'EMPTY' : 'RECONCILED',
    rows: bill.rows,
    ordersChecked: listed,
    matched,
    unsettled,
    mismatches: mismatches.slice(0, MAX_REPORTED_MISMATCHES),
    unread: bill.unread.slice(0, MAX_REPORTED_MISMATCHES),
  };
}

/** A compensated order's debit, looked for on the following day's bill when the order ended after the day. */
type LaterVerdict = { kind: 'MATCHED' } | { kind: 'UNSETTLED' } | { kind: 'MISMATCH'; daysLooked: string[] };

/**
 * For compensated orders whose debit shows no money returned on the day: when the order ended within the day, its
 * reverse was that day (a mismatch); when it ended later (or still runs), the REVOKED or REFUND row may be on the next
 * day's bill: read it when WeChat Pay has it, else the row stays unsettled until that day is reconciled.
 */
async function returnedLater(
  deps: TradeBillDeps,
  billDate: string,
  subMchid: string,
  day: { from: number; to: number },
  later: readonly { outTradeNo: string; owner: TradeBillOrder }[],
  signal: AbortSignal | undefined,
): Promise<(outTradeNo: string, owner: TradeBillOrder) => LaterVerdict> {
  const endedLater = (owner: TradeBillOrder): boolean => owner.closedAt === undefined || owner.closedAt >= day.to;
  let next: BillDay | undefined;
  const nextDate = nextBillDate(billDate);
  if (later.some((l) => endedLater(l.owner))) {
    next = await readBill(deps, nextDate, subMchid, signal, undefined).then(
      (read) => read.book,
      () => undefined,
    );
  }
  return (outTradeNo, owner) => {
    if (!endedLater(owner)) return { kind: 'MISMATCH', daysLooked: [billDate] };
    if (!next) return { kind: 'UNSETTLED' };
    return next.returned(outTradeNo) ? { kind: 'MATCHED' } : { kind: 'MISMATCH', daysLooked: [billDate, nextDate] };
  };
}

/**
 * Orders kept as paid that ended within the day: each of their sub-orders of this merchant must show a SUCCESS row
 * on the day — or, for an order that started earlier, on a day since it started (at most {@link MAX_EARLIER_DAYS}).
 */
async function adoptedMissing(
  deps: TradeBillDeps,
  billDate: string,
  subMchid: string,
  book: BillDay,
  paid: readonly TradeBillOrder[],
  signal: AbortSignal | undefined,
): Promise<BillMismatch[]> {
  const missing: { order: TradeBillOrder; outTradeNo: string }[] = [];
  for (const order of paid) {
    for (const no of subOrdersOf(order, subMchid)) if (!book.paid(no)) missing.push({ order, outTradeNo: no });
  }
  const found = new Set<string>();
  const looked = new Map<string, string[]>();
  let date = billDate;
  for (let back = 1; back <= MAX_EARLIER_DAYS; back += 1) {
    date = previousBillDate(date);
    const from = beijingDay(date).from;
    const wanted = missing.filter((m) => !found.has(m.outTradeNo) && m.order.startedAt < beijingDay(date).to);
    if (wanted.length === 0) break;
    const earlier = await readBill(deps, date, subMchid, signal, undefined).catch(() => undefined);
    for (const m of wanted) {
      if (earlier?.book.paid(m.outTradeNo)) found.add(m.outTradeNo);
      else looked.set(m.outTradeNo, [...(looked.get(m.outTradeNo) ?? []), date]);
    }
    if (wanted.every((m) => m.order.startedAt >= from)) break;
  }
  return missing
    .filter((m) => !found.has(m.outTradeNo))
    .map((m) => adoptedNotInBill(m.order, subMchid, m.outTradeNo, [billDate, ...(looked.get(m.outTradeNo) ?? [])]));
}
