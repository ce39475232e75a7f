/**
 * Timing rules of the order lifecycle. Retry settings can be overridden per order through the input's
 * `retryPolicy`; the floor and bounds cannot.
 */
import type { ActivityOptions } from '@temporalio/common';
import type { ResolvedRetry } from './contract';

/** Default time the payer has before the order is reversed. */
export const DEFAULT_PAYMENT_TIMEOUT_MS = 30 * 60_000;
/** Default pay window: the pay call's 1-minute timeout plus margin. */
export const DEFAULT_PAY_WINDOW_MS = 75_000;
/**
 * The pay call's own timeout (WeChat Pay's one minute): the default pay window floor (`WECHATPAY_MIN_PAY_WINDOW`),
 * under which no order's window may go.
 */
export const PAY_CALL_TIMEOUT_MS = 60_000;
/** Longest accepted pay window. */
export const MAX_PAY_WINDOW_MS = 10 * 60_000;
/**
 * Reverse rounds before NEEDS_ATTENTION: after an accepted reverse, a query that still shows an unsettled order
 * sends the reverse again, at most this many times in all (an operator's retry grants as many again).
 */
export const MAX_REVERSE_ROUNDS = 3;
/** Pause before re-querying after a reverse the query did not confirm; doubled each round. */
export const CONFIRM_BACKOFF_MS = 5_000;

/** Longest accepted payment timeout, and oldest accepted `orderCreatedAt`: WeChat Pay's reverse window. */
export const REVERSE_WINDOW_MS = 7 * 86_400_000;
/** How far in the future `orderCreatedAt` may be (clock skew between checkout and Temporal). */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** WeChat Pay call retries (query and reverse): quick at first, then at most a minute apart, for a day; then NEEDS_ATTENTION. */
export const DEFAULT_WECHATPAY_RETRY: ResolvedRetry = {
  initialIntervalMs: 1_000,
  backoffCoefficient: 2,
  maximumIntervalMs: 60_000,
  scheduleToCloseMs: 24 * 3_600_000,
};

/** Bounds of a per-order retry override (`retryPolicy.wechatpay` / `retryPolicy.downstream`). */
export interface RetryLimits {
  /** Shortest and longest `initialInterval`. */
  initialIntervalMs: { min: number; max: number };
  /** Shortest and longest `maximumInterval`. */
  maximumIntervalMs: { min: number; max: number };
  /** Smallest and largest `backoffCoefficient`. */
  backoffCoefficient: { min: number; max: number };
  /** Shortest and longest `scheduleToClose` (the retry window). */
  scheduleToCloseMs: { min: number; max: number };
}

/**
 * The WeChat Pay calls' retry overrides (`retryPolicy.wechatpay`, used by the query and the reverse alike): one order
 * must not be able to hammer the merchant's rate limit. No attempt sooner than 1 s after the last, a backoff of at
 * least 1.5 (so a run of failures slows down), and at most 3 days of retrying (the default is 1 day; the reverse
 * window is 7): past that an operator looks at the order.
 */
export const WECHATPAY_RETRY_LIMITS: RetryLimits = {
  initialIntervalMs: { min: 1_000, max: 3_600_000 },
  maximumIntervalMs: { min: 1_000, max: 86_400_000 },
  backoffCoefficient: { min: 1.5, max: 10 },
  scheduleToCloseMs: { min: 1_000, max: 3 * 86_400_000 },
};

/** The downstream calls' retry overrides (`retryPolicy.downstream`: compensation and payment confirmation). */
export const DOWNSTREAM_RETRY_LIMITS: RetryLimits = {
  initialIntervalMs: { min: 10, max: 3_600_000 },
  maximumIntervalMs: { min: 10, max: 86_400_000 },
  backoffCoefficient: { min: 1, max: 10 },
  scheduleToCloseMs: { min: 1_000, max: REVERSE_WINDOW_MS },
};

/**
 * Downstream call retries (compensation and payment confirmation): at most five minutes apart, for a day; then the
 * step needs attention.
 */
export const DEFAULT_DOWNSTREAM_RETRY: ResolvedRetry = {
  initialIntervalMs: 1_000,
  backoffCoefficient: 2,
  maximumIntervalMs: 5 * 60_000,
  scheduleToCloseMs: 24 * 3_600_000,
};

/** One attempt of either activity; the HTTP timeouts the worker uses must stay below it. */
export const ACTIVITY_START_TO_CLOSE_MS = 30_000;

/** The activity options of one step from its resolved retry settings. */
export function retryOptions(retry: ResolvedRetry, nonRetryableErrorTypes: string[]): Partial<ActivityOptions> {
  return {
    scheduleToCloseTimeout: retry.scheduleToCloseMs,
    retry: {
      initialInterval: retry.initialIntervalMs,
      backoffCoefficient: retry.backoffCoefficient,
      maximumInterval: retry.maximumIntervalMs,
      nonRetryableErrorTypes,
    },
  };
}

/** The payment deadline of an order: creation plus the payment timeout (used by client and workflow alike). */
export function paymentDeadline(spec: { orderCreatedAt: number; paymentTimeoutMs: number }): number {
  return spec.orderCreatedAt + spec.paymentTimeoutMs;
}
