/**
 * What the activities record about their calls. The worker supplies an implementation on the runtime's meter
 * (worker/metrics.ts); tests may pass their own.
 */
import type { WechatpayCall } from '../wechatpay/client';

/** How a downstream POST failed: retried (`transient`) or handed to a human (`rejected`). */
export type DownstreamFailureKind = 'transient' | 'rejected';

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
  compensationFailure(kind: DownstreamFailureKind): void;
  /** One failed payment-confirmation attempt, by kind. */
  confirmationFailure(kind: DownstreamFailureKind): void;
}
