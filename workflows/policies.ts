/**
 * Timing rules of the order lifecycle. Retry settings can be overridden per order through the input's
 * `retryPolicy`; the floor and bounds cannot.
 */
import type { ActivityOptions } from '@temporalio/workflow';
import type { ResolvedRetry } from './types';

/** Default time the payer has before the order is reversed. */
export const DEFAULT_PAYMENT_TIMEOUT_MS = 30 * 60_000;
/**
 * Orders whose reversal began before the pay window existed (replayed histories) waited at least this long after
 * creation before reversing. New orders wait for the pay window instead.
 */
export const REVERSE_FLOOR_MS = 15_000;
/** Default pay window: the pay call's 1-minute timeout plus margin. */
export const DEFAULT_PAY_WINDOW_MS = 75_000;
/** The pay call's own timeout: a pay window shorter than this is allowed (tests) but logged as a warning. */
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

/** Reverse retries: quick at first, then at most a minute apart, for a day; then NEEDS_ATTENTION. */
export const DEFAULT_REVERSE_RETRY: ResolvedRetry = {
  initialIntervalMs: 1_000,
  backoffCoefficient: 2,
  maximumIntervalMs: 60_000,
  scheduleToCloseMs: 24 * 3_600_000,
};

/** Compensation retries: at most five minutes apart, for a day; then that sub-order needs attention. */
export const DEFAULT_COMPENSATION_RETRY: ResolvedRetry = {
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
