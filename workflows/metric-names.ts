/**
 * The product's metric names, one place for all: the workflow counts phases with one of them, the worker's
 * activities record the rest (see worker/metrics.ts). Prometheus adds no suffix unless configured.
 */
export const MetricName = {
  WECHATPAY_ANSWERS: 'combine_papay_wechatpay_answers',
  /** @deprecated reverse answers only, kept for existing dashboards: use {@link MetricName.WECHATPAY_ANSWERS}. */
  REVERSE_ANSWERS: 'combine_papay_reverse_answers',
  UNSIGNED_ANSWERS: 'combine_papay_unsigned_answers',
  COMPENSATION_FAILURES: 'combine_papay_compensation_failures',
  CONFIRMATION_FAILURES: 'combine_papay_confirmation_failures',
  /** Emitted from workflow code (replay-safe). */
  PHASE_ENTERED: 'combine_papay_phase_entered',
} as const;
