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
  /** The downstream order service refused a compensation (4xx other than 408/409/429). Never retried. */
  COMPENSATION_REJECTED: 'COMPENSATION_REJECTED',
  /** The downstream order service failed transiently (5xx, 408, 429, network). Retried. */
  COMPENSATION_TRANSIENT: 'COMPENSATION_TRANSIENT',
  /** The worker's configuration cannot serve this call (e.g. missing key). Retried, so fixing the worker resumes. */
  WORKER_MISCONFIGURED: 'WORKER_MISCONFIGURED',
  /** An activity kept failing until its retry window (schedule-to-close) closed. */
  RETRIES_EXHAUSTED: 'RETRIES_EXHAUSTED',
} as const;

/** One of {@link ErrorType}. */
export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];
