/**
 * What the workflow shows and answers (**contract**): the `status` query, the messages' answers and the result.
 * Plain JSON, camelCase. Re-exported by `types.ts`.
 */
import type { ConfirmedTradeState, OrderPhase, QueryRequest, ReverseOutcome, WechatpayHost } from './types';

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
  /** Before any reverse of ours, every sub-order already CLOSED/REVOKED: nothing to reverse, compensate. */
  NOTHING_TO_REVERSE: 'NOTHING_TO_REVERSE',
  /**
   * Before any reverse of ours, a sub-order shows REFUND: a refund was started elsewhere (customer service, the
   * merchant portal), partial or full cannot be told → NEEDS_ATTENTION, nothing compensated automatically.
   */
  REFUNDED_BEFORE_REVERSE: 'REFUNDED_BEFORE_REVERSE',
  /** Paid (`SUCCESS`) and `onPaidAtDeadline` is `REFUND`, or not settled: send the reverse. */
  REVERSE: 'REVERSE',
  /** Paid, `onPaidAtDeadline` is `ADOPT` and no reverse was ever sent: finish PAID, announce it, no reverse. */
  ADOPT: 'ADOPT',
  /**
   * Once a reverse was sent: every sub-order CLOSED/REVOKED/REFUND, or the order absent at WeChat Pay though it was
   * never found there and no reverse of it was accepted with 204 or "already closed" → compensate.
   */
  CONFIRMED: 'CONFIRMED',
  /** Once a reverse was sent the query still shows something to reverse: reverse again. */
  NOT_CONFIRMED: 'NOT_CONFIRMED',
  /**
   * Once a reverse was sent, "no such order" for an order WeChat Pay had shown to exist: a contradiction, never
   * proof → query again (no reverse), then NEEDS_ATTENTION.
   */
  NOT_FOUND_AFTER_FOUND: 'NOT_FOUND_AFTER_FOUND',
} as const;
/** One of {@link ReconcileDecision}. */
export type ReconcileDecision = (typeof ReconcileDecision)[keyof typeof ReconcileDecision];

/** State of the reverse step. */
export interface ReverseStatus {
  state:
    | 'NOT_STARTED'
    | 'WAITING_FOR_PAY_WINDOW'
    | 'QUERYING'
    | 'IN_PROGRESS'
    | 'CONFIRMING'
    | 'ACCEPTED'
    | 'CONFIRMED'
    | 'NOT_NEEDED'
    | 'FAILED';
  /**
   * Earliest time of the first query: the start of the pay window (the last `beginPayment`, else the moment the order
   * stopped waiting for payment) plus the longer of `payWindow` and the worker's floor.
   */
  notBefore?: string;
  /** Where the pay window started: the last announced pay call, or the moment the order stopped waiting for payment. */
  windowStart?: { at: string; by: 'beginPayment' | 'deadline' | 'cancelled' };
  /** The worker's pay window floor (`WECHATPAY_MIN_PAY_WINDOW`) the order used, recorded in its history. */
  payWindowFloor?: string;
  /**
   * When WeChat Pay first showed the order exists (a query found it, or a reverse was accepted with 204 or "already
   * closed"): from then on "no such order" confirms nothing.
   */
  existsSince?: string;
  outcome?: ReverseOutcome;
  httpStatus?: number;
  code?: string;
  verified?: boolean;
  host?: WechatpayHost;
  /** The accepted reverse answer's `Wechatpay-Nonce`. */
  answerNonce?: string;
  acceptedAt?: string;
  /**
   * How many reverses the workflow sent (each round's activity, whatever its answer). From the first on, the order is
   * confirming for life: no ADOPT, no "nothing to reverse", no `reverseOutcome: NOT_NEEDED`.
   */
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
