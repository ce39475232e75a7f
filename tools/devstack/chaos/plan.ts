/**
 * The chaos run's plan (`tools/scripts/chaos.ts`), everything its seed decides before anything runs: which orders it
 * places (a chaos plan each, every plan at least once, deadlines spread over the first minute), each order's checkout
 * script (when it announces, when it confirms, what the operator does), which faults the peers inject (scripted
 * refusals, then random recoverable faults at WeChat Pay and at the order service, and the seeds of the peers' fault
 * draws), and when which worker is killed. `planChaosRun` is pure; `applyChaosPlan` puts it on the peers;
 * `planDigest` names it. Part of tools/devstack/, the libraries that bring up the local stack for the entry points in
 * tools/scripts/, the tests and the benchmarks.
 */
import { createHash } from 'node:crypto';
import { type Route } from '../../simulator/wechatpay/routes';
import { recoverableOn, type FaultKind } from '../../simulator/wechatpay/fault-table';
import { seededRandom } from '../../simulator/fault-book';
import { CHAOS_PLANS, type ChaosPlan, type CheckedOrder, type CheckoutScript } from './invariants';
import type { OrderService, OrderServiceFault } from '../../simulator/order-service';
import { newOrder } from '../../simulator/wechatpay/orders';
import type { OrderInput } from '../../../workflows/contract';
import { sampleOrderInput } from '../order-input';
import { type WechatpayPeer } from '../../simulator/wechatpay/peer';
import { peerFields } from '../checkout-sim';

/** Share of order-service requests (compensations and confirmations) that fail, retryably. */
const DOWNSTREAM_FAULT_RATE = 0.2;
const DOWNSTREAM_FAULTS: OrderServiceFault[] = ['500', '503', '429', '408', 'RESET', 'DELAY'];
/** When the dev server restarts, ms after the chaos begins. */
const SERVER_RESTART_AT = 40_000;
/** Worker kills fall within this window, ms after the chaos begins. */
const KILL_WINDOW = { from: 5_000, length: 70_000 };

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

/**
 * A sub-seed of `seed` for one consumer (a stream of its own: adding a consumer, or drawing more in one, shifts no
 * other): the first 32 bits of SHA-256(`<seed>:<name>`).
 */
export function subSeed(seed: number, name: string): number {
  return createHash('sha256').update(`${seed}:${name}`).digest().readUInt32BE(0);
}

/** The seeded random stream of one consumer of the run's seed. */
export function seededStream(seed: number, name: string): () => number {
  return seededRandom(subSeed(seed, name));
}

/** The sizes a chaos run is planned with. */
export interface ChaosSizes {
  orders: number;
  kills: number;
  /** Share of WeChat Pay query and reverse calls faulted at random. */
  faultRate: number;
}

/** One fault rule the plan adds, at the WeChat Pay peer or at the order service, in the order it is added. */
interface PlannedFault {
  at: 'wechatpay' | 'order-service';
  route?: string;
  kind: string;
  count?: number;
  probability?: number;
  orderNo?: string;
}

/** One worker SIGKILL: when (ms after the chaos begins) and which worker slot. */
interface PlannedKill {
  at: number;
  slot: 0 | 1;
}

/** Everything the seed decided before the run. */
export interface ChaosRunPlan {
  seed: number;
  sizes: ChaosSizes;
  /** The seeds of the peers' fault books (which requests a probability rule hits, in arrival order). */
  faultSeeds: { wechatpay: number; orderService: number };
  orders: CheckedOrder[];
  faults: PlannedFault[];
  kills: PlannedKill[];
  /** When the dev server restarts, ms after the chaos begins. */
  serverRestartAt: number;
}

/**
 * The whole plan of a chaos run from its seed, with no I/O: each consumer draws from a stream of its own
 * (`plan`: plans and deadlines; `checkout`: the checkouts' scripts; `kills`: kill times and workers; the peers' fault
 * books their own seeds). `idPrefix` names the orders (`CH<prefix><index>`); it is not part of the digest.
 */
export function planChaosRun(
  seed: number,
  sizes: ChaosSizes,
  idPrefix = Date.now().toString(36).toUpperCase(),
): ChaosRunPlan {
  const orders = planChaosOrders(seededStream(seed, 'plan'), seededStream(seed, 'checkout'), sizes.orders, idPrefix);
  return {
    seed,
    sizes,
    faultSeeds: { wechatpay: subSeed(seed, 'wechatpay-faults'), orderService: subSeed(seed, 'order-service-faults') },
    orders,
    faults: [...plannedFaults(orders), ...randomFaultRules(sizes.faultRate, DOWNSTREAM_FAULT_RATE)],
    kills: planKills(seededStream(seed, 'kills'), sizes.kills),
    serverRestartAt: SERVER_RESTART_AT,
  };
}

/**
 * `count` orders, a plan each (every plan at least once, then drawn by weight), deadlines spread over the first
 * minute, a checkout script each.
 */
function planChaosOrders(plans: () => number, checkout: () => number, count: number, idPrefix: string): CheckedOrder[] {
  return Array.from({ length: count }, (_, i): CheckedOrder => {
    const no = `CH${idPrefix}${String(i).padStart(5, '0')}`;
    const plan = i < CHAOS_PLANS.length ? CHAOS_PLANS[i]! : drawPlan(plans());
    const input = sampleOrderInput(no, {
      paymentTimeout: 20_000 + Math.floor(plans() * 45_000),
      payWindow: '2s',
      retryPolicy: {
        wechatpay: { initialInterval: '1s', maximumInterval: '3s', scheduleToClose: '30m' },
        downstream: { initialInterval: '200ms', maximumInterval: '3s', scheduleToClose: '30m' },
      },
    });
    if (plan === 'DEBITED_ADOPT' || plan === 'RETRY_AFTER_REVERSE') input.onPaidAtDeadline = 'ADOPT';
    return { input, plan, script: checkoutScript(checkout, plan) };
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
 * One order's checkout script: the announcement within 2 s of the start, `markPaid` within 3 s of the pay call (both
 * drawn for every order, so that a plan's change shifts no other order's draws); the operator's action by plan.
 */
export function checkoutScript(random: () => number, plan: ChaosPlan): CheckoutScript {
  const announceAfterMs = Math.floor(random() * 2_000);
  const markPaidAfterMs = Math.floor(random() * 3_000);
  const operator =
    plan === 'RETRY_AFTER_REVERSE' ? 'land-and-retry' : plan === 'DUPLICATE_START' ? 'resolve-duplicate' : undefined;
  return { announceAfterMs, markPaidAfterMs, ...(operator ? { operator } : {}) };
}

/** `count` worker kills at random moments of the busy minute and a random worker each, in time order. */
function planKills(random: () => number, count: number): PlannedKill[] {
  return Array.from({ length: count }, (): PlannedKill => {
    const at = KILL_WINDOW.from + Math.floor(random() * KILL_WINDOW.length);
    return { at, slot: random() < 0.5 ? 0 : 1 };
  }).sort((a, b) => a.at - b.at);
}

/** Puts the plan on the peers: ALREADY_CLOSED orders closed at WeChat Pay, every fault rule in its order. */
export function applyChaosPlan(peers: { peer: WechatpayPeer; orderService: OrderService }, plan: ChaosRunPlan): void {
  for (const { plan: p, input } of plan.orders) preparePlannedOrder(peers.peer, p, input);
  for (const { at, ...rule } of plan.faults) {
    if (at === 'wechatpay') peers.peer.faults.add(rule);
    else peers.orderService.faults.add(rule);
  }
}

/**
 * The plan's digest: the first 12 hex digits of SHA-256 over what the seed decided (sizes, fault seeds, each order's
 * plan, deadline, pay window, `onPaidAtDeadline` and script, every fault rule in order, the kills, the server
 * restart), orders named by their index, so that the same seed gives the same digest on any day.
 */
export function planDigest(plan: ChaosRunPlan): string {
  return createHash('sha256')
    .update(JSON.stringify(describePlan(plan)))
    .digest('hex')
    .slice(0, 12);
}

/** The plan as the digest reads it: no order numbers (they carry the day), orders by index. */
export function describePlan(plan: ChaosRunPlan): unknown {
  const index = new Map(plan.orders.map((o, i) => [o.input.combineOutTradeNo, i]));
  return {
    seed: plan.seed,
    sizes: plan.sizes,
    faultSeeds: plan.faultSeeds,
    orders: plan.orders.map((o) => ({
      plan: o.plan,
      paymentTimeout: o.input.paymentTimeout,
      payWindow: o.input.payWindow,
      onPaidAtDeadline: o.input.onPaidAtDeadline ?? null,
      subOrders: o.input.subOrders.length,
      script: o.script ?? null,
    })),
    faults: plan.faults.map((f) => (f.orderNo === undefined ? f : { ...f, orderNo: `#${index.get(f.orderNo)}` })),
    kills: plan.kills,
    serverRestartAt: plan.serverRestartAt,
  };
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
function plannedFaults(orders: readonly CheckedOrder[]): PlannedFault[] {
  return orders.flatMap(({ plan, input }): PlannedFault[] => {
    const orderNo = input.combineOutTradeNo;
    if (plan === 'NEEDS_ATTENTION' || plan === 'RETRY_AFTER_REVERSE') {
      return [{ at: 'wechatpay', route: 'reverse', kind: 'PARAM_ERROR', count: 1, orderNo }];
    }
    if (plan === 'REPLAYED') {
      return [
        { at: 'wechatpay', route: 'query', kind: 'REPLAY_LAST', count: 2, orderNo },
        { at: 'wechatpay', route: 'reverse', kind: 'REPLAY_LAST', count: 1, orderNo },
      ];
    }
    return [];
  });
}

/**
 * The random recoverable faults: on WeChat Pay's query and reverse routes (`faultRate` each) and on both order-service
 * routes (`downstreamRate`). Added after the scripted rules so that random ones cannot pre-empt them.
 */
function randomFaultRules(faultRate: number, downstreamRate: number): PlannedFault[] {
  const rules: PlannedFault[] = [];
  if (faultRate > 0) {
    for (const route of ['query', 'reverse'] as const) {
      spread(chaosFaultKinds(route), faultRate, (kind, probability) =>
        rules.push({ at: 'wechatpay', route, kind, probability }),
      );
    }
  }
  if (downstreamRate > 0) {
    spread(DOWNSTREAM_FAULTS, downstreamRate, (kind, probability) =>
      rules.push({ at: 'order-service', kind, probability }),
    );
  }
  return rules;
}

/**
 * The cluster test's faults: each plan's scripted ones, then random recoverable faults on WeChat Pay's query and
 * reverse (`faultRate` each), none at the order service.
 */
export function addClusterFaults(peer: WechatpayPeer, orders: readonly CheckedOrder[], faultRate: number): void {
  for (const { at, ...rule } of [...plannedFaults(orders), ...randomFaultRules(faultRate, 0)]) {
    if (at === 'wechatpay') peer.faults.add(rule);
  }
}

/**
 * The recoverable faults drawn at random on a WeChat Pay route. Not REPLAY_NOT_EXIST: the first copy of an answer the
 * peer made for it is a genuine signed answer no client has seen, which nothing can tell from a fresh one; replays of
 * answers a worker has seen have a plan of their own (REPLAYED).
 */
function chaosFaultKinds(route: Route): FaultKind[] {
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
