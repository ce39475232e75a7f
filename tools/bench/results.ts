/** The typed results of one `npm run bench`: what tools/bench/results/latest.json holds. */
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

/** The BullMQ peer's latency at one rate: deadline → first WeChat Pay request, and → its job finished. */
export interface PeerLatency {
  ratePerSec: number;
  orders: number;
  deadlineToFirstCallMs: Percentiles;
  p99DeadlineToCompletionMs: number;
}

/** One column of the side-by-side table (reversed orders): a worker process and its server process. */
export interface SideResults {
  /** Reversed orders/s at saturation, per interleaved round. */
  reversedPerSec: Spread;
  /** CPU per reversed order (ms, mean of the rounds): the worker, its server (Temporal dev server or Redis), both. */
  cpuMsPerOrder: { worker: number; server: number; machine: number };
  /** Largest resident memory after a round (MB): the worker process and the server process. */
  rssMb: { worker: number; server: number };
  /** Deadline → first WeChat Pay request (ms) at {@link SideBySide.latencyRatePerSec}; null for the ceiling (no call). */
  deadlineToFirstCallMs: Percentiles | null;
  p99DeadlineToCompletionMs: number | null;
}

/** How the BullMQ peer ran. */
export interface PeerSettings {
  bullmq: string;
  redis: string;
  /** redis-server's persistence flags. */
  persistence: string;
  /** Jobs at once per worker (the product's `maxConcurrentActivities`). */
  concurrency: number;
  attempts: number;
  /** The backoff between attempts (the product's WeChat Pay retry policy). */
  backoff: string;
  /** BullMQ's defaults, unchanged: lock duration, stalled-check interval (ms), times a job may stall. */
  lockDurationMs: number;
  stalledIntervalMs: number;
  maxStalledCount: number;
}

/** The product, its ceiling and the BullMQ peer, measured in the same run, interleaved. */
export interface SideBySide {
  /** Where latency was measured: half the lowest median saturation rate of the product and the peer. */
  latencyRatePerSec: number;
  product: SideResults;
  ceiling: SideResults;
  bullmq: SideResults;
  bullmqSettings: PeerSettings;
}

/** A worker killed with SIGKILL mid-burst and restarted: what it cost, per order. */
export interface CrashResults {
  orders: number;
  /** The burst's deadlines fall over this many ms. */
  spreadMs: number;
  /**
   * When the worker was killed, after the first deadline (ms); orders ended by then; orders in flight then (past
   * their deadline, not ended); orders whose reverse had reached the simulator by then.
   */
  killedAfterMs: number;
  finishedBeforeKill: number;
  inFlightAtKill: number;
  reversesBeforeKill: number;
  /** From the restart until every order had ended (ms); null when not within the bound. */
  settledMs: number | null;
  /** Orders past their deadline that never reached a confirmed end. */
  lost: number;
  /** Orders with more than one reverse request at the simulator. */
  reverseSentTwice: number;
  /** Sub-orders with more than one compensation request at the order service (any status). */
  compensationSentTwice: number;
  reverseRequests: number;
  compensationRequests: number;
  /** BullMQ only: jobs found stalled (lock expired) and put back to run again. */
  stalled?: number;
}

/** Everything one run measured. */
export interface BenchResults {
  date: string;
  /** `default` (`npm run bench`, sized for ≤ 10 minutes) or `full` (`npm run bench -- --full`). */
  profile: 'default' | 'full';
  /** The sizes the run used (profile, then environment overrides). */
  sizes: Record<string, number | boolean>;
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
  /** The product, the ceiling and BullMQ side by side (reversed orders). */
  sideBySide: SideBySide;
  /** kill -9 of the worker mid-burst, product and BullMQ. */
  crash: { product: CrashResults; bullmq: CrashResults };
  /** Wall time of the whole run (s). */
  durationSec: number;
}
