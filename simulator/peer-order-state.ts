/**
 * Order state of the WeChat Pay peer: the trade states (order-level, with optional per-sub-order overrides), the
 * order, late pay and order book records, and setting an order's states. What requests do to an order is in
 * `peer-order-transitions.ts`, its wire form in `peer-order-wire.ts`.
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

/** The state one sub-order is in: its override, else the order's state. */
export function subStateOf(order: SimOrder, outTradeNo: string): TradeState {
  return order.subStates?.[outTradeNo] ?? order.state;
}

/** The state the query shows for one sub-order at `now`: its state, but `SUCCESS` for a refund not yet visible. */
export function visibleSubState(order: SimOrder, outTradeNo: string, now = Date.now()): TradeState {
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
