/**
 * What an order shows in visibility before its first step — its search attributes and memo — built once here for the
 * client (which sets them at start) and the workflow (which sets only what a start left out). Pure, deterministic.
 */
import type { SearchAttributePair, TypedSearchAttributes } from '@temporalio/common';
import { formatDuration, iso } from './duration';
import {
  CombineOutTradeNoKey,
  OrderPhase,
  PaymentDeadlineKey,
  PaymentPhaseKey,
  SubMchIdsKey,
  SubOutTradeNosKey,
  type OrderSpec,
} from './contract';

/** The memo of an order: what the Web UI lists beside it without a query. */
export interface OrderMemo {
  order: {
    combineOutTradeNo: string;
    combineAppid: string;
    subOrders: number;
    paymentTimeout: string;
    orderCreatedAt: string;
    deadline: string;
  };
  /**
   * Each sub-order's secondary merchant by its `out_trade_no`: with `SubOutTradeNos`, how a trade bill (one per
   * secondary merchant) tells which of the order's sub-orders it must list.
   */
  subOrders: Record<string, string>;
}

/** The order's identifying search attributes (every one but its phase). */
function orderSearchAttributes(spec: OrderSpec, deadline: number): SearchAttributePair[] {
  return [
    { key: CombineOutTradeNoKey, value: spec.combineOutTradeNo },
    { key: PaymentDeadlineKey, value: new Date(deadline) },
    { key: SubMchIdsKey, value: [...new Set(spec.subOrders.map((s) => s.subMchid))] },
    { key: SubOutTradeNosKey, value: spec.subOrders.map((s) => s.outTradeNo) },
  ];
}

/** Every search attribute an order starts with: the identifying ones and the phase `AWAITING_PAYMENT`. */
export function initialSearchAttributes(spec: OrderSpec, deadline: number): SearchAttributePair[] {
  return [...orderSearchAttributes(spec, deadline), { key: PaymentPhaseKey, value: OrderPhase.AWAITING_PAYMENT }];
}

/** The order's memo. */
export function orderMemo(spec: OrderSpec, deadline: number): OrderMemo {
  return {
    order: {
      combineOutTradeNo: spec.combineOutTradeNo,
      combineAppid: spec.combineAppid,
      subOrders: spec.subOrders.length,
      paymentTimeout: formatDuration(spec.paymentTimeoutMs),
      orderCreatedAt: iso(spec.orderCreatedAt),
      deadline: iso(deadline),
    },
    subOrders: Object.fromEntries(spec.subOrders.map((s) => [s.outTradeNo, s.subMchid])),
  };
}

/** The pairs whose value the start did not set (absent or different), in their given order. */
export function notSetAtStart(wanted: SearchAttributePair[], atStart: TypedSearchAttributes): SearchAttributePair[] {
  return wanted.filter((pair) => !sameValue(atStart.get(pair.key), pair.value));
}

/** Whether the memo a start carried is the order's memo (every key, each value the same JSON). */
export function memoSetAtStart(memo: OrderMemo, atStart: Record<string, unknown> | undefined): boolean {
  return (Object.keys(memo) as (keyof OrderMemo)[]).every((key) => sameRecord(memo[key], atStart?.[key]));
}

/** Whether `given` is a plain object with exactly `wanted`'s keys, each value equal (primitives). */
function sameRecord(wanted: Record<string, unknown>, given: unknown): boolean {
  if (typeof given !== 'object' || given === null) return false;
  const seen: Record<string, unknown> = { ...given };
  return (
    Object.keys(seen).length === Object.keys(wanted).length && Object.keys(wanted).every((k) => seen[k] === wanted[k])
  );
}

function sameValue(given: unknown, wanted: unknown): boolean {
  if (wanted instanceof Date) return given instanceof Date && given.getTime() === wanted.getTime();
  if (Array.isArray(wanted)) {
    return Array.isArray(given) && given.length === wanted.length && wanted.every((v, i) => given[i] === v);
  }
  return given === wanted;
}
