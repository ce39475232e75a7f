/**
 * Throughput side by side: batches of the product's orders and of its ceilings, interleaved (product, real-activities
 * ceiling, no-op ceiling, any peer, product, …) on the same server and worker settings, each batch with the worker
 * process's CPU time.
 */
import { markPaid, startOrder, workflowIdFor } from '../../../client';
import type { Comparison } from '../results';
import { makeOrder, type Stack, BENCH_PAY_WINDOW } from '../stack';
import { cpuMs, log, pooled, rssMb, spread, treeCpuMs, treeMemoryMb, type Spread } from '../util';

/**
 * A worker process and the queue it polls; `completed` counts the workflows completed there so far; `serverPids` are
 * its server's processes (the engine's), whose CPU each batch counts too.
 */
export interface QueueWorker {
  queue: string;
  pid: number;
  serverPids: number[];
  completed: number;
}

/**
 * The processes a batch measures: a worker and its server's (the engine's: the dev server, or the cluster's services
 * and PostgreSQL; Redis for the peer), each with its children.
 */
export interface Processes {
  pid: number;
  serverPids: number[];
}

/**
 * One batch: its rate, the CPU per order of the worker and of its server, their resident memory after it, and its
 * workflow (or job) ids (for the history sample).
 */
export interface Batch {
  perSec: number;
  cpuMsPerOrder: number;
  serverCpuMsPerOrder: number;
  rssMb: { worker: number; server: number };
  ids: string[];
}

/** The worker processes of the Temporal sides: the product, its no-op ceiling, its real-activities ceiling. */
export interface TemporalWorkers {
  product: QueueWorker;
  ceiling: QueueWorker;
  realCeiling: QueueWorker;
}

/** What the interleaved pairs measured. */
export interface ThroughputResults {
  /** Reversed: the product against the no-op ceiling (`ratio`) and against the real-activities ceiling (`realRatio`). */
  reversed: Comparison;
  reversedVsReal: Comparison;
  paid: Comparison;
  ratio: Spread;
  realRatio: Spread;
  paidRatio: Spread;
  cpuMsPerOrder: {
    paid: number;
    reversed: number;
    paidCeiling: number;
    reversedCeiling: number;
    reversedRealCeiling: number;
  };
  /** The product's worker CPU per reversed order ÷ the real-activities ceiling's, per round. */
  cpuRatioToReal: Spread;
  sampleIds: { paid: string[]; reversed: string[] };
  /** The reversed batches of each side, for the side-by-side table. */
  reversedBatches: Record<string, Batch[]>;
}

const CONCURRENCY = 20;
const pad = (i: number): string => String(i).padStart(5, '0');

/** Runs a batch of `n` orders while measuring its processes' CPU; `run` returns the rate and the ids. */
export async function measured(
  procs: Processes,
  n: number,
  run: () => Promise<{ perSec: number; ids: string[] }>,
): Promise<Batch> {
  const cpu0 = cpuMs(procs.pid);
  const server0 = treeCpuMs(procs.serverPids);
  const { perSec, ids } = await run();
  return {
    perSec,
    cpuMsPerOrder: (cpuMs(procs.pid) - cpu0) / n,
    serverCpuMsPerOrder: (treeCpuMs(procs.serverPids) - server0) / n,
    rssMb: { worker: rssMb(procs.pid), server: treeMemoryMb(procs.serverPids) },
    ids,
  };
}

/** The batch on a Temporal worker; the rate is orders ÷ (last close − `from()`). */
function timed(
  stack: Stack,
  w: QueueWorker,
  n: number,
  run: () => Promise<{ ids: string[]; from: number }>,
): Promise<Batch> {
  return measured(w, n, async () => {
    const { ids, from } = await run();
    w.completed += n;
    const close = await stack.closeTimes(w.queue, w.completed);
    const last = Math.max(...ids.map((id) => close.get(id) ?? NaN));
    return { perSec: n / ((last - from) / 1000), ids };
  });
}

/** `n` orders falling due together, each reconciled, reversed and compensated; the rate counts from the deadline. */
export function reversedBatch(stack: Stack, w: QueueWorker, tag: string, n: number): Promise<Batch> {
  return timed(stack, w, n, async () => {
    const due = Date.now() + 3_000 + n * 30;
    const orders = Array.from({ length: n }, (_, i) => makeOrder(`R${tag}${pad(i)}`, due));
    await pooled(orders, CONCURRENCY, async (o) => {
      await stack.seed(o);
      await startOrder(stack.client, o, { taskQueue: w.queue, minPayWindow: BENCH_PAY_WINDOW });
    });
    if (Date.now() > due) log(`warning: batch ${tag} was still starting at its deadline`);
    return { ids: orders.map((o) => workflowIdFor(o.combineOutTradeNo)), from: due };
  });
}

/** The same shape as no-ops: timer to the same kind of deadline, then the five no-op activities. */
function reversedCeilingBatch(stack: Stack, w: QueueWorker, tag: string, n: number): Promise<Batch> {
  return timed(stack, w, n, async () => {
    const due = Date.now() + 3_000 + n * 30;
    const ids = Array.from({ length: n }, (_, i) => `ceiling-${tag}-${pad(i)}`);
    await pooled(ids, CONCURRENCY, async (workflowId) => {
      await stack.client.workflow.start('ceilingWorkflow', { taskQueue: w.queue, workflowId, args: [due] });
    });
    return { ids, from: due };
  });
}

/** The same shape with the product's real activities (tools/bench/ceilings/workflows.ts `realCeilingWorkflow`). */
function reversedRealCeilingBatch(stack: Stack, w: QueueWorker, tag: string, n: number): Promise<Batch> {
  return timed(stack, w, n, async () => {
    const due = Date.now() + 3_000 + n * 30;
    const orders = Array.from({ length: n }, (_, i) => makeOrder(`C${tag}${pad(i)}`, due));
    await pooled(orders, CONCURRENCY, async (o) => {
      await stack.seed(o);
      const { combineOutTradeNo, combineAppid, subOrders } = o;
      await stack.client.workflow.start('realCeilingWorkflow', {
        taskQueue: w.queue,
        workflowId: `real-ceiling-${combineOutTradeNo}`,
        args: [{ deadlineMs: due, combineOutTradeNo, combineAppid, subOrders }],
      });
    });
    return { ids: orders.map((o) => `real-ceiling-${o.combineOutTradeNo}`), from: due };
  });
}

/** `n` orders started and confirmed paid at once (start + markPaid); the rate counts from the first start. */
function paidBatch(stack: Stack, w: QueueWorker, tag: string, n: number): Promise<Batch> {
  return timed(stack, w, n, async () => {
    const from = Date.now();
    const due = from + 600_000;
    const orders = Array.from({ length: n }, (_, i) => makeOrder(`P${tag}${pad(i)}`, due));
    await pooled(orders, CONCURRENCY, async (o) => {
      await startOrder(stack.client, o, { taskQueue: w.queue, minPayWindow: BENCH_PAY_WINDOW });
      await markPaid(stack.client, o.combineOutTradeNo);
    });
    return { ids: orders.map((o) => workflowIdFor(o.combineOutTradeNo)), from };
  });
}

/** Start + one no-op update, the paid path's ceiling. */
function paidCeilingBatch(stack: Stack, w: QueueWorker, tag: string, n: number): Promise<Batch> {
  return timed(stack, w, n, async () => {
    const from = Date.now();
    const ids = Array.from({ length: n }, (_, i) => `ceiling-paid-${tag}-${pad(i)}`);
    await pooled(ids, CONCURRENCY, async (workflowId) => {
      const handle = await stack.client.workflow.start('ceilingPaidWorkflow', {
        taskQueue: w.queue,
        workflowId,
        args: [from + 600_000],
      });
      await handle.executeUpdate('ceilingPaid');
    });
    return { ids, from };
  });
}

type BatchFn = (stack: Stack, w: QueueWorker, tag: string, n: number) => Promise<Batch>;
/** One side of an interleaved round: its name and how it runs a batch tagged `tag`. */
export type Side = [name: string, run: (tag: string) => Promise<Batch>];

/**
 * `pairs` interleaved rounds of one batch per side (product, ceiling, and any peer, in that order); each side's
 * batches, and the ratio of the first side to the second per round.
 */
async function interleave(what: string, sides: Side[], pairs: number): Promise<Record<string, Batch[]>> {
  const run = Date.now().toString(36).toUpperCase();
  const out: Record<string, Batch[]> = Object.fromEntries(sides.map(([name]) => [name, []]));
  for (let i = 0; i < pairs; i++) {
    for (const [name, batch] of sides) out[name]!.push(await batch(`${run}${what[0]}${i}`));
    const rates = sides.map(([name]) => `${name} ${out[name]![i]!.perSec.toFixed(1)}/s`).join(', ');
    const [first, second] = sides.map(([name]) => out[name]![i]!.perSec);
    log(`${what} round ${i + 1}: ${rates} → ${(first! / second!).toFixed(2)}`);
  }
  return out;
}

/** The product/ceiling comparison of two sides' batches. */
function compare(p: Batch[], c: Batch[]): Comparison {
  return {
    productPerSec: spread(p.map((b) => b.perSec)),
    ceilingPerSec: spread(c.map((b) => b.perSec)),
    ratio: spread(p.map((b, i) => b.perSec / c[i]!.perSec)),
  };
}

const meanCpu = (batches: Batch[]): number =>
  Number((batches.reduce((s, b) => s + b.cpuMsPerOrder, 0) / batches.length).toFixed(2));

/** The Temporal sides of a kind of batch: the product's, then each ceiling's (`fns` in the order of `names`). */
function temporalSides(
  stack: Stack,
  workers: TemporalWorkers,
  n: number,
  sides: [keyof TemporalWorkers, BatchFn][],
): Side[] {
  return sides.map(([name, fn]) => [name, (tag) => fn(stack, workers[name], tag, n)]);
}

/**
 * One small unmeasured batch of each kind on each worker first, so that no measured batch pays for a cold worker;
 * then reversed rounds (product, real-activities ceiling, no-op ceiling, then each peer of `peers`), then paid pairs. (The first paid ceiling batch
 * still reads slow with the warm-up, paid pair 1 at 1.28–1.40 in every run: not a cold worker, and not explained yet;
 * the ratio is the median of the pairs.)
 */
export async function measureThroughput(
  stack: Stack,
  workers: TemporalWorkers,
  pairs: number,
  n: number,
  peers: Side[] = [],
): Promise<ThroughputResults> {
  const warm = `${Date.now().toString(36).toUpperCase()}W`;
  const size = Math.min(20, n);
  await reversedBatch(stack, workers.product, warm, size);
  await reversedRealCeilingBatch(stack, workers.realCeiling, warm, size);
  await reversedCeilingBatch(stack, workers.ceiling, warm, size);
  for (const [, batch] of peers) await batch(`${warm}${size}`);
  await paidBatch(stack, workers.product, warm, size);
  await paidCeilingBatch(stack, workers.ceiling, warm, size);
  log(`warm-up: ${size} orders of each kind on each worker`);
  const reversedSides = [
    ...temporalSides(stack, workers, n, [
      ['product', reversedBatch],
      ['realCeiling', reversedRealCeilingBatch],
      ['ceiling', reversedCeilingBatch],
    ]),
    ...peers,
  ];
  const reversed = await interleave('reversed', reversedSides, pairs);
  const paidSides = temporalSides(stack, workers, n, [
    ['product', paidBatch],
    ['ceiling', paidCeilingBatch],
  ]);
  const paid = await interleave('paid', paidSides, pairs);
  const comparison = {
    reversed: compare(reversed.product!, reversed.ceiling!),
    reversedVsReal: compare(reversed.product!, reversed.realCeiling!),
    paid: compare(paid.product!, paid.ceiling!),
  };
  return {
    ...comparison,
    ratio: comparison.reversed.ratio,
    realRatio: comparison.reversedVsReal.ratio,
    paidRatio: comparison.paid.ratio,
    cpuMsPerOrder: {
      reversed: meanCpu(reversed.product!),
      reversedCeiling: meanCpu(reversed.ceiling!),
      reversedRealCeiling: meanCpu(reversed.realCeiling!),
      paid: meanCpu(paid.product!),
      paidCeiling: meanCpu(paid.ceiling!),
    },
    cpuRatioToReal: spread(reversed.product!.map((b, i) => b.cpuMsPerOrder / reversed.realCeiling![i]!.cpuMsPerOrder)),
    sampleIds: { reversed: reversed.product![0]!.ids, paid: paid.product![0]!.ids },
    reversedBatches: reversed,
  };
}
