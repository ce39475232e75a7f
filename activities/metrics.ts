/**
 * What the activities record about their calls. The worker supplies an implementation on the runtime's meter
 * (worker/metrics.ts); tests may pass their own.
 */
import type { WechatpayCall } from '../wechatpay/client';
import type { BillMismatchKind } from '../workflows/contract';

/**
 * How a downstream POST failed: retried (`transient`), handed to a human (`rejected`), or our signature not (yet)
 * accepted (`unauthorized`, 401/403: retried slowly).
 */
export type DownstreamFailureKind = 'transient' | 'rejected' | 'unauthorized';

/** Which downstream call: a sub-order's compensation or an adopted order's payment confirmation. */
export type DownstreamCall = 'compensation' | 'confirmation';

/** What the activities record. */
export interface Metrics {
  /** One WeChat Pay answer, by call and class (the classifier's verdict). */
  wechatpayAnswer(call: WechatpayCall, answerClass: string): void;
  /** One answer without any `Wechatpay-*` header where WeChat Pay signs (a header-stripping proxy?). */
  unsignedAnswer(call: WechatpayCall): void;
  /**
   * One verified answer refused as signed before its request was sent (`STALE_ANSWER`: a replay captured elsewhere,
   * or the clocks differ more than measured); also counted as UNVERIFIED by {@link Metrics.wechatpayAnswer}.
   */
  staleAnswer(call: WechatpayCall): void;
  /** One failed compensation attempt, by kind. */
  compensationFailure(kind: Exclude<DownstreamFailureKind, 'unauthorized'>): void;
  /** One failed payment-confirmation attempt, by kind. */
  confirmationFailure(kind: Exclude<DownstreamFailureKind, 'unauthorized'>): void;
  /** One downstream answer 401/403: our signature is not (yet) accepted. */
  downstreamUnauthorized(call: DownstreamCall): void;
  /** One disagreement between WeChat Pay's trade bill and the orders, by kind. */
  billMismatch(kind: BillMismatchKind): void;
}

/**
 * Counts one failed downstream attempt where it belongs: 401/403 in `downstreamUnauthorized`, the rest in the call's
 * own failure counter.
 *
 * @param metrics - absent in tests that count nothing
 */
export function countDownstreamFailure(
  metrics: Metrics | undefined,
  call: DownstreamCall,
  kind: DownstreamFailureKind,
): void {
  if (!metrics) return;
  if (kind === 'unauthorized') metrics.downstreamUnauthorized(call);
  else if (call === 'compensation') metrics.compensationFailure(kind);
  else metrics.confirmationFailure(kind);
}
