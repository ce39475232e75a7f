/**
 * The chaos run's plan (`tools/scripts/chaos.ts`): which orders it places (a chaos plan each, every plan at least once,
 * deadlines spread over the first minute) and which faults the peers inject (scripted refusals, then random recoverable
 * faults at WeChat Pay and at the order service). Part of tools/devstack/, the libraries that bring up the local stack
 * for the entry points in tools/scripts/, the tests and the benchmarks.
 */
import { type Route } from '../../simulator/wechatpay/routes';
import { recoverableOn, type FaultKind } from '../../simulator/wechatpay/fault-table';
import { CHAOS_PLANS, type ChaosPlan, type CheckedOrder } from './invariants';
import type { OrderService, OrderServiceFault } from '../../simulator/order-service';
import { newOrder } from '../../simulator/wechatpay/orders';
import type { OrderInput } from '../../../workflows/contract';
import { sampleOrderInput } from '../order-input';
import { type WechatpayPeer } from '../../simulator/wechatpay/peer';
import { peerFields } from '../checkout-sim';

/** Share of order-service requests (compensations and confirmations) that fail, retryably. */
const DOWNSTREAM_FAULT_RATE = 0.2;
const DOWNSTREAM_FAULTS: OrderServiceFault[] = ['500', '503', '429', '408', 'RESET', 'DELAY'];

/** How often each plan is drawn (after the first orders, which take every plan once). */
const PLAN_WEIGHTS: Readonly<Record<ChaosPlan, number>> = {
  PAID: 0.1,
  UNPAID: 0.09,
  DEBITED: 0.14,
  DEBITED_ADOPT: 0.1,
  ALREADY_CLOSED: 0.07,
  NO_ORDER: 0.11,
  PAY_LANDS_LATE: 0.12,
  NEEDS_ATTENTION: 0.03,
  LATE_PAY_UNANNOUNCED: 0.08,
  REPLAYED: 0.05,
  RETRY_AFTER_REVERSE: 0.03,
  EARLY_ANNOUNCED: 0.05,
  DUPLICATE_START: 0.03,
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
      retryPolicy: {
        wechatpay: { initialInterval: '1s', maximumInterval: '3s', scheduleToClose: '30m' },
        downstream: { initialInterval: '200ms', maximumInterval: '3s', scheduleToClose: '30m' },
      },
    });
    preparePlannedOrder(run.peer, plan, input);
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

/** What a plan needs besides the sample order: `ADOPT`, or the order already closed at WeChat Pay. */
export function preparePlannedOrder(peer: WechatpayPeer, plan: ChaosPlan, input: OrderInput): void {
  if (plan === 'DEBITED_ADOPT' || plan === 'RETRY_AFTER_REVERSE') input.onPaidAtDeadline = 'ADOPT';
  if (plan === 'ALREADY_CLOSED') peer.setOrder(input.combineOutTradeNo, newOrder(peerFields(input), 'CLOSED'));
}

/**
 * The faults a plan scripts for its order (shared by the chaos run and the cluster test): a PARAM_ERROR on the first
 * reverse (NEEDS_ATTENTION, RETRY_AFTER_REVERSE), the order's own earlier answers replayed to it (REPLAYED).
 */
export function addPlannedFaults(peer: WechatpayPeer, orders: readonly CheckedOrder[]): void {
  for (const { plan, input } of orders) {
    const orderNo = input.combineOutTradeNo;
    if (plan === 'NEEDS_ATTENTION' || plan === 'RETRY_AFTER_REVERSE') {
      peer.faults.add({ route: 'reverse', kind: 'PARAM_ERROR', count: 1, orderNo });
    }
    if (plan === 'REPLAYED') {
      peer.faults.add({ route: 'query', kind: 'REPLAY_LAST', count: 2, orderNo });
      peer.faults.add({ route: 'reverse', kind: 'REPLAY_LAST', count: 1, orderNo });
    }
  }
}

/**
 * The scripted faults of each plan, then random recoverable faults on WeChat Pay's query and reverse routes
 * (`faultRate` each) and on both order-service routes. Scripted rules come first so that random ones cannot pre-empt
 * them.
 */
export function addChaosFaults(run: ChaosPeers, orders: readonly CheckedOrder[], faultRate: number): void {
  const { peer, orderService } = run;
  addPlannedFaults(peer, orders);
  for (const route of ['query', 'reverse'] as const) {
    spread(chaosFaultKinds(route), faultRate, (kind, probability) => peer.faults.add({ route, kind, probability }));
  }
  spread(DOWNSTREAM_FAULTS, DOWNSTREAM_FAULT_RATE, (kind, probability) =>
    orderService.faults.add({ kind, probability }),
  );
}

/**
 * The recoverable faults drawn at random on a WeChat Pay route. Not REPLAY_NOT_EXIST: the first copy of an answer the
 * peer made for it is a genuine signed answer no client has seen, which nothing can tell from a fresh one; replays of
 * answers a worker has seen have a plan of their own (REPLAYED).
 */
export function chaosFaultKinds(route: Route): FaultKind[] {
  return recoverableOn(route).filter((kind) => kind !== 'REPLAY_NOT_EXIST');
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
