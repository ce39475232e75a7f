/**
 * The BullMQ peer's phases, shaped like the product's: reversed batches (`n` orders falling due together, one
 * delayed job each) interleaved with the product's and the ceiling's, and the latency at a given rate (deadline →
 * first WeChat Pay request at the simulator, deadline → job finished).
 */
import type { OrderInput } from '../../../client';
import type { BullmqPeer } from '../peers/bullmq/peer';
import type { PeerLatency } from '../results';
import { makeOrder, type Stack } from '../stack';
import { log, p50p99, percentile } from '../util';
import { firstRequests } from './latency';
import { measured, type Batch, type Processes, type Side } from './throughput';

/** A peer worker process on its queue, with Redis as its server. */
export interface PeerWorker extends Processes {
  queue: string;
}

const pad = (i: number): string => String(i).padStart(5, '0');

/** `n` orders due together as delayed jobs; the rate counts from the deadline to the last job finished. */
function reversedBullmqBatch(stack: Stack, peer: BullmqPeer, w: PeerWorker, tag: string, n: number): Promise<Batch> {
  return measured(w, n, async () => {
    const due = Date.now() + 3_000 + n * 30;
    const orders = Array.from({ length: n }, (_, i) => makeOrder(`Q${tag}${pad(i)}`, due));
    await peer.add(w.queue, orders, () => due);
    if (Date.now() > due) log(`warning: BullMQ batch ${tag} was still being added at its deadline`);
    const ids = orders.map((o) => o.combineOutTradeNo);
    const ends = await peer.ends(w.queue, ids);
    const last = Math.max(...ids.map((id) => ends.get(id)?.finishedOn ?? NaN));
    const lost = ids.filter((id) => !ends.get(id)?.confirmed).length;
    if (lost > 0) log(`warning: ${lost} BullMQ jobs of batch ${tag} did not complete confirmed`);
    return { perSec: n / ((last - due) / 1000), ids };
  });
}

/** The peer as one side of the interleaved reversed rounds. */
export function bullmqSide(stack: Stack, peer: BullmqPeer, w: PeerWorker, n: number): Side {
  return ['bullmq', (tag) => reversedBullmqBatch(stack, peer, w, tag, n)];
}

/** Orders due at `rate`/s over ~`seconds` as delayed jobs; deadline → first request and → job finished. */
export async function measureBullmqLatency(
  stack: Stack,
  peer: BullmqPeer,
  w: PeerWorker,
  rate: number,
  seconds: number,
): Promise<PeerLatency> {
  const m = Math.max(20, Math.min(400, Math.round(rate * seconds)));
  const run = Date.now().toString(36).toUpperCase();
  const t0 = Date.now() + 4_000 + m * 25;
  const due = new Map<string, number>();
  const orders: OrderInput[] = Array.from({ length: m }, (_, i) => {
    const at = Math.round(t0 + (i * 1000) / rate);
    const input = makeOrder(`QL${run}${pad(i)}`, at);
    due.set(input.combineOutTradeNo, at);
    return input;
  });
  await peer.add(w.queue, orders, (o) => due.get(o.combineOutTradeNo)!);
  log(`BullMQ latency: ${m} jobs due at ${rate.toFixed(1)}/s from ${new Date(t0).toISOString()}`);
  const ends = await peer.ends(w.queue, [...due.keys()]);
  const first = firstRequests(await stack.requests());
  const toFirst = [...due].map(([no, at]) => (first.get(no) ?? NaN) - at);
  const toDone = [...due].map(([no, at]) => (ends.get(no)?.finishedOn ?? NaN) - at);
  return {
    ratePerSec: Number(rate.toFixed(2)),
    orders: m,
    deadlineToFirstCallMs: p50p99(toFirst),
    p99DeadlineToCompletionMs: Math.round(percentile(toDone, 99)),
  };
}
