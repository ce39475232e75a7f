/** The typed results of one `npm run bench`: what bench/results/latest.json holds. */
import type { Spread } from './util';

/** p50 / p99 of one latency segment (ms). */
export interface Percentiles {
  p50: number;
  p99: number;
}

/** One kind of order, paid in time or reversed at its deadline. */
export interface PerPath<T> {
  paid: T;
  reversed: T;
}

/** Throughput of one side-by-side comparison: the product's rate, its ceiling's, and their ratio per pair. */
export interface Comparison {
  productPerSec: Spread;
  ceilingPerSec: Spread;
  ratio: Spread;
}

export interface LatencyResults {
  ratePerSec: number;
  orders: number;
  p50TimerToFirstCallMs: number;
  p99TimerToFirstCallMs: number;
  p50DeadlineToFirstCallMs: number;
  p99DeadlineToFirstCallMs: number;
  p99DeadlineToCompletionMs: number;
  /** Deadline → timer fired → first call scheduled → its task started → request at the simulator. */
  breakdownMs: {
    timerLate: Percentiles;
    toFirstCallScheduled: Percentiles;
    toFirstCallStarted: Percentiles;
    toRequest: Percentiles;
  };
  /** Activity scheduled → started, by activity type (eager dispatch shows as ~0 on the workflow's own queue). */
  dispatchMsByActivity: Record<string, Percentiles>;
}

export interface BurstResults {
  orders: number;
  maxRps: number;
  /** Deadline → the last order's first WeChat Pay request at the simulator. */
  allFirstCallsMs: number;
  p50DeadlineToFirstCallMs: number;
  peakRequestsPerSec: number;
  underLimit: boolean;
}

export interface SigningResults {
  cpuPerReverseCallMs: number;
  rawRsa2048SignMs: number;
  nodeRsa2048SignMs: number;
  bareAxiosPostMs: number;
  signOverheadRatio: number;
}

export interface BacklogResults {
  orders: number;
  startsPerSec: number;
  /** Orders ÷ seconds from the first start until the worker had run every first workflow task (one worker). */
  firstTasksPerSec: number;
  workerRssMbIdle: number;
  workerRssMbAt50k: number;
  devServerDbMb: number;
  maxCachedWorkflows: number;
}

/** Everything one run measured. */
export interface BenchResults {
  date: string;
  machine: { cpus: number; cpuModel?: string; memoryGb: number; node: string; temporalCli: string };
  load: { before: string; after: string };
  settings: {
    pairs: number;
    ordersPerBatch: number;
    eagerActivityDispatch: boolean;
    throughputWechatpayMaxRps: number;
    maxConcurrentActivities: number;
    /** Node flags every worker process of the run started with. */
    workerNodeFlags: readonly string[];
  };
  /** Reversed lifecycles/s ÷ ceiling/s, per interleaved pair. */
  ratio: Spread;
  reversed: Comparison;
  /** Paid orders/s (start + markPaid) ÷ start + one no-op update, per interleaved pair. */
  paidRatio: Spread;
  paid: Comparison;
  workerCpuMsPerOrder: PerPath<number> & { paidCeiling: number; reversedCeiling: number };
  historyEventsPerOrder: PerPath<number>;
  actionsPerOrder: PerPath<number>;
  actionsBreakdown: PerPath<Record<string, number>>;
  latency: LatencyResults;
  p99TimerToFirstCallMs: number;
  p99DeadlineToFirstCallMs: number;
  burst: BurstResults;
  signing: SigningResults;
  backlog: BacklogResults;
  workerRssMbAt50k: number;
  durationSec: number;
}
