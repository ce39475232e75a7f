/**
 * The BullMQ peer as the bench drives it: Redis (redis.ts), the peer's worker processes (worker.ts, one per queue,
 * spawned like the product's), one delayed job per order due at its deadline, and what became of the jobs.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Queue } from 'bullmq';
import type { OrderInput } from '../../../../client';
import { waitFor } from '../../../devstack/dev-server';
import { ROOT, type Stack } from '../../stack';
import { pooled } from '../../util';
import { startRedis, type RedisServer } from './redis';
import { newJobData, PEER_ATTEMPTS, PEER_BACKOFF_TYPE, type PeerJobData, type PeerJobResult } from './steps';

/** What became of one job. */
export interface JobEnd {
  state: string;
  finishedOn?: number;
  /** Completed with a confirmed reverse (or nothing to reverse) and every compensation delivered. */
  confirmed: boolean;
  /** Times BullMQ found the job stalled (its worker stopped renewing the lock) and put it back. */
  stalled: number;
  attemptsMade: number;
}

/** The running peer. */
export interface BullmqPeer {
  redis: RedisServer;
  versions: { bullmq: string; redis: string };
  /** Spawns a worker process on `queue` (`extra`: more environment) and waits until BullMQ counts it. */
  startWorker(queue: string, extra?: Record<string, string>): Promise<ChildProcess>;
  /** Seeds each order at the simulator (debited) and adds its job, delayed to `dueOf(order)`. */
  add(queue: string, orders: OrderInput[], dueOf: (o: OrderInput) => number): Promise<void>;
  /** Waits (at most `timeoutMs`) until every job added to `queue` so far has finished; then the end of each of `ids`. */
  ends(queue: string, ids: string[], timeoutMs?: number): Promise<Map<string, JobEnd>>;
  /** The number of jobs of `queue` completed or failed so far. */
  finishedCount(queue: string): Promise<number>;
  stop(): Promise<void>;
}

/** BullMQ's installed version. */
function bullmqVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'bullmq', 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** Starts Redis in `stack.work`; queues are made on first use. */
export async function startBullmqPeer(stack: Stack): Promise<BullmqPeer> {
  const redis = await startRedis(stack.work);
  const connection = { host: redis.host, port: redis.port };
  const queues = new Map<string, Queue<PeerJobData, PeerJobResult>>();
  const added = new Map<string, number>();
  const queueOf = (name: string): Queue<PeerJobData, PeerJobResult> => {
    let q = queues.get(name);
    if (!q) queues.set(name, (q = new Queue<PeerJobData, PeerJobResult>(name, { connection })));
    return q;
  };
  const finishedCount = async (name: string): Promise<number> => {
    const counts = await queueOf(name).getJobCounts('completed', 'failed');
    return (counts.completed ?? 0) + (counts.failed ?? 0);
  };
  return {
    redis,
    versions: { bullmq: bullmqVersion(), redis: redis.version },
    async startWorker(name, extra = {}) {
      const child = stack.spawn('tools/bench/peers/bullmq/worker.ts', name, {
        ...extra,
        BULLMQ_QUEUE: name,
        REDIS_HOST: redis.host,
        REDIS_PORT: String(redis.port),
      });
      await waitFor(`a BullMQ worker on ${name}`, async () => (await queueOf(name).getWorkersCount()) > 0, {
        timeoutMs: 60_000,
      });
      return child;
    },
    add: (name, orders, dueOf) => addJobs(stack, queueOf(name), added, orders, dueOf),
    async ends(name, ids, timeoutMs = 600_000) {
      const expected = added.get(name) ?? 0;
      await waitFor(`${expected} finished jobs on ${name}`, async () => (await finishedCount(name)) >= expected, {
        timeoutMs,
        intervalMs: 250,
      }).catch(() => undefined);
      return endsOf(queueOf(name), ids);
    },
    finishedCount,
    async stop() {
      await Promise.all([...queues.values()].map((q) => q.close().catch(() => undefined)));
      await redis.stop();
    },
  };
}

async function addJobs(
  stack: Stack,
  queue: Queue<PeerJobData, PeerJobResult>,
  added: Map<string, number>,
  orders: OrderInput[],
  dueOf: (o: OrderInput) => number,
): Promise<void> {
  await pooled(orders, 20, (o) => stack.seed(o));
  const now = Date.now();
  await queue.addBulk(
    orders.map((o) => ({
      name: 'reverse-at-deadline',
      data: newJobData({
        combineOutTradeNo: o.combineOutTradeNo,
        combineAppid: o.combineAppid,
        subOrders: o.subOrders,
      }),
      opts: {
        jobId: o.combineOutTradeNo,
        delay: Math.max(0, dueOf(o) - now),
        attempts: PEER_ATTEMPTS,
        backoff: { type: PEER_BACKOFF_TYPE },
      },
    })),
  );
  added.set(queue.name, (added.get(queue.name) ?? 0) + orders.length);
}

/** The end of each job (an absent job reads as `missing`). */
async function endsOf(queue: Queue<PeerJobData, PeerJobResult>, ids: string[]): Promise<Map<string, JobEnd>> {
  const out = new Map<string, JobEnd>();
  await pooled(ids, 16, async (id) => {
    const job = await queue.getJob(id);
    if (!job) {
      out.set(id, { state: 'missing', confirmed: false, stalled: 0, attemptsMade: 0 });
      return;
    }
    const state = await job.getState();
    const result = job.returnvalue as PeerJobResult | null | undefined;
    out.set(id, {
      state,
      ...(job.finishedOn !== undefined ? { finishedOn: job.finishedOn } : {}),
      confirmed: state === 'completed' && result?.compensated === job.data.order.subOrders.length,
      stalled: job.stalledCounter ?? 0,
      attemptsMade: job.attemptsMade,
    });
  });
  return out;
}
