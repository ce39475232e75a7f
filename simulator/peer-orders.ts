/**
 * Order state of the WeChat Pay peer: trade states (order-level, with optional per-sub-order overrides), the query
 * answer, what a reverse and a landed debit do to an order, late pays, and validation of admin input.
 */
import { randomBytes } from 'node:crypto';

/**
 * Trade states WeChat Pay answers per sub-order in a query (the generic combined-order set; see
 * shared/reference/wechatpay-combine-papay.md).
 */
export const WECHAT_TRADE_STATES = [
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
export type WechatTradeState = (typeof WECHAT_TRADE_STATES)[number];

/**
 * States a simulated order (or sub-order) can be in: WeChat Pay's own, plus the simulator's historical `PAYING`
 * (a pay call whose outcome is unknown), which the query answers as `USERPAYING`.
 */
export const TRADE_STATES = ['PAYING', ...WECHAT_TRADE_STATES] as const;
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
}

/** A debit scheduled to land when the peer next answers "no such order" for its order. */
export interface LatePay {
  combineOutTradeNo: string;
  combineAppid: string;
  subOrders: SimSubOrder[];
  after: LatePayTrigger;
  scheduledAt: string;
}

/** Scripted outcome of a pay call. */
export type PayOutcome = 'SUCCESS' | 'FAIL' | 'HANG';

/** The peer's orders, scripted pay outcomes and pending late pays, each by combine_out_trade_no. */
export interface OrderBook {
  orders: Map<string, SimOrder>;
  payScript: Map<string, PayOutcome>;
  latePays: Map<string, LatePay>;
}

/** How a request changed an order (`latePay`: a scheduled debit landed right after the answer). */
export interface OrderEffect {
  from: TradeState | 'NONE';
  to: TradeState;
  latePay?: true;
}

/** What the API answers to a processed request (before signing), and what it changed. */
export interface ApiResult {
  status: number;
  /** The JSON answer; undefined for 204. */
  payload?: unknown;
  effect?: OrderEffect;
  /** A scripted hanging pay: the answer is held back. */
  hang?: true;
}

/** What a reverse did to an order. */
export type ReverseOutcome = { repeat: true } | { repeat: false; from: TradeState; to: TradeState };

/** The allowed combined order number: 1–32 of digits, letters and `_ - | * @`. */
export const ORDER_NO_RE = /^[0-9A-Za-z_\-|*@]{1,32}$/;

/** A new transaction id base (WeChat Pay's start with 42000). */
export function newTransactionId(): string {
  return `42000${Date.now()}${randomBytes(3).toString('hex')}`;
}

/** The state one sub-order is in: its override, else the order's state. */
export function subStateOf(order: SimOrder, outTradeNo: string): TradeState {
  return order.subStates?.[outTradeNo] ?? order.state;
}

/** The state as WeChat Pay names it in a query answer (`PAYING` is `USERPAYING`). */
export function wechatTradeState(state: TradeState): WechatTradeState {
  return state === 'PAYING' ? 'USERPAYING' : state;
}

/** The query answer's JSON: every sub-order with its own `trade_state`, and `transaction_id` when money moved. */
export function orderJson(order: SimOrder): Record<string, unknown> {
  return {
    combine_appid: order.combineAppid,
    combine_out_trade_no: order.combineOutTradeNo,
    sub_orders: order.subOrders.map((s) => {
      const state = subStateOf(order, s.out_trade_no);
      return {
        ...s,
        trade_state: wechatTradeState(state),
        ...(PAID_STATES.has(state) && order.transactionId
          ? { transaction_id: `${order.transactionId}${s.out_trade_no.slice(-4)}` }
          : {}),
      };
    }),
  };
}

/** A new order record (not yet stored). */
export function newOrder(
  fields: Pick<SimOrder, 'combineOutTradeNo' | 'combineAppid' | 'subOrders'>,
  state: TradeState,
  subStates?: Record<string, TradeState>,
): SimOrder {
  const order: SimOrder = {
    combineOutTradeNo: fields.combineOutTradeNo,
    combineAppid: fields.combineAppid,
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
 * transaction id if money moved for any sub-order.
 */
export function setStates(order: SimOrder, state: TradeState, subStates?: Record<string, TradeState>): void {
  order.state = state;
  const overrides = subStates && Object.keys(subStates).length > 0 ? { ...subStates } : undefined;
  if (overrides) order.subStates = overrides;
  else delete order.subStates;
  if (order.subOrders.some((s) => PAID_STATES.has(subStateOf(order, s.out_trade_no)))) {
    order.transactionId ??= newTransactionId();
    order.paidAt ??= new Date().toISOString();
  }
}

/** A debit lands: every sub-order is paid (SUCCESS), with a fresh transaction id. */
export function landDebit(order: SimOrder): void {
  delete order.subStates;
  order.state = 'SUCCESS';
  order.transactionId = newTransactionId();
  order.paidAt = new Date().toISOString();
}

/**
 * Reverses an order, sub-order by sub-order: paid (SUCCESS) → REFUND; not paid (PAYING, NOTPAY, USERPAYING, ACCEPT,
 * PAYERROR) → CLOSED; CLOSED, REVOKED and REFUND stay. When nothing changes, it is a repeat. The order-level state
 * becomes REFUND if any sub-order was refunded, else CLOSED; overrides that all agree collapse into it.
 */
export function reverseOrder(order: SimOrder): ReverseOutcome {
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
  return { repeat: false, from, to: order.state };
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
export function checkSubOrders(value: unknown, field = 'sub_orders'): SimSubOrder[] {
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
export function parseSubOrders(value: unknown): SimSubOrder[] | undefined {
  try {
    return checkSubOrders(value);
  } catch {
    return undefined;
  }
}

/** The same sub-orders (by mchid, out_trade_no and sub_mchid), in any order. */
export function sameSubOrders(a: SimSubOrder[], b: SimSubOrder[]): boolean {
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

/** An order as the admin API describes it: `{ combine_out_trade_no, combine_appid, sub_orders }`. */
export function checkOrderFields(
  body: Record<string, unknown>,
  pathNo?: string,
): Pick<SimOrder, 'combineOutTradeNo' | 'combineAppid' | 'subOrders'> {
  const no = checkOrderNo(body.combine_out_trade_no ?? pathNo);
  if (pathNo !== undefined && no !== pathNo) {
    throw new Error(`combine_out_trade_no ${no} does not match the order number in the path (${pathNo})`);
  }
  if (typeof body.combine_appid !== 'string' || body.combine_appid === '') {
    throw new Error('combine_appid is required (a non-empty string)');
  }
  return { combineOutTradeNo: no, combineAppid: body.combine_appid, subOrders: checkSubOrders(body.sub_orders) };
}

const NOT_EXIST = { code: 'ORDER_NOT_EXIST', message: '订单不存在' } as const;

/** `POST …/transactions`: the debit (or a scripted failure or hang); an order number is debited once. */
export function payApi(book: OrderBook, body: string): ApiResult {
  const json = safeJson(body);
  const no = json?.combine_out_trade_no;
  const appid = json?.combine_appid;
  const subs = parseSubOrders(json?.sub_orders);
  if (typeof no !== 'string' || !ORDER_NO_RE.test(no) || typeof appid !== 'string' || !subs) {
    return err(400, 'PARAM_ERROR', 'combine_out_trade_no, combine_appid and sub_orders are required');
  }
  if (book.orders.has(no)) return err(400, 'INVALID_REQUEST', '订单号重复');
  const order = newOrder({ combineOutTradeNo: no, combineAppid: appid, subOrders: subs }, 'PAYING');
  book.orders.set(no, order);
  const outcome = book.payScript.get(no) ?? 'SUCCESS';
  if (outcome === 'FAIL') {
    order.state = 'PAYERROR';
    return { ...err(403, 'NOT_ENOUGH', '用户余额不足'), effect: { from: 'NONE', to: 'PAYERROR' } };
  }
  landDebit(order);
  return {
    status: 200,
    payload: orderJson(order),
    effect: { from: 'NONE', to: 'SUCCESS' },
    ...(outcome === 'HANG' ? { hang: true as const } : {}),
  };
}

/** `GET …/transactions/{no}`: the order with every sub-order's state, or "no such order". */
export function queryApi(book: OrderBook, no: string): ApiResult {
  const order = book.orders.get(no);
  if (!order) return notFound(book, no, 'QUERY_NOT_FOUND');
  return { status: 200, payload: orderJson(order) };
}

/**
 * `POST …/transactions/{no}/reverse`: 204 when it took effect (see {@link reverseOrder}); a repeat on an order with
 * nothing left to reverse answers by `repeatPolicy` (204, or 400 ORDER_CLOSED); "no such order" is 404.
 */
export function reverseApi(
  book: OrderBook,
  no: string,
  body: string,
  repeatPolicy: 'NO_CONTENT' | 'ORDER_CLOSED',
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
  const outcome = reverseOrder(order);
  if (outcome.repeat) return repeatPolicy === 'NO_CONTENT' ? { status: 204 } : err(400, 'ORDER_CLOSED', '订单已关闭');
  return { status: 204, effect: { from: outcome.from, to: outcome.to } };
}

/** "No such order"; a late pay waiting for this answer lands right after it. */
function notFound(book: OrderBook, no: string, trigger: LatePayTrigger): ApiResult {
  const late = book.latePays.get(no);
  if (late?.after !== trigger) return { status: 404, payload: NOT_EXIST };
  book.latePays.delete(no);
  book.orders.set(no, newOrder(late, 'SUCCESS'));
  return { status: 404, payload: NOT_EXIST, effect: { from: 'NONE', to: 'SUCCESS', latePay: true } };
}

function err(status: number, code: string, message: string): ApiResult {
  return { status, payload: { code, message } };
}
