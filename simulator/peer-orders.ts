/**
 * The WeChat Pay peer's order API on its order book: pay, query and reverse, each checking its body and answering
 * (before signing) what WeChat Pay would. The order state lives in `peer-order-state.ts`, what requests do to an order
 * (landing debits, late pays, reversing) in `peer-order-transitions.ts`, the wire form and input checks in
 * `peer-order-wire.ts`; all are re-exported here for this module's existing importers.
 */
import { newOrder, type LatePayTrigger, type OrderBook, type OrderEffect } from './peer-order-state';
import { landDebit, landLatePay, reverseOrder } from './peer-order-transitions';
import { ORDER_NO_RE, orderJson, parseSubOrders, safeJson, sameSubOrders } from './peer-order-wire';
import type { PeerSettings, RepeatReversePolicy } from './peer-settings';

/** Trade states, the order records and setting their states (see `peer-order-state.ts`). */
export * from './peer-order-state';
/** Landing debits and late pays, reversing (see `peer-order-transitions.ts`). */
export * from './peer-order-transitions';
/** The query answer's JSON and the input checks (see `peer-order-wire.ts`). */
export * from './peer-order-wire';

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
export const REPEAT_ANSWERS: Readonly<Record<RepeatReversePolicy, ApiResult>> = {
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
