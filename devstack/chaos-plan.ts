/**
 * The chaos run's plan (`scripts/chaos.ts`): which orders it places (a chaos plan each, every plan at least once,
 * deadlines spread over the first minute) and which faults the peers inject (scripted refusals, then random
 * recoverable faults at WeChat Pay and at the order service). Part of devstack/, the libraries that bring up the local
 * stack for the entry points in scripts/, the tests and the benchmarks.
 */
import { CHAOS_PLANS, type ChaosPlan, type CheckedOrder } from '../simulator/invariants';
import type { OrderService, OrderServiceFault } from '../simulator/order-service';
import { newOrder } from '../simulator/peer-orders';
import { sampleOrderInput } from './order-input';
import { RECOVERABLE_FAULTS, type WechatpayPeer } from '../simulator/wechatpay-peer';
import { peerFields } from './checkout-sim';

/** Share of order-service requests (compensations and confirmations) that fail, retryably. */
const DOWNSTREAM_FAULT_RATE = 0.2;
const DOWNSTREAM_FAULTS: OrderServiceFault[] = ['500', '503', '429', '408', 'RESET', 'DELAY'];

/** How often each plan is drawn (after the first orders, which take every plan once). */
const PLAN_WEIGHTS: Readonly<Record<ChaosPlan, number>> = {
  PAID: 0.15,
  UNPAID: 0.17,
  DEBITED: 0.17,
  DEBITED_ADOPT: 0.12,
  ALREADY_CLOSED: 0.08,
  NO_ORDER: 0.13,
  PAY_LANDS_LATE: 0.15,
  NEEDS_ATTENTION: 0.03,
};

/** What planning and faulting the orders touch: the peers and the run's (seeded) random source. */
export interface ChaosPeers {
  peer: WechatpayPeer;
  orderService: OrderService;
  random: () => number;
}

/**
 * `count` orders, a plan each (every plan at least once, then drawn by weight), deadlines spread over the first minute;
 * ALREADY_CLOSED orders are put at the peer as closed.
 */
export function planChaosOrders(run: ChaosPeers, count: number): CheckedOrder[] {
  const id = Date.now().toString(36).toUpperCase();
  return Array.from({ length: count }, (_, i): CheckedOrder => {
    const no = `CH${id}${String(i).padStart(5, '0')}`;
    const plan = i < CHAOS_PLANS.length ? CHAOS_PLANS[i]! : drawPlan(run.random());
    const input = sampleOrderInput(no, {
      paymentTimeout: 20_000 + Math.floor(run.random() * 45_000),
      payWindow: '2s',
      ...(plan === 'DEBITED_ADOPT' ? { onPaidAtDeadline: 'ADOPT' as const } : {}),
      retryPolicy: {
        reverse: { initialInterval: '1s', maximumInterval: '3s', scheduleToClose: '30m' },
        compensation: { initialInterval: '200ms', maximumInterval: '3s', scheduleToClose: '30m' },
      },
    });
    if (plan === 'ALREADY_CLOSED') run.peer.orders.set(no, newOrder(peerFields(input), 'CLOSED'));
    return { input, plan };
  });
}

function drawPlan(r: number): ChaosPlan {
  let left = r;
  for (const plan of CHAOS_PLANS) {
    left -= PLAN_WEIGHTS[plan];
    if (left < 0) return plan;
  }
  return 'UNPAID';
}

/**
 * The scripted refusals (PARAM_ERROR on the first reverse of NEEDS_ATTENTION orders), then random recoverable faults
 * on WeChat Pay's query and reverse routes (`faultRate` each) and on both order-service routes. Scripted rules come
 * first so that random ones cannot pre-empt them.
 */
export function addChaosFaults(run: ChaosPeers, orders: readonly CheckedOrder[], faultRate: number): void {
  const { peer, orderService } = run;
  for (const o of orders) {
    if (o.plan !== 'NEEDS_ATTENTION') continue;
    peer.faults.add({ route: 'reverse', kind: 'PARAM_ERROR', count: 1, orderNo: o.input.combineOutTradeNo });
  }
  for (const route of ['query', 'reverse'] as const) {
    spread(RECOVERABLE_FAULTS, faultRate, (kind, probability) => peer.faults.add({ route, kind, probability }));
  }
  spread(DOWNSTREAM_FAULTS, DOWNSTREAM_FAULT_RATE, (kind, probability) =>
    orderService.faults.add({ kind, probability }),
  );
}

/** Adds one rule per kind; each fires given that earlier ones did not, scaled so that the total is `total`. */
function spread<K extends string>(kinds: readonly K[], total: number, add: (kind: K, p: number) => void): void {
  const each = total / kinds.length;
  let remaining = 1;
  for (const kind of kinds) {
    add(kind, Math.min(1, each / remaining));
    remaining -= each;
  }
}
