/** The side-by-side table's columns (product, ceiling, BullMQ) from the interleaved rounds and the latency phases. */
import { PEER_ATTEMPTS } from './peers/bullmq/steps';
import type { Percentiles, PeerSettings, SideResults } from './results';
import type { Batch } from './phases/throughput';
import { round, spread } from './util';

const mean = (values: number[]): number => values.reduce((s, v) => s + v, 0) / Math.max(1, values.length);

/** One column: rates, CPU per order (worker, server, both) and the largest RSS, with its latency if it calls. */
export function sideResults(
  batches: Batch[],
  latency: { deadlineToFirstCallMs: Percentiles; p99DeadlineToCompletionMs: number } | null,
): SideResults {
  const worker = mean(batches.map((b) => b.cpuMsPerOrder));
  const server = mean(batches.map((b) => b.serverCpuMsPerOrder));
  return {
    reversedPerSec: spread(batches.map((b) => b.perSec)),
    cpuMsPerOrder: { worker: round(worker), server: round(server), machine: round(worker + server) },
    rssMb: {
      worker: Math.round(Math.max(...batches.map((b) => b.rssMb.worker))),
      server: Math.round(Math.max(...batches.map((b) => b.rssMb.server))),
    },
    deadlineToFirstCallMs: latency?.deadlineToFirstCallMs ?? null,
    p99DeadlineToCompletionMs: latency?.p99DeadlineToCompletionMs ?? null,
  };
}

/** How the peer ran (BullMQ's lock and stalled-job settings are its defaults, which the worker does not change). */
export function peerSettings(
  versions: { bullmq: string; redis: string },
  persistence: string,
  concurrency: number,
): PeerSettings {
  return {
    ...versions,
    persistence,
    concurrency,
    attempts: PEER_ATTEMPTS,
    backoff: '1 s doubling, at most 60 s apart; a Retry-After wins (the product WeChat Pay retry policy)',
    lockDurationMs: 30_000,
    stalledIntervalMs: 30_000,
    maxStalledCount: 1,
  };
}
