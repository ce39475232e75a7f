/**
 * The wire form of a peer's orders: the query answer's JSON going out, and checks of what comes in (API bodies and
 * admin input), each throwing a message that names the bad field.
 */
import {
  PAID_STATES,
  TRADE_STATES,
  visibleSubState,
  type SimOrder,
  type SimSubOrder,
  type TradeState,
  type WechatTradeState,
} from './peer-order-state';

/** The allowed combined order number: 1–32 of digits, letters and `_ - | * @`. */
export const ORDER_NO_RE = /^[0-9A-Za-z_\-|*@]{1,32}$/;

/** The state as WeChat Pay names it in a query answer (`PAYING` is `USERPAYING`). */
export function wechatTradeState(state: TradeState): WechatTradeState {
  return state === 'PAYING' ? 'USERPAYING' : state;
}

/** A sub-order in the query answer: as held, with its `trade_state` and, once money moved, its `transaction_id`. */
export interface SubOrderAnswerJson extends SimSubOrder {
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
          ? { transaction_id: `${order.transactionId}${s.out_trade_no.slice(-4)}` }
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
