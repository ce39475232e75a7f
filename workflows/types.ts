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
   * timeout plus margin). No reverse is sent before (last accepted `beginPayment`, else `orderCreatedAt`) + this.
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
  reverseRetry: ResolvedRetry;
  compensationRetry: ResolvedRetry;
}

/** The reverse request the activity sends (no secrets: keys live in the worker). */
export interface ReverseRequest {
  combineOutTradeNo: string;
  combineAppid: string;
  subOrders: SubOrderInput[];
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
  /** Which host answered (absent in results recorded before hosts were reported). */
  host?: WechatpayHost;
  /** The accepted answer's `Wechatpay-Nonce`: ties the decision to the very answer that was signed. */
  answerNonce?: string;
}

/** The query request (a signed GET of the combined order). */
export interface QueryRequest {
  combineOutTradeNo: string;
  /** Why the workflow asks: before deciding (`RECONCILE`) or after an accepted reverse (`CONFIRM`). For logs. */
  purpose: 'RECONCILE' | 'CONFIRM';
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
 * A query answer that is a fact: a verified 200 with the order, or a signed and verified "no such order"
 * (`ORDER_NOT_EXIST`) from the main host. Anything else is retried by the activity and never reaches the workflow.
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
  /**
   * The sub-order's state as the confirming query saw it. Absent only for orders whose reversal began before the
   * confirming query existed (replayed histories).
   */
  tradeState?: ConfirmedTradeState;
}

/** A finished compensation. */
export interface CompensationResult {
  httpStatus: number;
  /** True when the downstream answered 409: it had already compensated this sub-order. */
  alreadyCompensated: boolean;
  attempt: number;
}

/** A failure as the status shows it: the type from {@link ErrorType} and a message free of secrets. */
export interface FailureInfo {
  type: string;
  message: string;
  at: string;
}

/** One query the workflow made, as the status shows it. */
export interface QueryRecord {
  at: string;
  purpose: QueryRequest['purpose'];
  host: WechatpayHost;
  /** `NOT_FOUND`, or the sub-orders' states in one short line, e.g. `S1 CLOSED, S2 CLOSED`. */
  seen: string;
  /** The answer's `Wechatpay-Nonce`. */
  answerNonce?: string;
}

/** What the workflow decided from a query (**status**). */
export const ReconcileDecision = {
  /** Every sub-order already CLOSED/REVOKED: nothing to reverse, compensate. */
  NOTHING_TO_REVERSE: 'NOTHING_TO_REVERSE',
  /** Paid (`SUCCESS`) and `onPaidAtDeadline` is `REFUND`, or not settled: send the reverse. */
  REVERSE: 'REVERSE',
  /** Paid and `onPaidAtDeadline` is `ADOPT`: finish PAID, announce it, no reverse. */
  ADOPT: 'ADOPT',
  /** After an accepted reverse: every sub-order CLOSED/REVOKED/REFUND, or the order absent → compensate. */
  CONFIRMED: 'CONFIRMED',
  /** After an accepted reverse the query still shows an unsettled order: reverse again. */
  NOT_CONFIRMED: 'NOT_CONFIRMED',
} as const;
/** One of {@link ReconcileDecision}. */
export type ReconcileDecision = (typeof ReconcileDecision)[keyof typeof ReconcileDecision];

/** State of the reverse step. */
export interface ReverseStatus {
  state:
    | 'NOT_STARTED'
    | 'WAITING_FOR_FLOOR'
    | 'WAITING_FOR_PAY_WINDOW'
    | 'QUERYING'
    | 'IN_PROGRESS'
    | 'CONFIRMING'
    | 'ACCEPTED'
    | 'CONFIRMED'
    | 'NOT_NEEDED'
    | 'FAILED';
  /** Earliest time the reverse may be sent: the last pay call's window (or, for older orders, the safety floor). */
  notBefore?: string;
  outcome?: ReverseOutcome;
  httpStatus?: number;
  code?: string;
  verified?: boolean;
  host?: WechatpayHost;
  /** The accepted reverse answer's `Wechatpay-Nonce`. */
  answerNonce?: string;
  acceptedAt?: string;
  /** How many times the workflow drove the step (1 + operator retries + re-reverses after an unconfirmed query). */
  rounds: number;
  /** The queries made, newest last (bounded; older ones remain in the history). */
  queries?: QueryRecord[];
  /** The last decision taken from a query. */
  decision?: ReconcileDecision;
  /** When a query confirmed the order closed, reversed or refunded (or absent). */
  confirmedAt?: string;
  lastFailure?: FailureInfo;
}

/** State of one sub-order's compensation. */
export type CompensationState = 'NOT_STARTED' | 'IN_PROGRESS' | 'DONE' | 'FAILED' | 'RESOLVED_MANUALLY';

/** One sub-order in the status and the result. */
export interface SubOrderStatus {
  outTradeNo: string;
  mchid: string;
  subMchid: string;
  compensation: CompensationState;
  /** The state the confirming query saw, sent with the compensation. */
  tradeState?: ConfirmedTradeState;
  httpStatus?: number;
  alreadyCompensated?: boolean;
  completedAt?: string;
  lastFailure?: FailureInfo;
}

/** What the `status` query answers (**contract**). */
export interface OrderStatus {
  combineOutTradeNo: string;
  phase: OrderPhase;
  /** ISO-8601: when the order is reversed unless confirmed paid. */
  deadline: string;
  orderCreatedAt: string;
  /** One sentence: what the workflow waits for and why. */
  waitingFor: string;
  paid?: PaidInfo;
  cancelled?: { at: string; reason?: string };
  /** Pay calls announced with `beginPayment`: how many, and the last one. */
  payments?: { count: number; lastAt: string };
  /** The pay window in force, e.g. "75s". */
  payWindow?: string;
  reverse: ReverseStatus;
  subOrders: SubOrderStatus[];
  /** Why a human is needed, while in NEEDS_ATTENTION (and the last time it was). */
  attention?: { step: AttentionStep; reason: string; since: string };
  resolution?: { note: string; at: string };
  /**
   * Operator signals received, newest last (bounded). `cancelRequest` is a Temporal cancellation request (the Web
   * UI's "Request Cancellation", `temporal workflow cancel`): accepted like cancelOrder while awaiting payment, else
   * recorded and the order goes on.
   */
  operatorActions: {
    action: 'retry' | 'resolve' | 'cancelOrder' | 'cancelRequest';
    at: string;
    accepted: boolean;
    note?: string;
  }[];
}

/** The step an order in NEEDS_ATTENTION is stuck at. */
export type AttentionStep = 'QUERY' | 'REVERSE' | 'CONFIRM' | 'COMPENSATION' | 'PAYMENT_CONFIRMATION';

/** How an order came to be paid (**contract**). */
export interface PaidInfo {
  at: string;
  /** `MARK_PAID`: the checkout confirmed it; `WECHATPAY_QUERY`: adopted from a signed query at the deadline. */
  source: 'MARK_PAID' | 'WECHATPAY_QUERY';
  details?: MarkPaidDetails;
  /** WeChat Pay transaction ids by sub-order, for an adopted order. */
  transactionIds?: Record<string, string>;
  /** The payment confirmation's delivery, for an adopted order. */
  confirmation?: { httpStatus: number; alreadyConfirmed: boolean; at: string };
}

/** What `beginPayment` may carry, for the record. */
export interface BeginPaymentDetails {
  /** The checkout's id of this pay attempt. */
  attemptId?: string;
  /** Free text. */
  note?: string;
}

/** What `beginPayment` answers. */
export interface BeginPaymentResult {
  /** ISO-8601: no reverse is sent before this time, so the pay call about to be sent may still land. */
  reverseNotBefore: string;
  /** How many pay calls were announced so far, this one included. */
  payments: number;
}

/** What `markPaid` may carry: the pay call's answer or a query result, for the record. */
export interface MarkPaidDetails {
  /** WeChat Pay's transaction id or another reference. */
  transactionId?: string;
  /** Where the confirmation came from, e.g. "pay-response" or "query". */
  source?: string;
  /** Free text. */
  note?: string;
}

/** What `markPaid` answers. */
export interface MarkPaidResult {
  phase: typeof OrderPhase.PAID;
  paidAt: string;
}

/** The workflow's result (**contract**). */
export interface OrderResult {
  outcome: typeof OrderPhase.PAID | typeof OrderPhase.REVERSED | typeof OrderPhase.RESOLVED_MANUALLY;
  combineOutTradeNo: string;
  paid?: PaidInfo;
  reverse?: ReverseStatus;
  subOrders: SubOrderStatus[];
  resolution?: { note: string; at: string };
}
