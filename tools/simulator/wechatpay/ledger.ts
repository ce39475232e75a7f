/**
 * The WeChat Pay peer's ledger: every money movement it performed, each on its Beijing-time day (UTC+8) — a debit of a
 * sub-order (`SUCCESS`), a reverse of a paid one (`REVOKED`), a refund (`REFUND`) — what its trade bills are built
 * from. Movements are read off the orders: a request (or an admin change, or a late landing) is booked by comparing
 * each sub-order's state before and after it. Unpaid orders, and reverses of unpaid ones, move no money: no row.
 * Tests may also plant rows no order made, and drop rows, to play what the bill says against what the orders say.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { TradeBillState } from '../../../wechatpay/trade-bill';
import { PAID_STATES, subStateOf, subTransactionId, type SimOrder, type TradeState } from './orders';

/** Beijing time is UTC+8, all year. */
const BEIJING_OFFSET_MS = 8 * 3_600_000;

/** The Beijing-time day (`YYYY-MM-DD`) of an instant (epoch ms). */
export function beijingDay(ms: number): string {
  return new Date(ms + BEIJING_OFFSET_MS).toISOString().slice(0, 10);
}

/** The Beijing-time `YYYY-MM-DD HH:MM:SS` of an instant (epoch ms): a bill's `交易时间`. */
function beijingTime(ms: number): string {
  return new Date(ms + BEIJING_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

/** One money movement, as the bill writes it. */
export interface LedgerRow {
  /** Its number in the ledger (1, 2, …). */
  id: number;
  /** `交易状态`: SUCCESS (a debit), REVOKED (a paid sub-order reversed), REFUND (a refund). */
  tradeState: TradeBillState;
  /** When the money moved (ISO, the peer's clock). */
  at: string;
  /** Its Beijing day (`YYYY-MM-DD`): the bill it is in. */
  billDate: string;
  /** `交易时间`: `at` in Beijing time, `YYYY-MM-DD HH:MM:SS`. */
  tradeTime: string;
  /** `商户号`: the sub-order's `mchid` (the platform). */
  mchid: string;
  /** `特约商户号`. */
  subMchid: string;
  /** `商户订单号`: the sub-order's `out_trade_no`. */
  outTradeNo: string;
  /** `微信订单号`. */
  transactionId: string;
  /** The sub-order's amount in fen (`应结订单金额` of a debit, `退款金额` of a reverse or refund). */
  amountFen: number;
  /** `商户退款单号` and `微信退款单号` (REVOKED and REFUND rows). */
  outRefundNo?: string;
  refundId?: string;
  /** `公众账号ID`: the order's `combine_appid`. */
  appid?: string;
  /** The combined order that moved the money; absent on a planted row. */
  combineOutTradeNo?: string;
  /** Planted through the admin API, not moved by an order. */
  planted?: true;
}

/** A row to book: everything but its number. */
export type NewLedgerRow = Omit<LedgerRow, 'id'>;

/** The rows to drop: every row with this state and `out_trade_no` (and `sub_mchid`, `billDate` when given). */
export interface LedgerDrop {
  tradeState: TradeBillState;
  outTradeNo: string;
  subMchid?: string;
  billDate?: string;
}

/** The ledger: one row per sub-order and trade state (a later movement of the same kind replaces the earlier row). */
export class Ledger {
  private rows: LedgerRow[] = [];
  private nextId = 1;

  /** Every row, in the order booked. */
  all(): readonly LedgerRow[] {
    return this.rows;
  }

  /** Books a row (replacing one with the same state, `sub_mchid` and `out_trade_no`); the row as booked. */
  book(row: NewLedgerRow): LedgerRow {
    const booked: LedgerRow = { id: this.nextId++, ...row };
    this.rows = this.rows.filter(
      (r) => !(r.tradeState === row.tradeState && r.subMchid === row.subMchid && r.outTradeNo === row.outTradeNo),
    );
    this.rows.push(booked);
    return booked;
  }

  /**
   * Books many rows at once, as {@link Ledger.book} would one by one (a later row replaces an earlier one with the same
   * state, `sub_mchid` and `out_trade_no`), in linear time: the bench plants a 100,000-row bill this way in-process.
   */
  bookAll(rows: readonly NewLedgerRow[]): void {
    const key = (r: NewLedgerRow): string => `${r.tradeState}\n${r.subMchid}\n${r.outTradeNo}`;
    const booked = new Map<string, LedgerRow>();
    for (const row of rows) {
      const k = key(row);
      booked.delete(k);
      booked.set(k, { id: this.nextId++, ...row });
    }
    this.rows = this.rows.filter((r) => !booked.has(key(r)));
    for (const row of booked.values()) this.rows.push(row);
  }

  /** Drops the rows that match; the rows dropped. */
  drop(which: LedgerDrop): LedgerRow[] {
    const hit = (r: LedgerRow): boolean =>
      r.tradeState === which.tradeState &&
      r.outTradeNo === which.outTradeNo &&
      (which.subMchid === undefined || r.subMchid === which.subMchid) &&
      (which.billDate === undefined || r.billDate === which.billDate);
    const dropped = this.rows.filter(hit);
    this.rows = this.rows.filter((r) => !hit(r));
    return dropped;
  }

  /** One sub-merchant's rows of one Beijing day, in time order. */
  of(subMchid: string, billDate: string): LedgerRow[] {
    return this.rows
      .filter((r) => r.subMchid === subMchid && r.billDate === billDate)
      .sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.id - b.id);
  }
}

/**
 * A sub-order's amount in fen: the peer models no amounts, so one is derived from `out_trade_no`, the same every
 * time (0.01–99.99 yuan).
 */
export function amountOf(outTradeNo: string): number {
  return 1 + (createHash('sha1').update(outTradeNo).digest().readUInt32BE(0) % 9_999);
}

/** What an order's money looks like at one moment: each sub-order's state, and the transaction id base. */
export interface MoneyState {
  states: readonly TradeState[];
  transactionId?: string;
}

/** The order's money now (undefined: no order yet). */
export function moneyState(order: SimOrder | undefined): MoneyState | undefined {
  if (!order) return undefined;
  return {
    states: order.subOrders.map((s) => subStateOf(order, s.out_trade_no)),
    ...(order.transactionId !== undefined ? { transactionId: order.transactionId } : {}),
  };
}

/** Why an order's money moved: a reverse (a paid sub-order becomes `REVOKED` in the bill), or anything else. */
export type MoveCause = 'reverse' | 'other';

/**
 * Books what moved between `before` (undefined: the order did not exist) and the order now, at `nowMs` (the peer's
 * clock): a sub-order newly paid (or paid again under a new transaction id) is a debit; one newly `REFUND` is a
 * REVOKED row when a reverse did it, else a REFUND row. The rows booked.
 */
export function bookMoves(
  ledger: Ledger,
  order: SimOrder | undefined,
  before: MoneyState | undefined,
  cause: MoveCause,
  nowMs: number,
): LedgerRow[] {
  if (!order) return [];
  const booked: LedgerRow[] = [];
  order.subOrders.forEach((s, i) => {
    const was = before?.states[i];
    const now = subStateOf(order, s.out_trade_no);
    const base = rowBase(order, s, nowMs);
    const repaid = before?.transactionId !== order.transactionId;
    if (PAID_STATES.has(now) && (was === undefined || !PAID_STATES.has(was) || repaid)) {
      booked.push(ledger.book({ ...base, tradeState: 'SUCCESS' }));
    }
    if (now === 'REFUND' && was !== 'REFUND') {
      const tradeState = cause === 'reverse' ? 'REVOKED' : 'REFUND';
      booked.push(ledger.book({ ...base, tradeState, ...refundIds(tradeState, s.out_trade_no) }));
    }
  });
  return booked;
}

/** The fields every row of a sub-order shares. */
function rowBase(order: SimOrder, s: SimOrder['subOrders'][number], nowMs: number): Omit<NewLedgerRow, 'tradeState'> {
  return {
    ...timesOf(nowMs),
    mchid: s.mchid,
    subMchid: s.sub_mchid,
    outTradeNo: s.out_trade_no,
    transactionId: subTransactionId(order, s.out_trade_no) ?? '',
    amountFen: amountOf(s.out_trade_no),
    appid: order.combineAppid,
    combineOutTradeNo: order.combineOutTradeNo,
  };
}

/** `at`, `billDate` and `tradeTime` of an instant (epoch ms). */
function timesOf(ms: number): Pick<LedgerRow, 'at' | 'billDate' | 'tradeTime'> {
  return { at: new Date(ms).toISOString(), billDate: beijingDay(ms), tradeTime: beijingTime(ms) };
}

/** The refund numbers of a REVOKED or REFUND row: WeChat Pay's (`503…`) and the merchant's (made from the sub-order). */
function refundIds(tradeState: TradeBillState, outTradeNo: string): Pick<LedgerRow, 'outRefundNo' | 'refundId'> {
  return {
    outRefundNo: `${tradeState === 'REVOKED' ? 'RV' : 'RF'}${outTradeNo}`,
    refundId: `503${Date.now()}${randomBytes(4).toString('hex')}`,
  };
}

// ── Planting and dropping (the admin API) ──

const TRADE_BILL_STATES: readonly TradeBillState[] = ['SUCCESS', 'REFUND', 'REVOKED'];
const DIGITS_RE = /^[0-9]{1,32}$/;
const TRADE_NO_RE = /^[\x21-\x7e]{1,32}$/;
const ID_RE = /^[\x21-\x7e]{1,64}$/;
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

/** `body[field]` as a string matching `re` (`rule` names it); undefined when absent; else throws naming the field. */
function text(body: Record<string, unknown>, field: string, re: RegExp, rule: string): string | undefined {
  const v = body[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !re.test(v)) throw new Error(`${field} must be ${rule}`);
  return v;
}

function required(body: Record<string, unknown>, field: string, re: RegExp, rule: string): string {
  const v = text(body, field, re, rule);
  if (v === undefined) throw new Error(`${field} is required: ${rule}`);
  return v;
}

function tradeStateOf(body: Record<string, unknown>): TradeBillState {
  const v = body.tradeState;
  if (typeof v !== 'string' || !(TRADE_BILL_STATES as readonly string[]).includes(v)) {
    throw new Error(`tradeState must be one of ${TRADE_BILL_STATES.join(', ')}`);
  }
  return v as TradeBillState;
}

/** When a planted row's money moved: `at` (ISO), else noon (Beijing) of `billDate`, else `nowMs`. */
function plantedAt(body: Record<string, unknown>, nowMs: number): number {
  const at = body.at;
  if (at !== undefined) {
    if (typeof at !== 'string' || Number.isNaN(Date.parse(at))) throw new Error('at must be an ISO time');
    return Date.parse(at);
  }
  const day = text(body, 'billDate', DAY_RE, 'a day YYYY-MM-DD');
  return day === undefined ? nowMs : Date.parse(`${day}T12:00:00+08:00`);
}

/**
 * A row to plant, from `{ tradeState, subMchid, outTradeNo, at? | billDate?, mchid?, transactionId?, amountFen?,
 * outRefundNo?, refundId?, appid?, combineOutTradeNo? }` (defaults: the peer's merchant, a new transaction id, the
 * sub-order's derived amount, refund numbers for a REVOKED or REFUND row); throws naming the bad field.
 */
export function plantRow(body: Record<string, unknown>, defaultMchid: string, nowMs: number): NewLedgerRow {
  const tradeState = tradeStateOf(body);
  const outTradeNo = required(body, 'outTradeNo', TRADE_NO_RE, '1-32 printable characters');
  const amount = body.amountFen;
  if (amount !== undefined && (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount < 0)) {
    throw new Error('amountFen must be a whole number of fen ≥ 0');
  }
  const ids = tradeState === 'SUCCESS' ? {} : refundIds(tradeState, outTradeNo);
  const outRefundNo = text(body, 'outRefundNo', ID_RE, '1-64 printable characters') ?? ids.outRefundNo;
  const refundId = text(body, 'refundId', ID_RE, '1-64 printable characters') ?? ids.refundId;
  const appid = text(body, 'appid', ID_RE, '1-64 printable characters');
  const combineOutTradeNo = text(body, 'combineOutTradeNo', TRADE_NO_RE, '1-32 printable characters');
  return {
    tradeState,
    ...timesOf(plantedAt(body, nowMs)),
    mchid: text(body, 'mchid', DIGITS_RE, '1-32 digits') ?? defaultMchid,
    subMchid: required(body, 'subMchid', DIGITS_RE, '1-32 digits'),
    outTradeNo,
    transactionId:
      text(body, 'transactionId', ID_RE, '1-64 printable characters') ??
      `42000${Date.now()}${randomBytes(3).toString('hex')}`,
    amountFen: amount ?? amountOf(outTradeNo),
    ...(outRefundNo !== undefined ? { outRefundNo } : {}),
    ...(refundId !== undefined ? { refundId } : {}),
    ...(appid !== undefined ? { appid } : {}),
    ...(combineOutTradeNo !== undefined ? { combineOutTradeNo } : {}),
    planted: true,
  };
}

/** Which rows to drop, from `{ tradeState, outTradeNo, subMchid?, billDate? }`; throws naming the bad field. */
export function checkDrop(body: Record<string, unknown>): LedgerDrop {
  const subMchid = text(body, 'subMchid', DIGITS_RE, '1-32 digits');
  const billDate = text(body, 'billDate', DAY_RE, 'a day YYYY-MM-DD');
  return {
    tradeState: tradeStateOf(body),
    outTradeNo: required(body, 'outTradeNo', TRADE_NO_RE, '1-32 printable characters'),
    ...(subMchid !== undefined ? { subMchid } : {}),
    ...(billDate !== undefined ? { billDate } : {}),
  };
}
