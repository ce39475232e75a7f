/**
 * WeChat Pay calls cannot flood the merchant's rate limit (issue 11, item 2), on the real stack: the worker built
 * from the environment with `WECHATPAY_MAX_RPS`, the WeChat Pay peer's request log as the witness.
 */
import { type PeerLogEntry } from '../../tools/simulator/wechatpay/log';
import type { Client } from '@temporalio/client';
import { startOrder, type OrderInput } from '../../client';

import { wechatpayTaskQueue } from '../../workflows/contract';
import { connectClient } from '../harness/env';
import { orderInput } from '../harness/orders';
import { seedOrder, startStack, type Stack } from '../harness/stack';

/** The WeChat Pay requests (query and reverse) of the given orders, by time received. */
function wechatpayRequests(stack: Stack, orders: OrderInput[]): PeerLogEntry[] {
  const numbers = new Set(orders.map((o) => o.combineOutTradeNo));
  return stack.peer.log.filter(
    (e) => (e.route === 'query' || e.route === 'reverse') && e.orderNo !== undefined && numbers.has(e.orderNo),
  );
}

/** Most requests within any window of `windowMs` (sliding, starting at each request). */
function busiestWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[j]! < sorted[i]! - windowMs + 1) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

describe('WeChat Pay rate limit (WECHATPAY_MAX_RPS) and Retry-After', () => {
  let client: Client;
  beforeAll(async () => {
    client = await connectClient();
  });
  afterAll(async () => {
    await client.connection.close();
  });

  describe('a sale ends: 30 deadlines fall together on a worker with WECHATPAY_MAX_RPS=5', () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({ env: { WECHATPAY_MAX_RPS: '5' } });
    });
    afterAll(() => stack.stop());

    it('never sends WeChat Pay more than 5 requests in a second, and every order still ends REVERSED', async () => {
      expect(stack.config.wechatpayMaxRps).toBe(5);
      expect(stack.product.wechatpayWorker.options.taskQueue).toBe(wechatpayTaskQueue(stack.taskQueue));
      const orders = Array.from({ length: 30 }, () => orderInput({ dueInMs: 2_000, subOrderCount: 1 }));
      await Promise.all(orders.map((o) => seedOrder(stack.peer, o)));
      const handles = await Promise.all(
        orders.map(async (o) => (await startOrder(client, o, { taskQueue: stack.taskQueue })).handle),
      );
      const results = await Promise.all(handles.map((h) => h.result()));
      expect(results.map((r) => r.outcome)).toEqual(orders.map(() => 'REVERSED'));

      const requests = wechatpayRequests(stack, orders);
      // Each order: a query, a reverse, a confirming query.
      expect(requests.length).toBeGreaterThanOrEqual(90);
      const times = requests.map((e) => Date.parse(e.at));
      const perSecond = new Map<number, number>();
      for (const t of times) perSecond.set(Math.floor(t / 1_000), (perSecond.get(Math.floor(t / 1_000)) ?? 0) + 1);
      const busiestSecond = Math.max(...perSecond.values());
      const span = (Math.max(...times) - Math.min(...times)) / 1_000;
      console.log(
        `[rate limit] ${requests.length} WeChat Pay requests over ${span.toFixed(1)} s; busiest calendar second ${busiestSecond}, busiest sliding 1 s ${busiestWindow(times, 1_000)}; per second: ${[...perSecond.values()].join(' ')}`,
      );
      expect(busiestSecond).toBeLessThanOrEqual(5);
      // Released at least 220 ms apart; arrival times at the in-process peer jitter with the event loop, so a sliding
      // second may catch one more. (The server's task-queue limit alone let 9 to 12 through in the first second.)
      expect(busiestWindow(times, 1_000)).toBeLessThanOrEqual(6);
      // Throttled, not merely slow: 90 requests at 5 per second take about 18 s.
      expect(span).toBeGreaterThanOrEqual(90 / 5 - 2);

      // The WeChat Pay calls went to their own queue (the limit throttles them only); compensation did not.
      const events = (await handles[0]!.fetchHistory()).events ?? [];
      const queues = new Map(
        events
          .map((e) => e.activityTaskScheduledEventAttributes)
          .filter((a) => a?.activityType?.name)
          .map((a) => [a!.activityType!.name!, a!.taskQueue?.name]),
      );
      expect(Object.fromEntries(queues)).toEqual({
        queryCombineOrder: wechatpayTaskQueue(stack.taskQueue),
        reverseCombineOrder: wechatpayTaskQueue(stack.taskQueue),
        compensateSubOrder: stack.taskQueue,
      });
      // Lifecycle 1.0 records no patch marker; its one marker is the pay window floor's local activity.
      const markers = events.flatMap((e) =>
        e.markerRecordedEventAttributes ? [e.markerRecordedEventAttributes.markerName] : [],
      );
      expect(markers).toEqual(['core_local_activity']);
    }, 180_000);
  });

  describe('a busy WeChat Pay (429)', () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack();
    });
    afterAll(() => stack.stop());

    /** The order's queries at the peer, and the gap between the first two. */
    async function firstRetryGap(kind: 'RATE_LIMIT' | 'RATE_LIMIT_RETRY_AFTER'): Promise<number> {
      const input = orderInput({ dueInMs: 300, subOrderCount: 1 });
      await seedOrder(stack.peer, input);
      stack.peer.faults.add({ route: 'query', kind, count: 1, orderNo: input.combineOutTradeNo });
      const { handle } = await startOrder(client, input, { taskQueue: stack.taskQueue });
      expect((await handle.result()).outcome).toBe('REVERSED');
      const queries = wechatpayRequests(stack, [input]).filter((e) => e.route === 'query');
      expect(queries[0]).toMatchObject({
        status: 429,
        code: 'RATELIMIT_EXCEEDED',
        fault: kind,
        answerVerifiable: true,
      });
      expect(queries[1]).toMatchObject({ status: 200 });
      return Date.parse(queries[1]!.at) - Date.parse(queries[0]!.at);
    }

    it('waits as long as its Retry-After says (3 s) before the next attempt, not the 1 s backoff', async () => {
      expect(await firstRetryGap('RATE_LIMIT_RETRY_AFTER')).toBeGreaterThanOrEqual(2_950);
    }, 60_000);

    it('without Retry-After, backs off by the retry policy (1 s at the floor)', async () => {
      const gap = await firstRetryGap('RATE_LIMIT');
      expect(gap).toBeGreaterThanOrEqual(950);
      expect(gap).toBeLessThan(2_900);
    }, 60_000);
  });
});
