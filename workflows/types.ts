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
  /** Optional retry overrides, e.g. for tests or a WeChat Pay outage plan. */
  retryPolicy?: { reverse?: RetrySettings; compensation?: RetrySettings };
}

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
  reverseRetry: ResolvedRetry;
  compensationRetry: ResolvedRetry;
}

/** The reverse request the activity sends (no secrets: keys live in the worker). */
export interface ReverseRequest {
  combineOutTradeNo: string;
  combineAppid: string;
  subOrders: SubOrderInput[];
}

/** How WeChat Pay accepted a reverse. Each lets compensation begin. */
export const ReverseOutcome = {
  /** 204: the order was closed (unpaid) or refunded (paid). */
  REVERSED: 'REVERSED',
  /** An "already closed / already reversed" answer: the goal was reached earlier. */
  ALREADY_CLOSED: 'ALREADY_CLOSED',
  /** WeChat Pay has no such order: no money moved. */
  ORDER_NOT_FOUND: 'ORDER_NOT_FOUND',
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
  /** Whether the answer carried a signature that verified (2xx answers always do, or they are not accepted). */
  verified: boolean;
  /** The activity attempt that got the answer. */
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

/** State of the reverse step. */
export interface ReverseStatus {
  state: 'NOT_STARTED' | 'WAITING_FOR_FLOOR' | 'IN_PROGRESS' | 'ACCEPTED' | 'FAILED';
  /** Earliest time the reverse may be sent (the safety floor after creation). */
  notBefore?: string;
  outcome?: ReverseOutcome;
  httpStatus?: number;
  code?: string;
  verified?: boolean;
  acceptedAt?: string;
  /** How many times the workflow drove the step (1 + operator retries). */
  rounds: number;
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
  paid?: { at: string; details?: MarkPaidDetails };
  cancelled?: { at: string; reason?: string };
  reverse: ReverseStatus;
  subOrders: SubOrderStatus[];
  /** Why a human is needed, while in NEEDS_ATTENTION (and the last time it was). */
  attention?: { step: 'REVERSE' | 'COMPENSATION'; reason: string; since: string };
  resolution?: { note: string; at: string };
  /** Operator signals received, newest last (bounded). */
  operatorActions: { action: 'retry' | 'resolve' | 'cancelOrder'; at: string; accepted: boolean; note?: string }[];
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
  paid?: { at: string; details?: MarkPaidDetails };
  reverse?: ReverseStatus;
  subOrders: SubOrderStatus[];
  resolution?: { note: string; at: string };
}
