/**
 * What a worker crash cost, counted per order from what the peers saw: the WeChat Pay simulator's request log (every
 * reverse request, whatever its answer), the order service's request log (every compensation request, whatever its
 * status) and which orders reached a confirmed end (for the product, the workflow completed REVERSED; for BullMQ,
 * the job completed with every compensation delivered). Pure: unit-tested in test/unit/bench-crash.test.ts.
 */

/** One order of the burst: its number and its sub-orders' numbers. */
export interface CrashOrder {
  combineOutTradeNo: string;
  subOrders: string[];
}

/** What the peers logged and which orders ended confirmed. */
export interface CrashLogs {
  orders: CrashOrder[];
  /** The simulator's requests (`route` `query`, `reverse`, …; `orderNo` the combined order). */
  wechatpay: { route: string; orderNo?: string }[];
  /** The order service's requests (`route` `compensate`, …; `idempotencyKey` `compensation:<order>:<sub-order>`). */
  downstream: { route: string; idempotencyKey?: string }[];
  /** The orders that reached a confirmed end. */
  confirmed: ReadonlySet<string>;
}

/** The counts, each over the burst's orders only. */
export interface CrashTally {
  /** Orders (all past their deadline) that never reached a confirmed end. */
  lost: number;
  /** Orders with more than one reverse request. */
  reverseSentTwice: number;
  /** Sub-orders (compensation keys) with more than one compensation request, whatever the answers. */
  compensationSentTwice: number;
  /** Reverse requests, and compensation requests, in all. */
  reverseRequests: number;
  compensationRequests: number;
}

/** How many times each key occurs. */
function tally(keys: (string | undefined)[], mine: ReadonlySet<string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const k of keys) if (k !== undefined && mine.has(k)) out.set(k, (out.get(k) ?? 0) + 1);
  return out;
}

const sum = (m: Map<string, number>): number => [...m.values()].reduce((s, v) => s + v, 0);
const twice = (m: Map<string, number>): number => [...m.values()].filter((v) => v > 1).length;

/** Counts lost reversals and requests sent twice (see {@link CrashTally}). */
export function countCrash(logs: CrashLogs): CrashTally {
  const orders = new Set(logs.orders.map((o) => o.combineOutTradeNo));
  const keys = new Set(logs.orders.flatMap((o) => o.subOrders.map((s) => `${o.combineOutTradeNo}:${s}`)));
  const reverses = tally(
    logs.wechatpay.filter((r) => r.route === 'reverse').map((r) => r.orderNo),
    orders,
  );
  const compensations = tally(
    logs.downstream.filter((r) => r.route === 'compensate').map((r) => r.idempotencyKey),
    keys,
  );
  return {
    lost: logs.orders.filter((o) => !logs.confirmed.has(o.combineOutTradeNo)).length,
    reverseSentTwice: twice(reverses),
    compensationSentTwice: twice(compensations),
    reverseRequests: sum(reverses),
    compensationRequests: sum(compensations),
  };
}
