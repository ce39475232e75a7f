/**
 * One seed decides a chaos run (tools/devstack/chaos/plan.ts), planning alone, no server: the same seed and sizes give
 * the same plan and digest (whatever the day's order numbers), another seed or size another digest; each consumer
 * draws from a stream of its own.
 */
import {
  checkoutScript,
  describePlan,
  planChaosRun,
  planDigest,
  seededStream,
  subSeed,
} from '../../tools/devstack/chaos/plan';
import { CHAOS_PLANS } from '../../tools/devstack/chaos/invariants';

const SIZES = { orders: 60, kills: 2, faultRate: 0.35 };

describe('the chaos plan', () => {
  it('the same seed gives the same plan and digest, whatever the order numbers', () => {
    const a = planChaosRun(7, SIZES, 'DAYONE');
    const b = planChaosRun(7, SIZES, 'DAYTWO');
    expect(describePlan(a)).toEqual(describePlan(b));
    expect(planDigest(a)).toBe(planDigest(b));
    expect(planDigest(a)).toMatch(/^[0-9a-f]{12}$/);
    expect(a.orders.map((o) => o.script)).toEqual(b.orders.map((o) => o.script));
    expect(a.kills).toEqual(b.kills);
    expect(a.faults.map((f) => f.orderNo?.slice(8))).toEqual(b.faults.map((f) => f.orderNo?.slice(8)));
  });

  it('another seed, or other sizes, give another digest', () => {
    const digest = planDigest(planChaosRun(7, SIZES, 'X'));
    expect(planDigest(planChaosRun(8, SIZES, 'X'))).not.toBe(digest);
    expect(planDigest(planChaosRun(7, { ...SIZES, kills: 3 }, 'X'))).not.toBe(digest);
    expect(planDigest(planChaosRun(7, { ...SIZES, faultRate: 0.2 }, 'X'))).not.toBe(digest);
    const other = planChaosRun(8, SIZES, 'X');
    expect(other.kills).not.toEqual(planChaosRun(7, SIZES, 'X').kills);
  });

  it('decides every order, fault rule, kill and operator action', () => {
    const plan = planChaosRun(11, SIZES, 'X');
    expect(plan.orders).toHaveLength(60);
    expect(new Set(plan.orders.map((o) => o.plan))).toEqual(new Set(CHAOS_PLANS));
    for (const o of plan.orders) {
      expect(o.script!.announceAfterMs).toBeGreaterThanOrEqual(0);
      expect(o.script!.announceAfterMs).toBeLessThan(2_000);
      expect(o.script!.markPaidAfterMs).toBeLessThan(3_000);
    }
    const operated = plan.orders.filter((o) => o.script!.operator !== undefined).map((o) => o.plan);
    expect(new Set(operated)).toEqual(new Set(['RETRY_AFTER_REVERSE', 'DUPLICATE_START']));
    expect(plan.kills).toHaveLength(2);
    expect(plan.kills[0]!.at).toBeLessThanOrEqual(plan.kills[1]!.at);
    // scripted refusals and replays first, then the random rules of both peers
    const firstRandom = plan.faults.findIndex((f) => f.probability !== undefined);
    expect(plan.faults.slice(firstRandom).every((f) => f.probability !== undefined)).toBe(true);
    expect(plan.faults.some((f) => f.at === 'order-service')).toBe(true);
    expect(plan.faultSeeds.wechatpay).not.toBe(plan.faultSeeds.orderService);
  });

  it('gives each consumer its own stream: more kills shift no order, more orders shift no kill', () => {
    const base = planChaosRun(7, SIZES, 'X');
    const moreKills = planChaosRun(7, { ...SIZES, kills: 5 }, 'X');
    expect(moreKills.orders.map((o) => [o.plan, o.input.paymentTimeout, o.script])).toEqual(
      base.orders.map((o) => [o.plan, o.input.paymentTimeout, o.script]),
    );
    const moreOrders = planChaosRun(7, { ...SIZES, orders: 90 }, 'X');
    expect(moreOrders.kills).toEqual(base.kills);
    expect(subSeed(7, 'plan')).not.toBe(subSeed(7, 'kills'));
    const random = seededStream(3, 'checkout');
    const again = seededStream(3, 'checkout');
    expect(checkoutScript(random, 'PAID')).toEqual(checkoutScript(again, 'PAID'));
  });
});
