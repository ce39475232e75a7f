/**
 * Failure type strings, one place for all: workflow, activities, client and tests match on these, never on class
 * names or message text.
 */
export const ErrorType = {
  /** The order input broke a rule; the message names the field. Never retried. */
  INVALID_ORDER_INPUT: 'INVALID_ORDER_INPUT',
  /** WeChat Pay refused the reverse request itself (PARAM_ERROR, INVALID_REQUEST, …): retrying the same bytes will not help. */
  REVERSE_REJECTED: 'REVERSE_REJECTED',
  /** WeChat Pay refused our signature or permissions (SIGN_ERROR, NO_AUTH): retried slowly until the keys are fixed. */
  REVERSE_AUTH_FAILED: 'REVERSE_AUTH_FAILED',
  /** Rate limit, server error or network fault: the outcome is unknown, retried with backoff. */
  REVERSE_TRANSIENT: 'REVERSE_TRANSIENT',
  /** A 2xx (or signed error) answer whose signature did not verify: not an answer, retried. */
  REVERSE_ANSWER_UNVERIFIED: 'REVERSE_ANSWER_UNVERIFIED',
  /** WeChat Pay refused the query itself (PARAM_ERROR, a generic NOT_FOUND: wrong URL, …). Never retried. */
  QUERY_REJECTED: 'QUERY_REJECTED',
  /** WeChat Pay refused our signature or permissions on the query: retried slowly until the keys are fixed. */
  QUERY_AUTH_FAILED: 'QUERY_AUTH_FAILED',
  /** The query got no fact: rate limit, server error, network fault, an unsigned answer, a backup-host "not found". */
  QUERY_TRANSIENT: 'QUERY_TRANSIENT',
  /** A query answer whose signature did not verify, or whose body is not an order: not an answer, retried. */
  QUERY_ANSWER_UNVERIFIED: 'QUERY_ANSWER_UNVERIFIED',
  /**
   * A verified query answer that is not exactly this order (another `combine_mchid`, a sub-order missing, added or
   * with other merchant ids), again and again: never a confirmation → NEEDS_ATTENTION.
   */
  QUERY_ANSWER_MISMATCH: 'QUERY_ANSWER_MISMATCH',
  /** After the bounded reverse rounds, the query still did not show the order closed, reversed or refunded. */
  REVERSE_NOT_CONFIRMED: 'REVERSE_NOT_CONFIRMED',
  /** "No such order" for an order WeChat Pay had shown to exist, round after round: a contradiction, not proof. */
  NOT_FOUND_AFTER_FOUND: 'NOT_FOUND_AFTER_FOUND',
  /** A sub-order showed REFUND before any reverse of ours: refunded elsewhere, partial or full unknown. */
  REFUNDED_BEFORE_REVERSE: 'REFUNDED_BEFORE_REVERSE',
  /** The downstream refused the payment confirmation of an adopted order (4xx other than 408/409/429). Never retried. */
  CONFIRMATION_REJECTED: 'CONFIRMATION_REJECTED',
  /** The payment confirmation failed transiently (5xx, 408, 429, network). Retried. */
  CONFIRMATION_TRANSIENT: 'CONFIRMATION_TRANSIENT',
  /** The downstream order service refused a compensation (4xx other than 408/409/429). Never retried. */
  COMPENSATION_REJECTED: 'COMPENSATION_REJECTED',
  /** The downstream order service failed transiently (5xx, 408, 429, network). Retried. */
  COMPENSATION_TRANSIENT: 'COMPENSATION_TRANSIENT',
  /** The worker's configuration cannot serve this call (e.g. missing key). Retried, so fixing the worker resumes. */
  WORKER_MISCONFIGURED: 'WORKER_MISCONFIGURED',
  /** An activity kept failing until its retry window (schedule-to-close) closed. */
  RETRIES_EXHAUSTED: 'RETRIES_EXHAUSTED',
  /** A rule the workflow enforces by construction was about to be broken (e.g. compensation without confirmation). */
  INVARIANT_VIOLATED: 'INVARIANT_VIOLATED',
  /** A failure of no known type (its message says what it was). */
  UNKNOWN: 'UNKNOWN',
} as const;

/** One of {@link ErrorType}. */
export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];
