/**
 * The product's own metrics, exported beside the SDK's through the runtime's meter (Prometheus when
 * `WORKER_METRICS_PORT` is set). The workflow adds `combine_papay_phase_entered{phase}` from workflow code.
 */
import type { MetricMeter } from '@temporalio/common';

/** What the activities record. */
export interface Metrics {
  /** One reverse answer, by class (ACCEPTED, REJECTED, AUTH, TRANSIENT, UNVERIFIED). */
  reverseAnswer(answerClass: string): void;
  /** One failed compensation attempt, by kind (transient, rejected). */
  compensationFailure(kind: 'transient' | 'rejected'): void;
}

/** Metric names (Prometheus adds no suffix unless configured). */
export const MetricName = {
  REVERSE_ANSWERS: 'combine_papay_reverse_answers',
  COMPENSATION_FAILURES: 'combine_papay_compensation_failures',
  PHASE_ENTERED: 'combine_papay_phase_entered',
} as const;

/** Metrics recorded on the given meter (usually `Runtime.instance().metricMeter`). */
export function meterMetrics(meter: MetricMeter): Metrics {
  const answers = meter.createCounter(MetricName.REVERSE_ANSWERS, '1', 'WeChat Pay reverse answers by class');
  const failures = meter.createCounter(MetricName.COMPENSATION_FAILURES, '1', 'failed compensation attempts by kind');
  return {
    reverseAnswer: (answerClass) => answers.add(1, { class: answerClass }),
    compensationFailure: (kind) => failures.add(1, { kind }),
  };
}
