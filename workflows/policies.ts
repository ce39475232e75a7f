/**
 * Timing rules of the order lifecycle. Retry settings can be overridden per order through the input's
 * `retryPolicy`; the floor and bounds cannot.
 */
import type { ResolvedRetry } from './types';

/** Default time the payer has before the order is reversed. */
export const DEFAULT_PAYMENT_TIMEOUT_MS = 30 * 60_000;
/**
 * No reverse is sent earlier than this after the order's creation: the synchronous pay call may still be running.
 * Production orders should use a payment timeout of at least 60 s (past the pay call's own timeout).
 */
export const REVERSE_FLOOR_MS = 15_000;
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
