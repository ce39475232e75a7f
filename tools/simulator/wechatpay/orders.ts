/**
 * The WeChat Pay peer's order book, in one place: the trade states (order-level, with optional per-sub-order
 * overrides) and the order, late pay and order book records; what requests do to an order (a debit lands now, late or
 * by itself; a reverse refunds or closes); the wire form (the query answer's JSON, checks of what comes in, each naming
 * the bad field); and the pay, query and reverse APIs on the book, answering (before signing) what WeChat Pay would.
 */
import { randomBytes } from 'node:crypto';
import type { PeerSettings, RepeatReversePolicy } from './settings';

// ── State ──

/**
 * Trade states WeChat Pay answers per sub-order in a query (the generic combined-order set; see
 * shared/reference/wechatpay-combine-papay.md).
 */
const WECHAT_TRADE_STATES = [
  'SUCCESS',
  'REFUND',
  'NOTPAY',
  'CLOSED',
  'REVOKED',
  'USERPAYING',
  'PAYERROR',
  'ACCEPT',
] as const;
/** One of {@link WECHAT_TRADE_STATES}. */
type WechatTradeState = (typeof WECHAT_TRADE_STATES)[number];

/**
 * States a simulated order (or sub-order) can be in: WeChat Pay's own, plus the simulator's historical `PAYING`
 * (a pay call whose outcome is unknown), which the query answers as `USERPAYING`.
 */
const TRADE_STATES = ['PAYING', ...WECHAT_TRADE_STATES] as const;
/** One of {@link TRADE_STATES}. */
export type TradeState = (typeof TRADE_STATES)[number];

/** States in which money moved (the query then carries a `transaction_id`). */
export const PAID_STATES: ReadonlySet<TradeState> = new Set<TradeState>(['SUCCESS', 'REFUND']);

/** States a reverse cannot change any more: it answers them with the repeat policy. */
export const FINAL_STATES: ReadonlySet<TradeState> = new Set<TradeState>(['CLOSED', 'REVOKED', 'REFUND']);

/** What triggers a scheduled late pay: the next signed "no such order" answer to a reverse, or to a query. */
export const LATE_PAY_TRIGGERS = ['REVERSE_NOT_FOUND', 'QUERY_NOT_FOUND'] as const;
/** One of {@link LATE_PAY_TRIGGERS}. */
export type LatePayTrigger = (typeof LATE_PAY_TRIGGERS)[number];

/** A sub-order as WeChat Pay holds it (snake_case, as on the wire). */
export interface SimSubOrder {
  mchid: string;
  out_trade_no: string;
  sub_mchid: string;
  sub_appid?: string;
}

/** A simulated combined order. */
export interface SimOrder {
  combineOutTradeNo: string;
  combineAppid: string;
  /**
   * The merchant the order belongs to, answered as the query's `combine_mchid`: the `mchid` of the pay call's
   * Authorization, or the admin seed's `combine_mchid` (default: the simulator identity's). Absent on orders built
   * with {@link newOrder} without one (devstack, unit tests): the query then answers the peer identity's.
   */
  combineMchid?: string;
  subOrders: SimSubOrder[];
  /** Order-level state: every sub-order's state unless {@link SimOrder.subStates} overrides it. */
  state: TradeState;
  /** Per-sub-order states by `out_trade_no`, overriding {@link SimOrder.state} for those sub-orders. */
  subStates?: Record<string, TradeState>;
  createdAt: string;
  paidAt?: string;
  reversedAt?: string;
  /** Reverse requests that took effect or were answered as repeats. */
  reverseRequests: number;
  /** Base of the sub-orders' transaction ids, set once money moved. */
  transactionId?: string;
  /**
   * When the refund of each sub-order a reverse refunded under the peer's `refundLagMs` becomes visible (ISO time, by
   * `out_trade_no`): until then the query answers that sub-order `SUCCESS` (see {@link visibleSubState}).
   */
  refundVisibleAt?: Record<string, string>;
}

/** A debit scheduled to land when the peer next answers "no such order" for its order. */
export interface LatePay {
  combineOutTradeNo: string;
  combineAppid: string;
  /** The order's merchant once it lands (see {@link SimOrder.combineMchid}). */
  combineMchid?: string;
  subOrders: SimSubOrder[];
  after: LatePayTrigger;
  scheduledAt: string;
}

/**
 * Scripted outcomes of a pay call: `SUCCESS`; `FAIL` (403 NOT_ENOUGH, PAYERROR); `HANG` (the debit lands, the answer
 * comes after `payHangMs`); `LAND_LATE` (the order is registered PAYING, the answer comes after `payHangMs`, and the
 * debit lands by itself `landAfterMs` after the call arrived, unless a reverse got there first).
 */
export const PAY_OUTCOMES = ['SUCCESS', 'FAIL', 'HANG', 'LAND_LATE'] as const;
/** One of {@link PAY_OUTCOMES}. */
export type PayOutcome = (typeof PAY_OUTCOMES)[number];

/** A pay call's script: an outcome, with `landAfterMs` for `LAND_LATE` (see {@link PAY_OUTCOMES}). */
export type PayScript = Exclude<PayOutcome, 'LAND_LATE'> | { outcome: 'LAND_LATE'; landAfterMs: number };

/** The peer's orders, scripted pay outcomes and pending late pays, each by combine_out_trade_no. */
export interface OrderBook {
  orders: Map<string, SimOrder>;
  payScript: Map<string, PayScript>;
  latePays: Map<string, LatePay>;
}

/** How a request changed an order (`latePay`: a scheduled debit landed right after the answer). */
export interface OrderEffect {
  from: TradeState | 'NONE';
  to: TradeState;
  latePay?: true;
}

/** A new transaction id base (WeChat Pay's start with 42000). */
export function newTransactionId(): string {
  return `42000${Date.now()}${randomBytes(3).toString('hex')}`;
}

/** A sub-order's `transaction_id` once money moved: the order's base and the sub-order's last four characters. */
export function subTransactionId(order: SimOrder, outTradeNo: string): string | undefined {
  return order.transactionId === undefined ? undefined : `${order.transactionId}${outTradeNo.slice(-4)}`;
}

/** The state one sub-order is in: its override, else the order's state. */
export function subStateOf(order: SimOrder, outTradeNo: string): TradeState {
  return order.subStates?.[outTradeNo] ?? order.state;
}

/** The state the query shows for one sub-order at `now`: its state, but `SUCCESS` for a refund not yet visible. */
function visibleSubState(order: SimOrder, outTradeNo: string, now = Date.now()): TradeState {
  const state = subStateOf(order, outTradeNo);
  const visibleAt = order.refundVisibleAt?.[outTradeNo];
  return state === 'REFUND' && visibleAt !== undefined && Date.parse(visibleAt) > now ? 'SUCCESS' : state;
}

/** A new order record (not yet stored). */
export function newOrder(
  fields: Pick<SimOrder, 'combineOutTradeNo' | 'combineAppid' | 'combineMchid' | 'subOrders'>,
  state: TradeState,
  subStates?: Record<string, TradeState>,
): SimOrder {
  const order: SimOrder = {
    combineOutTradeNo: fields.combineOutTradeNo,
    combineAppid: fields.combineAppid,
    ...(fields.combineMchid !== undefined ? { combineMchid: fields.combineMchid } : {}),
    subOrders: fields.subOrders,
    state: 'PAYING',
    createdAt: new Date().toISOString(),
    reverseRequests: 0,
  };
  setStates(order, state, subStates);
  return order;
}

/**
 * Sets an order's state and its per-sub-order overrides (none: every sub-order takes `state`); gives it a
 * transaction id if money moved for any sub-order. Refunds waiting to become visible are shown at once.
 */
export function setStates(order: SimOrder, state: TradeState, subStates?: Record<string, TradeState>): void {
  order.state = state;
  delete order.refundVisibleAt;
  const overrides = subStates && Object.keys(subStates).length > 0 ? { ...subStates } : undefined;
  if (overrides) order.subStates = overrides;
  else delete order.subStates;
  if (order.subOrders.some((s) => PAID_STATES.has(subStateOf(order, s.out_trade_no)))) {
    order.transactionId ??= newTransactionId();
    order.paidAt ??= new Date().toISOString();
  }
}

// ── Transitions ──

/** What a reverse did to an order. */
type ReverseOutcome = { repeat: true } | { repeat: false; from: TradeState; to: TradeState };

/** A debit lands: every sub-order is paid (SUCCESS), with a fresh transaction id. */
export function landDebit(order: SimOrder): void {
  delete order.subStates;
  delete order.refundVisibleAt;
  order.state = 'SUCCESS';
  order.transactionId = newTransactionId();
  order.paidAt = new Date().toISOString();
}

/**
 * Reverses an order, sub-order by sub-order: paid (SUCCESS) → REFUND; not paid (PAYING, NOTPAY, USERPAYING, ACCEPT,
 * PAYERROR) → CLOSED; CLOSED, REVOKED and REFUND stay. When nothing changes, it is a repeat. The order-level state
 * becomes REFUND if any sub-order was refunded, else CLOSED; overrides that all agree collapse into it. With
 * `refundLagMs` > 0, each refund becomes visible to the query only that long after now (`refundVisibleAt`).
 */
function reverseOrder(order: SimOrder, refundLagMs = 0): ReverseOutcome {
  const before = order.subOrders.map((s) => subStateOf(order, s.out_trade_no));
  if (before.every((s) => FINAL_STATES.has(s))) return { repeat: true };
  const after = before.map((s): TradeState => (FINAL_STATES.has(s) ? s : s === 'SUCCESS' ? 'REFUND' : 'CLOSED'));
  const from = order.state;
  const to: TradeState = after.includes('REFUND') ? 'REFUND' : 'CLOSED';
  const uniform = after.every((s) => s === after[0]);
  order.state = uniform ? after[0]! : to;
  if (uniform) delete order.subStates;
  else order.subStates = Object.fromEntries(order.subOrders.map((s, i) => [s.out_trade_no, after[i]!]));
  order.reversedAt = new Date().toISOString();
  if (refundLagMs > 0) delayRefunds(order, before, refundLagMs);
  return { repeat: false, from, to: order.state };
}

/**
 * Lands the debit of a pay call scripted `LAND_LATE` if the order still awaits it (no sub-order paid, refunded,
 * closed or revoked): every sub-order SUCCESS, as {@link landDebit}. The effect; undefined when something got there
 * first (a reverse, an admin change), and nothing changes.
 */
export function landAwaitedDebit(order: SimOrder): OrderEffect | undefined {
  const states = order.subOrders.map((s) => subStateOf(order, s.out_trade_no));
  if (states.some((s) => FINAL_STATES.has(s) || PAID_STATES.has(s))) return undefined;
  const from = order.state;
  landDebit(order);
  return { from, to: 'SUCCESS' };
}

/** Notes when the refund of each sub-order that was paid (`before`, in sub-order order) becomes visible. */
function delayRefunds(order: SimOrder, before: TradeState[], refundLagMs: number): void {
  const visibleAt = new Date(Date.now() + refundLagMs).toISOString();
  order.subOrders.forEach((s, i) => {
    if (before[i] === 'SUCCESS') (order.refundVisibleAt ??= {})[s.out_trade_no] = visibleAt;
  });
}

/**
 * Lands the late pay scheduled for order `no` if it waits for `trigger` (the "no such order" answer being given):
 * the order now exists, paid. Whether one landed.
 */
function landLatePay(book: OrderBook, no: string, trigger: LatePayTrigger): boolean {
  const late = book.latePays.get(no);
  if (late?.after !== trigger) return false;
  book.latePays.delete(no);
  book.orders.set(no, newOrder(late, 'SUCCESS'));
  return true;
}

// ── Wire form ──

/** The allowed combined order number: 1–32 of digits, letters and `_ - | * @`. */
const ORDER_NO_RE = /^[0-9A-Za-z_\-|*@]{1,32}$/;

/** The state as WeChat Pay names it in a query answer (`PAYING` is `USERPAYING`). */
function wechatTradeState(state: TradeState): WechatTradeState {
  return state === 'PAYING' ? 'USERPAYING' : state;
}

/** A sub-order in the query answer: as held, with its `trade_state` and, once money moved, its `transaction_id`. */
interface SubOrderAnswerJson extends SimSubOrder {
  trade_state: WechatTradeState;
  transaction_id?: string;
}

/** The query answer's JSON (the fields the peer models). */
export interface OrderAnswerJson {
  combine_appid: string;
  combine_mchid?: string;
  combine_out_trade_no: string;
  sub_orders: SubOrderAnswerJson[];
}

/**
 * The query answer's JSON: `combine_mchid` (the order's, else `defaultMchid`), every sub-order with its own
 * `trade_state` (a refund not yet visible shows `SUCCESS`), and `transaction_id` when money moved.
 */
export function orderJson(order: SimOrder, defaultMchid?: string): OrderAnswerJson {
  const mchid = order.combineMchid ?? defaultMchid;
  return {
    combine_appid: order.combineAppid,
    ...(mchid !== undefined ? { combine_mchid: mchid } : {}),
    combine_out_trade_no: order.combineOutTradeNo,
    sub_orders: order.subOrders.map((s): SubOrderAnswerJson => {
      const state = visibleSubState(order, s.out_trade_no);
      return {
        ...s,
        trade_state: wechatTradeState(state),
        ...(PAID_STATES.has(state) && order.transactionId
          ? { transaction_id: subTransactionId(order, s.out_trade_no)! }
          : {}),
      };
    }),
  };
}

/** Parses a JSON text into an object, or undefined. */
export function safeJson(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Checks `sub_orders` (1–50 of `{ mchid, out_trade_no, sub_mchid, sub_appid? }`); throws naming the bad field. */
function checkSubOrders(value: unknown, field = 'sub_orders'): SimSubOrder[] {
  if (!Array.isArray(value) || value.length < 1 || value.length > 50) {
    throw new Error(`${field} must be an array of 1 to 50 sub-orders`);
  }
  return (value as unknown[]).map((item, i): SimSubOrder => {
    if (typeof item !== 'object' || item === null) throw new Error(`${field}[${i}] must be an object`);
    const { mchid, out_trade_no, sub_mchid, sub_appid } = item as Record<string, unknown>;
    for (const [name, v] of Object.entries({ mchid, out_trade_no, sub_mchid })) {
      if (typeof v !== 'string' || v === '') throw new Error(`${field}[${i}].${name} must be a non-empty string`);
    }
    if (sub_appid !== undefined && typeof sub_appid !== 'string') {
      throw new Error(`${field}[${i}].sub_appid must be a string when present`);
    }
    return {
      mchid: mchid as string,
      out_trade_no: out_trade_no as string,
      sub_mchid: sub_mchid as string,
      ...(typeof sub_appid === 'string' ? { sub_appid } : {}),
    };
  });
}

/** {@link checkSubOrders} for the API: undefined instead of an error. */
function parseSubOrders(value: unknown): SimSubOrder[] | undefined {
  try {
    return checkSubOrders(value);
  } catch {
    return undefined;
  }
}

/** The same sub-orders (by mchid, out_trade_no and sub_mchid), in any order. */
function sameSubOrders(a: SimSubOrder[], b: SimSubOrder[]): boolean {
  const key = (s: SimSubOrder) => `${s.mchid}|${s.out_trade_no}|${s.sub_mchid}`;
  const ka = a.map(key).sort();
  const kb = b.map(key).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i]);
}

/** Checks a trade state; throws naming the field. */
export function checkTradeState(value: unknown, field: string): TradeState {
  if (typeof value !== 'string' || !(TRADE_STATES as readonly string[]).includes(value)) {
    throw new Error(`${field} must be one of ${TRADE_STATES.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as TradeState;
}

/** Checks `sub_states` (`{ [out_trade_no]: state }` naming only the order's sub-orders); throws naming the field. */
export function checkSubStates(value: unknown, subOrders: SimSubOrder[]): Record<string, TradeState> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new Error('sub_states must be an object { [out_trade_no]: state }');
  }
  const out: Record<string, TradeState> = {};
  for (const [no, state] of Object.entries(value as Record<string, unknown>)) {
    if (!subOrders.some((s) => s.out_trade_no === no)) {
      throw new Error(`sub_states.${no} names no sub-order of this order (out_trade_no)`);
    }
    out[no] = checkTradeState(state, `sub_states.${no}`);
  }
  return out;
}

/** Checks a combined order number; throws naming the field. */
export function checkOrderNo(value: unknown, field = 'combine_out_trade_no'): string {
  if (typeof value !== 'string' || !ORDER_NO_RE.test(value)) {
    throw new Error(`${field} is required: 1 to 32 of digits, letters and _ - | * @`);
  }
  return value;
}

/**
 * An order as the admin API describes it: `{ combine_out_trade_no, combine_appid, combine_mchid?, sub_orders }`
 * (`combineMchid` only when the body has one).
 */
export function checkOrderFields(
  body: Record<string, unknown>,
  pathNo?: string,
): Pick<SimOrder, 'combineOutTradeNo' | 'combineAppid' | 'combineMchid' | 'subOrders'> {
  const no = checkOrderNo(body.combine_out_trade_no ?? pathNo);
  if (pathNo !== undefined && no !== pathNo) {
    throw new Error(`combine_out_trade_no ${no} does not match the order number in the path (${pathNo})`);
  }
  if (typeof body.combine_appid !== 'string' || body.combine_appid === '') {
    throw new Error('combine_appid is required (a non-empty string)');
  }
  const mchid = body.combine_mchid;
  if (mchid !== undefined && (typeof mchid !== 'string' || !/^\d{1,32}$/.test(mchid))) {
    throw new Error('combine_mchid must be a merchant id (1 to 32 digits) when present');
  }
  return {
    combineOutTradeNo: no,
    combineAppid: body.combine_appid,
    ...(mchid !== undefined ? { combineMchid: mchid } : {}),
    subOrders: checkSubOrders(body.sub_orders),
  };
}

// ── The API on the book ──

/** What the API answers to a processed request (before signing), and what it changed. */
export interface ApiResult {
  status: number;
  /** The JSON answer; undefined for 204. */
  payload?: unknown;
  effect?: OrderEffect;
  /** A scripted hanging pay: the answer is held back. */
  hang?: true;
  /** A pay scripted `LAND_LATE`: its debit lands this long after the call arrived (the peer schedules it). */
  landAfterMs?: number;
}

const NOT_EXIST = { code: 'ORDER_NOT_EXIST', message: '订单不存在' } as const;

/** A repeated reverse's answer, by policy: 204 again, or a signed refusal. */
const REPEAT_ANSWERS: Readonly<Record<RepeatReversePolicy, ApiResult>> = {
  NO_CONTENT: { status: 204 },
  ORDER_CLOSED: err(400, 'ORDER_CLOSED', '订单已关闭'),
  INVALID_REQUEST: err(400, 'INVALID_REQUEST', '订单状态不允许撤销'),
};

/**
 * `POST …/transactions`: the debit (or a scripted failure, hang or late landing: see {@link PAY_OUTCOMES}); an order
 * number is debited once. The order belongs to `callerMchid` (the `mchid` of the call's Authorization).
 */
export function payApi(book: OrderBook, body: string, callerMchid: string): ApiResult {
  const json = safeJson(body);
  const no = json?.combine_out_trade_no;
  const appid = json?.combine_appid;
  const subs = parseSubOrders(json?.sub_orders);
  if (typeof no !== 'string' || !ORDER_NO_RE.test(no) || typeof appid !== 'string' || !subs) {
    return err(400, 'PARAM_ERROR', 'combine_out_trade_no, combine_appid and sub_orders are required');
  }
  if (book.orders.has(no)) return err(400, 'INVALID_REQUEST', '订单号重复');
  const order = newOrder(
    { combineOutTradeNo: no, combineAppid: appid, combineMchid: callerMchid, subOrders: subs },
    'PAYING',
  );
  book.orders.set(no, order);
  const outcome = book.payScript.get(no) ?? 'SUCCESS';
  if (outcome === 'FAIL') {
    order.state = 'PAYERROR';
    return { ...err(403, 'NOT_ENOUGH', '用户余额不足'), effect: { from: 'NONE', to: 'PAYERROR' } };
  }
  if (typeof outcome === 'object') {
    const registered = { status: 200, payload: orderJson(order), effect: { from: 'NONE', to: 'PAYING' } } as const;
    return { ...registered, hang: true, landAfterMs: outcome.landAfterMs };
  }
  landDebit(order);
  return {
    status: 200,
    payload: orderJson(order),
    effect: { from: 'NONE', to: 'SUCCESS' },
    ...(outcome === 'HANG' ? { hang: true as const } : {}),
  };
}

/**
 * `GET …/transactions/{no}`: the order with every sub-order's state, or "no such order"; `combine_mchid` is the
 * order's merchant, else `defaultMchid` (the peer identity's).
 */
export function queryApi(book: OrderBook, no: string, defaultMchid: string): ApiResult {
  const order = book.orders.get(no);
  if (!order) return notFound(book, no, 'QUERY_NOT_FOUND');
  return { status: 200, payload: orderJson(order, defaultMchid) };
}

/**
 * `POST …/transactions/{no}/reverse`: 204 when it took effect (see {@link reverseOrder}: its refunds visible after
 * `refundLagMs`); a repeat on an order with nothing left to reverse answers by `repeatReversePolicy` (see
 * {@link REPEAT_ANSWERS}); "no such order" is 404.
 */
export function reverseApi(
  book: OrderBook,
  no: string,
  body: string,
  settings: Pick<PeerSettings, 'repeatReversePolicy' | 'refundLagMs'>,
): ApiResult {
  const json = safeJson(body);
  const subs = parseSubOrders(json?.sub_orders);
  if (!ORDER_NO_RE.test(no) || typeof json?.combine_appid !== 'string' || !subs) {
    return err(400, 'PARAM_ERROR', 'combine_appid and sub_orders are required');
  }
  const extra = Object.keys(json).filter((k) => k !== 'combine_appid' && k !== 'sub_orders');
  if (extra.length > 0) return err(400, 'PARAM_ERROR', `unknown field ${extra[0]}`);
  const order = book.orders.get(no);
  if (!order) return notFound(book, no, 'REVERSE_NOT_FOUND');
  if (json.combine_appid !== order.combineAppid || !sameSubOrders(order.subOrders, subs)) {
    return err(400, 'INVALID_REQUEST', '子单信息与原订单不一致');
  }
  order.reverseRequests += 1;
  const outcome = reverseOrder(order, settings.refundLagMs);
  if (outcome.repeat) return REPEAT_ANSWERS[settings.repeatReversePolicy];
  return { status: 204, effect: { from: outcome.from, to: outcome.to } };
}

/** "No such order"; a late pay waiting for this answer lands right after it. */
function notFound(book: OrderBook, no: string, trigger: LatePayTrigger): ApiResult {
  if (!landLatePay(book, no, trigger)) return { status: 404, payload: NOT_EXIST };
  return { status: 404, payload: NOT_EXIST, effect: { from: 'NONE', to: 'SUCCESS', latePay: true } };
}

function err(status: number, code: string, message: string): ApiResult {
  return { status, payload: { code, message } };
}
