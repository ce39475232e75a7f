/**
 * An order's terms: what a second start, an Update-With-Start or a restart must agree with before it may attach to
 * (or follow) the order's run. Pure and deterministic: shared by the workflow (which answers its terms from
 * `beginPayment`) and the client (which compares them with its own).
 */
import type { OrderSpec, OrderTerms, SubOrderInput } from './contract';
import { iso } from './duration';

/** The terms of a validated order. */
export function orderTerms(spec: OrderSpec): OrderTerms {
  return {
    combineAppid: spec.combineAppid,
    subOrders: spec.subOrders.map(({ mchid, outTradeNo, subMchid, subAppid }) => ({
      mchid,
      outTradeNo,
      subMchid,
      ...(subAppid !== undefined ? { subAppid } : {}),
    })),
    paymentTimeoutMs: spec.paymentTimeoutMs,
    orderCreatedAt: iso(spec.orderCreatedAt),
    payWindowMs: spec.payWindowMs,
    onPaidAtDeadline: spec.onPaidAtDeadline,
  };
}

/**
 * The input fields in which two orders' terms differ (empty: the same order), by their input names. `orderCreatedAt`
 * is compared only with `compareCreatedAt` (a caller that gave none takes the running order's).
 */
export function termsDifferences(running: OrderTerms, mine: OrderTerms, compareCreatedAt: boolean): string[] {
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  const fields: [string, unknown, unknown][] = [
    ['combineAppid', running.combineAppid, mine.combineAppid],
    ['subOrders', byOutTradeNo(running.subOrders), byOutTradeNo(mine.subOrders)],
    ['paymentTimeout', running.paymentTimeoutMs, mine.paymentTimeoutMs],
    ...(compareCreatedAt
      ? [
          ['orderCreatedAt', Date.parse(running.orderCreatedAt), Date.parse(mine.orderCreatedAt)] as [
            string,
            unknown,
            unknown,
          ],
        ]
      : []),
    ['payWindow', running.payWindowMs, mine.payWindowMs],
    ['onPaidAtDeadline', running.onPaidAtDeadline, mine.onPaidAtDeadline],
  ];
  return fields.filter(([, a, b]) => !same(a, b)).map(([name]) => name);
}

/** Sub-orders in one order (by `outTradeNo`), each with its fields in one order, for comparison. */
function byOutTradeNo(subOrders: readonly SubOrderInput[]): SubOrderInput[] {
  return [...subOrders]
    .sort((a, b) => (a.outTradeNo < b.outTradeNo ? -1 : a.outTradeNo > b.outTradeNo ? 1 : 0))
    .map(({ mchid, outTradeNo, subMchid, subAppid }) => ({ mchid, outTradeNo, subMchid, subAppid }));
}
