/**
 * The product's own metrics, exported beside the SDK's through the runtime's meter (Prometheus when
 * `WORKER_METRICS_PORT` is set). The workflow adds `combine_papay_phase_entered{phase}` from workflow code.
 *
 * WeChat Pay answers are counted in `combine_papay_wechatpay_answers{call,class}` (`call`: `reverse` | `query`;
 * `class`: the verdict — ACCEPTED, FOUND, NOT_FOUND, REJECTED, AUTH, TRANSIENT, UNVERIFIED).
 * `combine_papay_unsigned_answers{call}` counts answers that arrived without any `Wechatpay-*`
 * header where WeChat Pay signs (error answers other than 401, and 2xx answers): a steady rate means a proxy strips
 * the headers, and "already closed" / "no such order" answers then never count.
 * `combine_papay_stale_answers{call}` ({@link STALE_ANSWERS_METRIC}) counts verified answers refused because they were
 * signed before their request was sent (a replay captured elsewhere, or clocks apart by more than the tolerance).
 * `combine_papay_downstream_unauthorized{call}` (`call`: `compensation` | `confirmation`) counts downstream answers
 * 401/403: the order service does not accept our webhook signature (yet), e.g. mid secret rotation; those attempts
 * are retried slowly and are not counted in the failure counters.
 */
import type { MetricMeter } from '@temporalio/common';
import type { Metrics } from '../activities/metrics';
import { BillMismatchKind, MetricName } from '../workflows/contract';

/**
 * Verified WeChat Pay answers refused as signed before their request was sent, by call (`STALE_ANSWER`; named here
 * rather than in the contract's `MetricName` so that workflow code does not change for it).
 */
const STALE_ANSWERS_METRIC = 'combine_papay_stale_answers';

/** Metrics recorded on the given meter (usually `Runtime.instance().metricMeter`). */
export function meterMetrics(meter: MetricMeter): Metrics {
  const answers = meter.createCounter(MetricName.WECHATPAY_ANSWERS, '1', 'WeChat Pay answers by call and class');
  const unsigned = meter.createCounter(
    MetricName.UNSIGNED_ANSWERS,
    '1',
    'WeChat Pay answers without Wechatpay-* headers, by call (a header-stripping proxy?)',
  );
  const stale = meter.createCounter(
    STALE_ANSWERS_METRIC,
    '1',
    'WeChat Pay answers signed before their request was sent, by call (a replay, or clocks apart)',
  );
  const failures = meter.createCounter(MetricName.COMPENSATION_FAILURES, '1', 'failed compensation attempts by kind');
  const confirmationFailures = meter.createCounter(
    MetricName.CONFIRMATION_FAILURES,
    '1',
    'failed payment-confirmation attempts by kind',
  );
  const unauthorized = meter.createCounter(
    MetricName.DOWNSTREAM_UNAUTHORIZED,
    '1',
    'downstream answers 401/403 (our webhook signature not accepted), by call',
  );
  const mismatches = meter.createCounter(
    MetricName.BILL_MISMATCHES,
    '1',
    "disagreements between WeChat Pay's trade bill and the orders, by kind",
  );
  // Every kind starts at 0, so that the first mismatch is an increase the alert sees.
  for (const kind of Object.values(BillMismatchKind)) mismatches.add(0, { kind });
  return {
    wechatpayAnswer: (call, answerClass) => answers.add(1, { call, class: answerClass }),
    unsignedAnswer: (call) => unsigned.add(1, { call }),
    staleAnswer: (call) => stale.add(1, { call }),
    compensationFailure: (kind) => failures.add(1, { kind }),
    confirmationFailure: (kind) => confirmationFailures.add(1, { kind }),
    downstreamUnauthorized: (call) => unauthorized.add(1, { call }),
    billMismatch: (kind) => mismatches.add(1, { kind }),
  };
}
