/**
 * The typed results of one `npm run bench`: what tools/bench/results/latest.json holds ({@link BenchResults}), the
 * cluster run's cluster.json ({@link EngineResults}) and the flash sale's flash-sale-<engine>.json
 * ({@link FlashSaleResults}).
 */
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

/** One column of the side-by-side table (reversed orders): a worker process and its server's processes. */
export interface SideResults {
  /** Reversed orders/s at saturation, per interleaved round. */
  reversedPerSec: Spread;
  /** CPU per reversed order (ms, mean of the rounds): the worker, its server (Temporal dev server or Redis), both. */
  cpuMsPerOrder: { worker: number; server: number; machine: number };
  /**
   * Largest memory after a round (MB): the worker process's RSS, and the server's processes' (with their children)
   * proportional set sizes summed.
   */
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

/** The product, its two ceilings and the BullMQ peer, measured in the same run, interleaved. */
export interface SideBySide {
  /**
   * Where latency was measured: half the lowest median saturation rate of the product and the peer; null when the run
   * measured no latency (the cluster run).
   */
  latencyRatePerSec: number | null;
  product: SideResults;
  /** The same shape with the product's real activities and none of its bookkeeping. */
  realCeiling: SideResults;
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

/** What every run records about itself. */
export interface RunInfo {
  date: string;
  /**
   * `default` (`npm run bench`, sized for ≤ 10 minutes), `full` (`--full`), `engine` (`--engine cluster`: the
   * side-by-side rounds only) or `flash-sale` (`--flash-sale`).
   */
  profile: 'default' | 'full' | 'engine' | 'flash-sale';
  /** The engine, as tools/bench/engine.ts describes it. */
  engine: string;
  /** The sizes the run used (profile, then environment overrides). */
  sizes: Record<string, number | boolean>;
  machine: { cpus: number; cpuModel?: string; memoryGb: number; node: string; temporalCli: string };
  load: { before: string; after: string };
  /** Wall time of the whole run (s). */
  durationSec: number;
}

/** The side-by-side rounds on one engine: the product, both ceilings and BullMQ, interleaved. */
export interface EngineResults extends RunInfo {
  settings: {
    pairs: number;
    ordersPerBatch: number;
    eagerActivityDispatch: boolean;
    throughputWechatpayMaxRps: number;
    maxConcurrentActivities: number;
    /** Node flags every worker process of the run started with. */
    workerNodeFlags: readonly string[];
  };
  /** Reversed lifecycles/s ÷ no-op ceiling/s, per interleaved round. */
  ratio: Spread;
  reversed: Comparison;
  /** Reversed lifecycles/s ÷ real-activities ceiling/s, per interleaved round (target ≥ 0.9). */
  realRatio: Spread;
  reversedVsReal: Comparison;
  /** Paid orders/s (start + markPaid) ÷ start + one no-op update, per interleaved pair. */
  paidRatio: Spread;
  paid: Comparison;
  workerCpuMsPerOrder: PerPath<number> & { paidCeiling: number; reversedCeiling: number; reversedRealCeiling: number };
  /** Worker CPU per reversed order ÷ the real-activities ceiling's, per round (target ≤ 1.2). */
  cpuRatioToReal: Spread;
  historyEventsPerOrder: PerPath<number>;
  actionsPerOrder: PerPath<number>;
  actionsBreakdown: PerPath<Record<string, number>>;
  /** The product, both ceilings and BullMQ side by side (reversed orders). */
  sideBySide: SideBySide;
}

/** A flash sale: `orders` orders falling due at one deadline, reversed at the WeChat Pay rate limit. */
export interface FlashSaleResults extends RunInfo {
  orders: number;
  /** `WECHATPAY_MAX_RPS` of the worker. */
  maxRps: number;
  /** The bound the rate limit sets: 3 WeChat Pay calls per order ÷ `maxRps` (s). */
  boundSec: number;
  /** Deadline → the last order completed (s); null when not every order completed within the wait. */
  lastCompletedSec: number | null;
  /** lastCompletedSec ÷ boundSec (target ≤ 1.1). */
  ratioToBound: number | null;
  /** Deadline → half of the orders completed (s). */
  p50CompletedSec: number;
  /** The worker's CPU per order over the sale (ms). */
  workerCpuMsPerOrder: number;
  /** Orders completed (REVERSED, compensated) when the run stopped waiting. */
  completed: number;
  /** Peak WeChat Pay requests in one second at the simulator. */
  peakRequestsPerSec: number;
  /** The sale's WeChat Pay requests at the simulator by route and HTTP status (retries show here). */
  requestsByRouteAndStatus: Record<string, number>;
  /** Per sub-merchant: its sub-orders, and deadline → half and → all of its orders completed (s). */
  subMerchants: { subMchid: string; subOrders: number; p50Sec: number; lastSec: number }[];
  /** The spread of the sub-merchants' last completions (s): earliest, median, latest. */
  subMerchantLastSec: { min: number; median: number; max: number };
  /** Start → every order started (s): the sale's orders arrive before their shared deadline. */
  startSec: number;
}

/** Everything one default or full run measured. */
export interface BenchResults extends EngineResults {
  profile: 'default' | 'full';
  latency: LatencyResults;
  p99TimerToFirstCallMs: number;
  p99DeadlineToFirstCallMs: number;
  burst: BurstResults;
  signing: SigningResults;
  backlog: BacklogResults;
  workerRssMbAt50k: number;
  /** kill -9 of the worker mid-burst, product and BullMQ. */
  crash: { product: CrashResults; bullmq: CrashResults };
}
