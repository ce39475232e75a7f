/**
 * A burst of deadlines: `n` orders whose deadlines fall in the same second, on a worker with the product's WeChat
 * Pay rate limit. Measures the time until every order's first WeChat Pay request reached the simulator and the peak
 * request rate the simulator saw (every route, per whole second). The rest of the burst is then terminated.
 */
import { execFileSync } from 'node:child_process';
import { startOrder } from '../../../client';
import type { BurstResults } from '../results';
import { makeOrder, type Stack, BENCH_PAY_WINDOW } from '../stack';
import { log, percentile, pooled, sleepMs } from '../util';
import { firstRequests } from './latency';

/** Starts the burst, waits for every first call (at most `timeoutMs` after the deadline), then cleans up. */
export async function measureBurst(
  stack: Stack,
  queue: string,
  n: number,
  maxRps: number,
  cli: string,
  timeoutMs = 240_000,
): Promise<BurstResults> {
  if (n === 0)
    return {
      orders: 0,
      maxRps,
      allFirstCallsMs: NaN,
      p50DeadlineToFirstCallMs: NaN,
      peakRequestsPerSec: 0,
      underLimit: true,
    };
  const run = Date.now().toString(36).toUpperCase();
  // Starts run at ~150-250/s here: leave room for all of them before the common deadline.
  const due = Math.ceil((Date.now() + 8_000 + n * 8) / 1000) * 1000;
  const orders = Array.from({ length: n }, (_, i) => makeOrder(`U${run}${String(i).padStart(6, '0')}`, due));
  await pooled(orders, 48, async (o) => {
    await stack.seed(o);
    await startOrder(stack.client, o, { taskQueue: queue, minPayWindow: BENCH_PAY_WINDOW });
  });
  log(`burst: ${n} orders started, all due at ${new Date(due).toISOString()} (${due - Date.now()} ms from now)`);
  const mine = new Set(orders.map((o) => o.combineOutTradeNo));
  let first = new Map<string, number>();
  const until = due + timeoutMs;
  for (;;) {
    await sleepMs(2_000);
    const requests = (await stack.requests()).filter((r) => r.orderNo && mine.has(r.orderNo));
    first = firstRequests(requests);
    if (first.size >= n || Date.now() > until) {
      const perSecond = new Map<number, number>();
      for (const r of requests) {
        const s = Math.floor(Date.parse(r.at) / 1000);
        perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
      }
      const peak = Math.max(0, ...perSecond.values());
      const times = [...first.values()].map((t) => t - due);
      terminate(cli, stack.engine.address, queue);
      log(
        `burst: ${first.size}/${n} first calls, the last ${Math.max(...times)} ms after the deadline; peak ${peak}/s`,
      );
      return {
        orders: n,
        maxRps,
        allFirstCallsMs: first.size >= n ? Math.max(...times) : NaN,
        p50DeadlineToFirstCallMs: Math.round(percentile(times, 50)),
        peakRequestsPerSec: peak,
        underLimit: peak <= maxRps,
      };
    }
  }
}

/** Batch-terminates what is still running on `queue` (the reverses and compensations the burst left queued). */
export function terminate(cli: string, address: string, queue: string): void {
  execFileSync(
    cli,
    [
      'workflow',
      'terminate',
      '--address',
      address,
      '--query',
      `TaskQueue = '${queue}' AND ExecutionStatus = 'Running'`,
      '--reason',
      'benchmark cleanup',
      '--yes',
    ],
    { stdio: 'ignore' },
  );
}
