/**
 * The orders of `npm run test:cluster`, placed as a checkout would (start, `beginPayment`, the pay call at the
 * simulated WeChat Pay, `markPaid`), followed to their end with an operator's `retry` for some of those that stop in
 * NEEDS_ATTENTION, then checked through SQL visibility (`PaymentPhase`, `CombineOutTradeNo`). Same plans, inputs and
 * peers as the chaos run (`tools/scripts/chaos.ts`), so that `checkInvariants` applies unchanged.
 */
import type { Client } from '@temporalio/client';
import { listOrders, type OrderInput } from '../../../client';
import { CHAOS_PLANS, type CheckedOrder } from '../chaos/invariants';
import type { OrderService } from '../../simulator/order-service';
import type { WechatpayPeer } from '../../simulator/wechatpay/peer';
import { checkoutScript, preparePlannedOrder } from '../chaos/plan';
import { placeOrders, settleOrder, sleep } from '../checkout-sim';
import { sampleOrderInput } from '../order-input';

/** What the orders run against, and the run's seeded random source (the checkouts' scripts). */
export interface OrderRun {
  client: Client;
  peer: WechatpayPeer;
  orderService: OrderService;
  taskQueue: string;
  random: () => number;
}

/** One order of the run; NEEDS_ATTENTION orders scripted `retry` get a `retry` signal once they stop there. */
export type ClusterOrder = CheckedOrder;

/**
 * The chaos plans the cluster runs: all but DUPLICATE_START, whose second run would make the visibility check (one
 * run per order, phases counted per order) count it twice; the chaos run covers it.
 */
export const CLUSTER_PLANS = CHAOS_PLANS.filter((plan) => plan !== 'DUPLICATE_START');

/**
 * `count` orders, the plans in turn (so every plan about `count / CHAOS_PLANS.length` times), deadlines spread evenly over the first
 * `spreadMs` (orderCreatedAt 15 s before the start, payment timeouts from 20 s), a 2 s pay window; every other
 * NEEDS_ATTENTION order is retried by the operator. Plus a sentinel (NO_ORDER, 30 min to pay) that the recovery
 * probes query and that is cancelled at the end.
 */
export function planClusterOrders(run: OrderRun, count: number, spreadMs: number): ClusterOrder[] {
  const id = Date.now().toString(36).toUpperCase();
  let attention = 0;
  const orders = Array.from({ length: count }, (_, i): ClusterOrder => {
    const plan = CLUSTER_PLANS[i % CLUSTER_PLANS.length]!;
    const input = orderInput(`CL${id}${String(i).padStart(4, '0')}`, 20_000 + Math.floor((i * spreadMs) / count));
    preparePlannedOrder(run.peer, plan, input);
    const script = checkoutScript(run.random, plan);
    if (plan === 'NEEDS_ATTENTION' && attention++ % 2 === 0) script.operator = 'retry';
    return { input, plan, script };
  });
  orders.push({
    input: orderInput(`CL${id}SENTINEL`, 30 * 60_000),
    plan: 'NO_ORDER',
    script: checkoutScript(run.random, 'NO_ORDER'),
  });
  return orders;
}

function orderInput(no: string, paymentTimeout: number): OrderInput {
  const retry = { initialInterval: '1s', maximumInterval: '3s', scheduleToClose: '30m' };
  return sampleOrderInput(no, {
    paymentTimeout,
    payWindow: '2s',
    retryPolicy: { wechatpay: retry, downstream: retry },
  });
}

/** Starts every order, 10 at a time; each pays right after its start. Resolves with the promise of the payments. */
export function placeClusterOrders(run: OrderRun, orders: ClusterOrder[]): Promise<{ payments: Promise<void> }> {
  return placeOrders(run, orders, 10, 'test:cluster');
}

/**
 * Polls until every order has ended (or waits in NEEDS_ATTENTION), sending the operator's retry to those marked for
 * it when they get there; gives up after `maxMs`.
 */
export async function followClusterOrders(
  run: OrderRun,
  orders: ClusterOrder[],
  maxMs: number,
  log: (line: string) => void,
): Promise<void> {
  const deadline = Date.now() + maxMs;
  let pending = orders;
  while (pending.length > 0 && Date.now() < deadline) {
    await sleep(2_000);
    const next: ClusterOrder[] = [];
    await Promise.all(
      pending.map(async (o) => {
        if (!(await settleOrder(run, o))) next.push(o);
      }),
    );
    if (next.length !== pending.length) log(`${orders.length - next.length}/${orders.length} orders settled`);
    pending = next;
  }
}

/**
 * The orders as the invariant checker takes them: an order the operator retried out of NEEDS_ATTENTION must then
 * end like an unpaid order (REVERSED, compensated once, after a clean query), so it is checked as `UNPAID`.
 */
export function asCheckedOrders(orders: readonly ClusterOrder[]): CheckedOrder[] {
  return orders.map((o) => (o.retriedAt !== undefined && o.plan === 'NEEDS_ATTENTION' ? { ...o, plan: 'UNPAID' } : o));
}

/**
 * Visibility on PostgreSQL: `PaymentPhase` counts per phase and the project's `listOrders` for NEEDS_ATTENTION match
 * the orders' ends, and `CombineOutTradeNo` finds each order exactly once. Waits up to `maxMs` for visibility to
 * catch up; answers the mismatches.
 */
export async function checkVisibility(
  client: Client,
  orders: readonly ClusterOrder[],
  maxMs = 30_000,
): Promise<string[]> {
  const until = Date.now() + maxMs;
  for (;;) {
    const problems = await visibilityProblems(client, orders).catch((err: Error) => [`visibility: ${err.message}`]);
    if (problems.length === 0 || Date.now() > until) return problems;
    await sleep(1_000);
  }
}

async function visibilityProblems(client: Client, orders: readonly ClusterOrder[]): Promise<string[]> {
  const problems: string[] = [];
  const byPhase = new Map<string, number>();
  for (const o of orders) if (o.phase) byPhase.set(o.phase, (byPhase.get(o.phase) ?? 0) + 1);
  for (const [phase, expected] of byPhase) {
    const { count } = await client.workflow.count(`PaymentPhase = '${phase}'`);
    if (count !== expected) problems.push(`visibility: PaymentPhase = '${phase}' finds ${count}, expected ${expected}`);
  }
  const attention = new Set(
    (await listOrders(client, { phase: 'NEEDS_ATTENTION', limit: 1_000 })).map((e) => e.combineOutTradeNo),
  );
  for (const o of orders) {
    if ((o.phase === 'NEEDS_ATTENTION') !== attention.has(o.input.combineOutTradeNo)) {
      problems.push(
        `visibility: listOrders(NEEDS_ATTENTION) disagrees about ${o.input.combineOutTradeNo} (${o.phase})`,
      );
    }
  }
  for (let i = 0; i < orders.length; i += 10) {
    const counts = await Promise.all(
      orders
        .slice(i, i + 10)
        .map((o) =>
          client.workflow
            .count(`CombineOutTradeNo = '${o.input.combineOutTradeNo}'`)
            .then((c) => [o, c.count] as const),
        ),
    );
    for (const [o, n] of counts) {
      if (n !== 1) problems.push(`visibility: CombineOutTradeNo = '${o.input.combineOutTradeNo}' finds ${n}`);
    }
  }
  return problems;
}
