/**
 * Latency at half the measured maximum rate: deadlines spread evenly, and for each order the time from its deadline
 * timer firing (history) to its first WeChat Pay request arriving at the simulator, with where the time goes.
 */
import { startOrder, workflowIdFor } from '../../../client';
import type { LatencyResults, Percentiles } from '../results';
import { makeOrder, type PeerRequest, type Stack, BENCH_PAY_WINDOW } from '../stack';
import { eventMs, log, p50p99, percentile, pooled } from '../util';
import type { QueueWorker } from './throughput';

/** First request per order number at the simulator (any WeChat Pay route). */
export function firstRequests(requests: PeerRequest[]): Map<string, number> {
  const first = new Map<string, number>();
  for (const r of requests) {
    if (r.orderNo && !first.has(r.orderNo)) first.set(r.orderNo, Date.parse(r.at));
  }
  return first;
}

interface Timed {
  no: string;
  due: number;
}

/** Orders due at `rate`/s over ~`seconds`, then their histories. */
export async function measureLatency(
  stack: Stack,
  w: QueueWorker,
  rate: number,
  seconds: number,
): Promise<LatencyResults> {
  const m = Math.max(20, Math.min(400, Math.round(rate * seconds)));
  const run = Date.now().toString(36).toUpperCase();
  const t0 = Date.now() + 4_000 + m * 25;
  const orders: Timed[] = [];
  const inputs = Array.from({ length: m }, (_, i) => {
    const due = Math.round(t0 + (i * 1000) / rate);
    const input = makeOrder(`L${run}${String(i).padStart(5, '0')}`, due);
    orders.push({ no: input.combineOutTradeNo, due });
    return input;
  });
  await pooled(inputs, 20, async (o) => {
    await stack.seed(o);
    await startOrder(stack.client, o, { taskQueue: w.queue, minPayWindow: BENCH_PAY_WINDOW });
  });
  log(`latency: ${m} orders due at ${rate.toFixed(1)}/s from ${new Date(t0).toISOString()}`);
  w.completed += m;
  const close = await stack.closeTimes(w.queue, w.completed);
  const first = firstRequests(await stack.requests());
  return analyse(stack, orders, first, close, rate);
}

async function analyse(
  stack: Stack,
  orders: Timed[],
  first: Map<string, number>,
  close: Map<string, number>,
  rate: number,
): Promise<LatencyResults> {
  const seg = {
    timerLate: [] as number[],
    toScheduled: [] as number[],
    toStarted: [] as number[],
    toRequest: [] as number[],
  };
  const fromTimer: number[] = [];
  const dispatch: Record<string, number[]> = {};
  await pooled(orders, 8, async (o) => {
    const events = (await stack.client.workflow.getHandle(workflowIdFor(o.no)).fetchHistory()).events ?? [];
    const fired = eventMs(events.find((e) => e.timerFiredEventAttributes));
    const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes);
    const startedEv = events.find((e) => e.activityTaskStartedEventAttributes);
    const arrived = first.get(o.no) ?? NaN;
    seg.timerLate.push(fired - o.due);
    seg.toScheduled.push(eventMs(scheduled) - fired);
    seg.toStarted.push(eventMs(startedEv) - eventMs(scheduled));
    seg.toRequest.push(arrived - eventMs(startedEv));
    fromTimer.push(arrived - fired);
    for (const e of events) {
      const s = e.activityTaskStartedEventAttributes;
      if (!s) continue;
      const sched = events.find((x) => String(x.eventId) === String(s.scheduledEventId));
      const type = sched?.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
      (dispatch[type] ??= []).push(eventMs(e) - eventMs(sched));
    }
  });
  const fromDeadline = orders.map((o) => (first.get(o.no) ?? NaN) - o.due);
  const toDone = orders.map((o) => (close.get(workflowIdFor(o.no)) ?? NaN) - o.due);
  return {
    ratePerSec: Number(rate.toFixed(2)),
    orders: orders.length,
    p50TimerToFirstCallMs: Math.round(percentile(fromTimer, 50)),
    p99TimerToFirstCallMs: Math.round(percentile(fromTimer, 99)),
    p50DeadlineToFirstCallMs: Math.round(percentile(fromDeadline, 50)),
    p99DeadlineToFirstCallMs: Math.round(percentile(fromDeadline, 99)),
    p99DeadlineToCompletionMs: Math.round(percentile(toDone, 99)),
    breakdownMs: {
      timerLate: p50p99(seg.timerLate),
      toFirstCallScheduled: p50p99(seg.toScheduled),
      toFirstCallStarted: p50p99(seg.toStarted),
      toRequest: p50p99(seg.toRequest),
    },
    dispatchMsByActivity: Object.fromEntries(
      Object.entries(dispatch).map(([k, v]): [string, Percentiles] => [k, p50p99(v)]),
    ),
  };
}
