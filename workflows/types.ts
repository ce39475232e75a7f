/**
 * Types shared by the workflow, its activities and the client. The JSON shapes here are the public contract
 * (see ../shared/design.md): camelCase, plain JSON, safe to send from any Temporal client.
 */

/** The phases of a combined order. */
export const OrderPhase = {
  AWAITING_PAYMENT: 'AWAITING_PAYMENT',
  PAID: 'PAID',
  REVERSING: 'REVERSING',
  COMPENSATING: 'COMPENSATING',
  REVERSED: 'REVERSED',
  NEEDS_ATTENTION: 'NEEDS_ATTENTION',
  RESOLVED_MANUALLY: 'RESOLVED_MANUALLY',
} as const;
/** One of {@link OrderPhase}. */
export type OrderPhase = (typeof OrderPhase)[keyof typeof OrderPhase];

/** A sub-order as the checkout service sends it. */
export interface SubOrderInput {
  /** Merchant id of the sub-order's initiating merchant (the platform, in partner mode). */
  mchid: string;
  /** The sub-order's own order number (`out_trade_no`), unique within the combined order. */
  outTradeNo: string;
  /** The secondary merchant (`sub_mchid`). */
  subMchid: string;
  /** The secondary merchant's app id, when it has one. */
  subAppid?: string;
}

/** Retry settings for one kind of activity; every field optional, defaults in `workflows/policies.ts`. */
export interface RetrySettings {
  /** First retry delay (duration string or ms). */
  initialInterval?: string | number;
  /** Multiplier applied to the delay after each attempt, 1–10. */
  backoffCoefficient?: number;
  /** Upper bound of the delay between attempts. */
  maximumInterval?: string | number;
  /** How long to keep retrying before the step goes to NEEDS_ATTENTION. */
  scheduleToClose?: string | number;
}

/** The workflow's input (**contract**). */
export interface OrderInput {
  /** The combined order number, 1–32 of `0-9A-Za-z_-|*@`. */
  combineOutTradeNo: string;
  /** The combined order's app id (`combine_appid`). */
  combineAppid: string;
  /** 1–50 sub-orders with unique `outTradeNo`. */
  subOrders: SubOrderInput[];
  /** Time the payer has: a duration string ("30m", "90s") or milliseconds; default 30 minutes. */
  paymentTimeout?: string | number;
  /** When the order was created, ISO-8601 with a zone; default the workflow's start time. */
  orderCreatedAt?: string;
  /**
   * How long one pay call may still land after it was sent: a duration, default `"75s"` (the pay call's 1-minute
   * timeout plus margin), never less than the worker's floor (`WECHATPAY_MIN_PAY_WINDOW`, default 60 s). Nothing
   * reaches WeChat Pay before (the last accepted `beginPayment`, else the moment the order stopped waiting for
   * payment) + the longer of this and the floor.
   */
  payWindow?: string | number;
  /** What to do with an order the query shows paid (`SUCCESS`) at the deadline: `"REFUND"` (default) or `"ADOPT"`. */
  onPaidAtDeadline?: OnPaidAtDeadline;
  /** Optional retry overrides, e.g. for tests or a WeChat Pay outage plan. */
  retryPolicy?: { reverse?: RetrySettings; compensation?: RetrySettings };
}

/** What to do with an order WeChat Pay shows paid once the deadline has passed (**contract**). */
export const OnPaidAtDeadline = {
  /** Reverse it (a reverse of a paid order refunds it), then compensate. The default. */
  REFUND: 'REFUND',
  /** Keep it: finish `PAID` (source `WECHATPAY_QUERY`) and announce it to `PAYMENT_CONFIRMATION_URL`. */
  ADOPT: 'ADOPT',
} as const;
/** One of {@link OnPaidAtDeadline}. */
export type OnPaidAtDeadline = (typeof OnPaidAtDeadline)[keyof typeof OnPaidAtDeadline];

/** Retry settings with every field resolved to milliseconds. */
export interface ResolvedRetry {
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
  scheduleToCloseMs: number;
}

/** The input after validation, with defaults applied. */
export interface OrderSpec {
  combineOutTradeNo: string;
  combineAppid: string;
  subOrders: SubOrderInput[];
  paymentTimeoutMs: number;
  /** Epoch milliseconds. */
  orderCreatedAt: number;
  payWindowMs: number;
  onPaidAtDeadline: OnPaidAtDeadline;
  /** Retries of the WeChat Pay calls, query and reverse (input `retryPolicy.reverse`). */
  wechatpayRetry: ResolvedRetry;
  /** Retries of the downstream calls, compensation and payment confirmation (input `retryPolicy.compensation`). */
  downstreamRetry: ResolvedRetry;
}

/** The reverse request the activity sends (no secrets: keys live in the worker). */
export interface ReverseRequest {
  combineOutTradeNo: string;
  combineAppid: string;
  subOrders: SubOrderInput[];
  /**
   * The `Wechatpay-Nonce` of every answer this order accepted so far: an answer carrying one of them is a replay,
   * refused like an unverifiable one (retried).
   */
  refuseNonces: string[];
}

/** Which WeChat Pay host answered: the main one or the backup (another city). */
export type WechatpayHost = 'main' | 'backup';

/**
 * How WeChat Pay accepted a reverse. None lets compensation begin by itself: a query must confirm the order
 * closed, reversed or refunded first.
 */
export const ReverseOutcome = {
  /** 204: the order was closed (unpaid) or refunded (paid). */
  REVERSED: 'REVERSED',
  /** An "already closed / already reversed" answer: the goal was reached earlier. */
  ALREADY_CLOSED: 'ALREADY_CLOSED',
  /** WeChat Pay has no such order (signed `ORDER_NOT_EXIST` from the main host): no money moved. */
  ORDER_NOT_FOUND: 'ORDER_NOT_FOUND',
  /** No reverse was sent: the query showed every sub-order already closed or reversed (compensation only). */
  NOT_NEEDED: 'NOT_NEEDED',
} as const;
/** One of {@link ReverseOutcome}. */
export type ReverseOutcome = (typeof ReverseOutcome)[keyof typeof ReverseOutcome];

/** An accepted reverse, as the activity reports it. */
export interface ReverseResult {
  outcome: ReverseOutcome;
  /** HTTP status of the accepted answer. */
  httpStatus: number;
  /** WeChat Pay's error code, for accepted error answers. */
  code?: string;
  /** Whether the answer carried a signature that verified (always true for an accepted answer). */
  verified: boolean;
  /** The activity attempt that got the answer. */
  attempt: number;
  /** Which host answered. */
  host: WechatpayHost;
  /** The accepted answer's `Wechatpay-Nonce`: ties the decision to the very answer that was signed. */
  answerNonce?: string;
}

/** The query request (a signed GET of the combined order). */
export interface QueryRequest {
  combineOutTradeNo: string;
  /**
   * The order's sub-orders: a verified answer counts only if it lists exactly these (same `outTradeNo`, `mchid`,
   * `subMchid`), with the worker's merchant as `combine_mchid`.
   */
  subOrders: Pick<SubOrderInput, 'mchid' | 'outTradeNo' | 'subMchid'>[];
  /** Why the workflow asks: before any reverse (`RECONCILE`) or once a reverse was sent (`CONFIRM`). For logs. */
  purpose: 'RECONCILE' | 'CONFIRM';
  /** The nonces of the answers this order accepted so far (see {@link ReverseRequest.refuseNonces}). */
  refuseNonces: string[];
}

/**
 * A sub-order's `trade_state` as WeChat Pay reports it. The list for this product is not published: these are the
 * generic combined-order states; any other value is kept as sent and treated as "not settled".
 */
export const TradeState = {
  SUCCESS: 'SUCCESS',
  REFUND: 'REFUND',
  NOTPAY: 'NOTPAY',
  CLOSED: 'CLOSED',
  REVOKED: 'REVOKED',
  USERPAYING: 'USERPAYING',
  PAYERROR: 'PAYERROR',
  ACCEPT: 'ACCEPT',
} as const;
/** One of {@link TradeState}, or an unknown state WeChat Pay sent (kept verbatim, at most 32 characters). */
export type TradeState = (typeof TradeState)[keyof typeof TradeState] | (string & {});

/** One sub-order in a query answer. */
export interface QueriedSubOrder {
  outTradeNo: string;
  mchid: string;
  subMchid: string;
  tradeState: TradeState;
  transactionId?: string;
}

/**
 * A query answer that is a fact: a verified, fresh 200 that is exactly the order, or a signed, verified and fresh "no
 * such order" (`ORDER_NOT_EXIST`) from the main host. Anything else is retried by the activity and never reaches the
 * workflow.
 */
export type QueryResult = ({ found: true; subOrders: QueriedSubOrder[] } | { found: false; code: string }) & {
  httpStatus: number;
  host: WechatpayHost;
  attempt: number;
  /** The answer's `Wechatpay-Nonce`: ties the decision to the very answer that was signed. */
  answerNonce?: string;
};

/** A sub-order's state as the confirming query saw it, sent with its compensation (**contract**). */
export type ConfirmedTradeState = 'CLOSED' | 'REVOKED' | 'REFUND' | 'NOT_FOUND';

/** The payment confirmation sent for an order adopted as paid (`onPaidAtDeadline: "ADOPT"`) (**contract**). */
export interface PaymentConfirmationRequest {
  combineOutTradeNo: string;
  source: 'WECHATPAY_QUERY';
  subOrders: { outTradeNo: string; mchid: string; subMchid: string; transactionId?: string }[];
}

/** A delivered payment confirmation. */
export interface PaymentConfirmationResult {
  httpStatus: number;
  /** True when the downstream answered 409: it had already recorded this confirmation. */
  alreadyConfirmed: boolean;
  attempt: number;
}

/** Why a sub-order is compensated. */
export const CompensationReason = {
  PAYMENT_TIMEOUT: 'PAYMENT_TIMEOUT',
  CANCELLED: 'CANCELLED',
} as const;
/** One of {@link CompensationReason}. */
export type CompensationReason = (typeof CompensationReason)[keyof typeof CompensationReason];

/** The body of the compensation request (**contract**). */
export interface CompensationRequest {
  combineOutTradeNo: string;
  outTradeNo: string;
  mchid: string;
  subMchid: string;
  reason: CompensationReason;
  reverseOutcome: ReverseOutcome;
  /** The sub-order's state as the confirming query saw it (`NOT_FOUND`: the order absent at WeChat Pay). */
  tradeState: ConfirmedTradeState;
}

/** A finished compensation. */
export interface CompensationResult {
  httpStatus: number;
  /** True when the downstream answered 409: it had already compensated this sub-order. */
  alreadyCompensated: boolean;
  attempt: number;
}

export * from './status';
