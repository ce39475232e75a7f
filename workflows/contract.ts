/**
 * The contract of the order workflow, in one place for everything that talks to it (the role of the samples'
 * `shared.ts`): the workflow type and ids, its messages, the input, status and result shapes, the requests sent
 * downstream, the failure types, the search attributes and the metric names. The JSON shapes are the public contract
 * (docs/reference.md): camelCase, plain JSON, safe to send from any Temporal client. Deterministic code only:
 * the client, the workflow and the worker all import it. What only the workflows and the activities exchange (the
 * reverse's request and result, the downstream calls' results, the trade bill's rows and orders) lives beside the
 * activities, in activities/types.ts.
 */
import type { QueryDefinition, SignalDefinition, UpdateDefinition } from '@temporalio/client';

// ── Names and messages ──

/*
 * The messages' definitions are the objects `defineUpdate`, `defineSignal` and `defineQuery` of @temporalio/workflow
 * return (`{ type, name }`; the SDK's types carry the arguments and the answer), written here so that the contract
 * needs no Temporal package at run time and names the SDK's types through @temporalio/client (which re-exports them
 * from @temporalio/common): the client package (client/package.json) ships the contract, and a checkout's install has
 * @temporalio/client as its one SDK peer, no @temporalio/workflow and no @temporalio/common of its own. The search
 * attributes' keys (below) likewise.
 */
function defineUpdate<Ret, Args extends unknown[] = []>(name: string): UpdateDefinition<Ret, Args> {
  return { type: 'update', name } as UpdateDefinition<Ret, Args>;
}
function defineSignal<Args extends unknown[] = []>(name: string): SignalDefinition<Args> {
  return { type: 'signal', name } as SignalDefinition<Args>;
}
function defineQuery<Ret, Args extends unknown[] = []>(name: string): QueryDefinition<Ret, Args> {
  return { type: 'query', name } as QueryDefinition<Ret, Args>;
}

/** Workflow type name (**contract**). */
export const WORKFLOW_TYPE = 'combinePapayOrderWorkflow';
/** Default task queue (**contract**); the worker reads `TEMPORAL_TASK_QUEUE`. */
export const DEFAULT_TASK_QUEUE = 'combine-papay';
/**
 * The activity task queue of the WeChat Pay calls (query and reverse) of orders on `taskQueue`: a queue of its own, so
 * that the worker's WeChat Pay rate limit (`WECHATPAY_MAX_RPS`, enforced by the server per task queue) throttles
 * those calls only, never compensation or payment confirmation.
 */
export function wechatpayTaskQueue(taskQueue: string): string {
  return `${taskQueue}-wechatpay`;
}
/** The activity type of the reverse as the workflow schedules it (`reverseCombineOrder`). */
const REVERSE_ACTIVITY_TYPE = 'reverseCombineOrder';
/**
 * Whether these events of a run's history schedule a reverse: a run that did has sent one, whatever its answer, so the
 * run that follows it starts confirming. The client's restart and the worker's look-up of earlier runs both ask; the
 * events are the SDK's or the service's (only the scheduled activity's type is read).
 */
export function schedulesReverse(
  events: readonly {
    activityTaskScheduledEventAttributes?: { activityType?: { name?: string | null } | null } | null;
  }[],
): boolean {
  return events.some((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === REVERSE_ACTIVITY_TYPE);
}

/** Workflow id the project's client uses for an order (**contract**). */
export function workflowIdFor(combineOutTradeNo: string): string {
  return `combine-papay-${combineOutTradeNo}`;
}

/** Confirms the order paid. Accepted while AWAITING_PAYMENT (and again once PAID); refused once the reversal has begun. */
export const markPaidUpdate = defineUpdate<MarkPaidResult, [MarkPaidDetails | undefined]>('markPaid');
/**
 * Announces a pay call about to be sent: the checkout calls it right before each pay call. Accepted only while
 * AWAITING_PAYMENT (not cancelled); answers `{ reverseNotBefore }`. Refused once the reversal has begun: then the pay
 * call must not be sent.
 */
export const beginPaymentUpdate = defineUpdate<BeginPaymentResult, [BeginPaymentDetails | undefined]>('beginPayment');
/** Abandons the order: reconcile and reverse now (still waiting for the last pay call's window). */
export const cancelOrderSignal = defineSignal<[string?]>('cancelOrder');
/** Operator: in NEEDS_ATTENTION, drive the failed step again (only unfinished sub-orders are re-driven). */
export const retrySignal = defineSignal<[]>('retry');
/** Operator: in NEEDS_ATTENTION, close the order as handled by hand; `note` says what was done. */
export const resolveSignal = defineSignal<[string | { note: string }]>('resolve');
/** The order's current state. */
export const statusQuery = defineQuery<OrderStatus>('status');

// ── Input, requests and answers ──

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

/** Merchant ids (`mchid`, `subMchid`, a bill's 商户号 and 特约商户号): 1–32 digits, as WeChat Pay issues them. */
export const MCHID_RE = /^[0-9]{1,32}$/;

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
  retryPolicy?: { wechatpay?: RetrySettings; downstream?: RetrySettings };
  /**
   * Set by the client's restart of a run that ended without an outcome (never by a checkout): which run it follows
   * and whether that run (or one it followed) sent a reverse. With it, the new run carries on from the ended one
   * instead of waiting for an operator (`EARLIER_RUN_ENDED`); with `reverseSent` it starts confirming.
   */
  restart?: RestartOf;
}

/** What a restarted run carries from the run it follows (**contract**: input field `restart`). */
export interface RestartOf {
  /** The run id of the ended run this one follows. */
  previousRunId: string;
  /** That run, or one it followed, sent a reverse: the order is confirming for life (no ADOPT, no "nothing to reverse"). */
  reverseSent: boolean;
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
  /** Retries of the WeChat Pay calls, query and reverse (input `retryPolicy.wechatpay`). */
  wechatpayRetry: ResolvedRetry;
  /** Retries of the downstream calls, compensation and payment confirmation (input `retryPolicy.downstream`). */
  downstreamRetry: ResolvedRetry;
  /** The run this one restarts (input `restart`), when the client restarted an order whose run ended. */
  restart?: RestartOf;
}

/**
 * The terms of an order that a second start or Update-With-Start must agree with (**contract**: `beginPayment`
 * answers them, so a checkout attaching to a running order learns whether it believes the same order).
 */
export interface OrderTerms {
  combineAppid: string;
  subOrders: SubOrderInput[];
  paymentTimeoutMs: number;
  /** ISO-8601. */
  orderCreatedAt: string;
  payWindowMs: number;
  onPaidAtDeadline: OnPaidAtDeadline;
}

/** An earlier, closed run of the same workflow id (found in visibility when the order enters REVERSING). */
export interface EarlierRun {
  runId: string;
  /** Its execution status as Temporal names it: `COMPLETED`, `FAILED`, `TERMINATED`, `CANCELED`, `TIMED_OUT`, … */
  status: string;
  /** ISO-8601, when known. */
  closedAt?: string;
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

/** Why the workflow queried: before any reverse (`RECONCILE`) or once a reverse was sent (`CONFIRM`) (**status**). */
export type QueryPurpose = 'RECONCILE' | 'CONFIRM';

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

/** A sub-order's state as the confirming query saw it, sent with its compensation (**contract**). */
export type ConfirmedTradeState = 'CLOSED' | 'REVOKED' | 'REFUND' | 'NOT_FOUND';

/** The payment confirmation sent for an order adopted as paid (`onPaidAtDeadline: "ADOPT"`) (**contract**). */
export interface PaymentConfirmationRequest {
  combineOutTradeNo: string;
  source: 'WECHATPAY_QUERY';
  subOrders: { outTradeNo: string; mchid: string; subMchid: string; transactionId?: string }[];
}

/**
 * Header names of a downstream request (**contract**), a Standard Webhooks request: `webhook-id`, `webhook-timestamp`
 * (Unix seconds, the send time), `webhook-signature` (one `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">` per
 * configured secret, space-separated) and `Idempotency-Key`.
 *
 * The idempotency-key rule, stated here once (the docs, the activities and the simulator link here): the `webhook-id`
 * is the request's idempotency key, derived from the data alone ({@link compensationWebhookId},
 * {@link confirmationWebhookId}), so it is the same on every retry of a step, by any worker; it names the purpose, so
 * a compensation never passes for a payment confirmation; `Idempotency-Key` carries the same value again. The order
 * service deduplicates by it (2xx or 409 for an id already done).
 */
export const DownstreamHeaders = {
  WEBHOOK_ID: 'webhook-id',
  TIMESTAMP: 'webhook-timestamp',
  SIGNATURE: 'webhook-signature',
  IDEMPOTENCY_KEY: 'Idempotency-Key',
} as const;

/** What a downstream webhook is for: the receiving endpoint states which one it expects (**contract**). */
export type DownstreamPurpose = 'compensation' | 'confirmation';

/** The body `type` of each downstream webhook (**contract**): `{ type, timestamp, data }`. */
export const DownstreamEventType = {
  compensation: 'sub_order.compensate',
  confirmation: 'order.paid',
} as const satisfies Record<DownstreamPurpose, string>;

/** The `webhook-id` of a sub-order's compensation: `compensation:<combineOutTradeNo>:<outTradeNo>` (**contract**). */
export function compensationWebhookId(request: { combineOutTradeNo: string; outTradeNo: string }): string {
  return `compensation:${request.combineOutTradeNo}:${request.outTradeNo}`;
}

/** The `webhook-id` of an order's payment confirmation: `confirmation:<combineOutTradeNo>` (**contract**). */
export function confirmationWebhookId(request: { combineOutTradeNo: string }): string {
  return `confirmation:${request.combineOutTradeNo}`;
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

// ── Status and result ──

/** A failure as the status shows it: the type from {@link ErrorType} and a message free of secrets. */
export interface FailureInfo {
  type: string;
  message: string;
  at: string;
}

/** One query the workflow made, as the status shows it. */
export interface QueryRecord {
  at: string;
  purpose: QueryPurpose;
  host: WechatpayHost;
  /** `NOT_FOUND`, or the sub-orders' states in one short line, e.g. `S1 CLOSED, S2 CLOSED`. */
  seen: string;
  /** The answer's `Wechatpay-Nonce`. */
  answerNonce?: string;
}

/**
 * What the workflow decided from a query (**status**). When each applies and what follows: the decision table,
 * docs/reference.md#decision-table.
 */
export const ReconcileDecision = {
  /** Before any reverse of ours: nothing to reverse. */
  NOTHING_TO_REVERSE: 'NOTHING_TO_REVERSE',
  /** Before any reverse of ours: a refund was started elsewhere (an operator decides). */
  REFUNDED_BEFORE_REVERSE: 'REFUNDED_BEFORE_REVERSE',
  /** Before any reverse of ours: send the reverse. */
  REVERSE: 'REVERSE',
  /** Before any reverse of ours: keep the order as paid and announce it. */
  ADOPT: 'ADOPT',
  /** After a reverse: settled, compensate. */
  CONFIRMED: 'CONFIRMED',
  /** After a reverse: still something to reverse. */
  NOT_CONFIRMED: 'NOT_CONFIRMED',
  /** After a reverse: "no such order" for an order WeChat Pay had shown, a contradiction. */
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
   * Earlier closed runs of this order's workflow id, as found when it entered REVERSING: with any, the order moves
   * no money on its own (NEEDS_ATTENTION `EARLIER_RUN_ENDED`) unless it is the client's restart of an ended run.
   */
  earlierRuns?: EarlierRun[];
  /** The ended run this one restarts (input `restart`). */
  restartOf?: RestartOf;
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
export type AttentionStep = 'EARLIER_RUN' | 'QUERY' | 'REVERSE' | 'CONFIRM' | 'COMPENSATION' | 'PAYMENT_CONFIRMATION';

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
  /**
   * The running order's terms: a checkout compares them with its own and sends no pay call when they differ
   * (`OrderInputConflictError`). Absent from orders started on deployment version 1.0.0.
   */
  order?: OrderTerms;
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

// ── Failure types ──

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
  /** WeChat Pay refused the query itself (PARAM_ERROR, a generic NOT_FOUND: wrong URL, …). Never retried. */
  QUERY_REJECTED: 'QUERY_REJECTED',
  /** WeChat Pay refused our signature or permissions on the query: retried slowly until the keys are fixed. */
  QUERY_AUTH_FAILED: 'QUERY_AUTH_FAILED',
  /** The query got no fact: rate limit, server error, network fault, an unsigned answer, a backup-host "not found". */
  QUERY_TRANSIENT: 'QUERY_TRANSIENT',
  /** A query answer whose signature did not verify, or whose body is not an order: not an answer, retried. */
  QUERY_ANSWER_UNVERIFIED: 'QUERY_ANSWER_UNVERIFIED',
  /**
   * A verified query answer that is not exactly this order (another `combine_mchid`, a sub-order missing, added or
   * with other merchant ids), again and again: never a confirmation → NEEDS_ATTENTION.
   */
  QUERY_ANSWER_MISMATCH: 'QUERY_ANSWER_MISMATCH',
  /** After the bounded reverse rounds, the query still did not show the order closed, reversed or refunded. */
  REVERSE_NOT_CONFIRMED: 'REVERSE_NOT_CONFIRMED',
  /** "No such order" for an order WeChat Pay had shown to exist, round after round: a contradiction, not proof. */
  NOT_FOUND_AFTER_FOUND: 'NOT_FOUND_AFTER_FOUND',
  /** A sub-order showed REFUND before any reverse of ours: refunded elsewhere, partial or full unknown. */
  REFUNDED_BEFORE_REVERSE: 'REFUNDED_BEFORE_REVERSE',
  /** The downstream refused the payment confirmation of an adopted order (4xx but 401/403/408/409/429). Never retried. */
  CONFIRMATION_REJECTED: 'CONFIRMATION_REJECTED',
  /** The payment confirmation failed transiently (5xx, 408, 429, network). Retried. */
  CONFIRMATION_TRANSIENT: 'CONFIRMATION_TRANSIENT',
  /** The downstream order service refused a compensation (4xx but 401/403/408/409/429). Never retried. */
  COMPENSATION_REJECTED: 'COMPENSATION_REJECTED',
  /** The downstream order service failed transiently (5xx, 408, 429, network). Retried. */
  COMPENSATION_TRANSIENT: 'COMPENSATION_TRANSIENT',
  /**
   * A compensation or payment confirmation answered 401/403: our signature is not (yet) accepted (a secret rotation in
   * progress, a wrong secret). Retried every `COMPENSATION_AUTH_RETRY_DELAY` within the step's retry window and counted
   * in `combine_papay_downstream_unauthorized`: one alert, not one operator per order.
   */
  DOWNSTREAM_UNAUTHORIZED: 'DOWNSTREAM_UNAUTHORIZED',
  /** The worker's configuration cannot serve this call (e.g. missing key). Retried, so fixing the worker resumes. */
  WORKER_MISCONFIGURED: 'WORKER_MISCONFIGURED',
  /**
   * An earlier run of the order's workflow id has closed (paid, reversed, resolved, or ended without an outcome) and
   * this run is not the client's restart of it: nothing moves money until an operator decides (`resolve`, or
   * `retry` once they confirmed it is a new order).
   */
  EARLIER_RUN_ENDED: 'EARLIER_RUN_ENDED',
  /** A start or Update-With-Start reached a running order with other terms (client side; nothing was changed). */
  ORDER_INPUT_CONFLICT: 'ORDER_INPUT_CONFLICT',
  /** An activity kept failing until its retry window (schedule-to-close) closed. */
  RETRIES_EXHAUSTED: 'RETRIES_EXHAUSTED',
  /** A rule the workflow enforces by construction was about to be broken (e.g. compensation without confirmation). */
  INVARIANT_VIOLATED: 'INVARIANT_VIOLATED',
  /** A failure of no known type (its message says what it was). */
  UNKNOWN: 'UNKNOWN',
  /** The trade-bill reconciliation's input is not `{ billDate?: YYYY-MM-DD, subMchids?: merchant ids }`. */
  INVALID_TRADE_BILL_INPUT: 'INVALID_TRADE_BILL_INPUT',
  /** `STATEMENT_CREATING`: the trade bill is not ready yet; asked again after `TRADE_BILL_NOT_READY_RETRY`. */
  TRADE_BILL_NOT_READY: 'TRADE_BILL_NOT_READY',
  /** The trade bill could not be had (an apply answer that did not verify, the network): retried. */
  TRADE_BILL_UNAVAILABLE: 'TRADE_BILL_UNAVAILABLE',
  /** WeChat Pay refused to give the trade bill (e.g. `NO_AUTH`, `PARAM_ERROR`): not retried. */
  TRADE_BILL_REFUSED: 'TRADE_BILL_REFUSED',
  /** The downloaded bill's SHA1 is not the signed one: never reconciled; applied for again. */
  TRADE_BILL_CORRUPT: 'TRADE_BILL_CORRUPT',
  /** A day left not reconciled: some merchant's bill could not be read and verified (the result is in the details). */
  TRADE_BILL_NOT_RECONCILED: 'TRADE_BILL_NOT_RECONCILED',
} as const;

/** One of {@link ErrorType}. */
export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];

// ── Search attributes ──

// The custom search attributes this project keeps current on every order, so operators can find orders in the Web UI
// and with `temporal workflow list --query`.

/** The search attribute types the contract's keys use (values of @temporalio/common's `SearchAttributeType`). */
type SearchAttributeKind = 'KEYWORD' | 'KEYWORD_LIST' | 'DATETIME';
/** A search attribute's key: the shape of @temporalio/common's `SearchAttributeKey`, which the SDK's calls take. */
interface SearchAttributeKey<T extends SearchAttributeKind> {
  name: string;
  type: T;
}
/** What @temporalio/common's `defineSearchAttributeKey` returns (`{ name, type }`), without @temporalio/common. */
function defineSearchAttributeKey<T extends SearchAttributeKind>(name: string, type: T): SearchAttributeKey<T> {
  return { name, type };
}

/** The combined order number (`combine_out_trade_no`). */
export const CombineOutTradeNoKey = defineSearchAttributeKey('CombineOutTradeNo', 'KEYWORD');
/** The order's current phase, one of {@link OrderPhase}. */
export const PaymentPhaseKey = defineSearchAttributeKey('PaymentPhase', 'KEYWORD');
/** When the order is reversed unless confirmed paid. */
export const PaymentDeadlineKey = defineSearchAttributeKey('PaymentDeadline', 'DATETIME');
/** The secondary merchants (`sub_mchid`) of the sub-orders. */
export const SubMchIdsKey = defineSearchAttributeKey('SubMchIds', 'KEYWORD_LIST');
/** The sub-orders' own order numbers (`out_trade_no`): how a trade bill's row finds the order that owns it. */
export const SubOutTradeNosKey = defineSearchAttributeKey('SubOutTradeNos', 'KEYWORD_LIST');
/** The Beijing day (`YYYY-MM-DD`) a trade-bill reconciliation checks. */
export const TradeBillDateKey = defineSearchAttributeKey('TradeBillDate', 'KEYWORD');

/**
 * Name and CLI type name of each custom search attribute, as `temporal operator search-attribute create` and
 * `temporal server start-dev --search-attribute` spell them.
 */
export const CUSTOM_SEARCH_ATTRIBUTES = [
  { name: CombineOutTradeNoKey.name, cliType: 'Keyword' },
  { name: PaymentPhaseKey.name, cliType: 'Keyword' },
  { name: PaymentDeadlineKey.name, cliType: 'Datetime' },
  { name: SubMchIdsKey.name, cliType: 'KeywordList' },
  { name: SubOutTradeNosKey.name, cliType: 'KeywordList' },
  { name: TradeBillDateKey.name, cliType: 'Keyword' },
] as const;

// ── Metric names ──

/**
 * The product's metric names, one place for all: the workflow counts phases with one of them, the worker's
 * activities record the rest (see worker/metrics.ts). Prometheus adds no suffix unless configured.
 */
export const MetricName = {
  /** WeChat Pay answers by call (`query`, `reverse`) and verdict class. */
  WECHATPAY_ANSWERS: 'combine_papay_wechatpay_answers',
  /** Answers without any `Wechatpay-*` header where WeChat Pay signs (a header-stripping proxy). */
  UNSIGNED_ANSWERS: 'combine_papay_unsigned_answers',
  /** Failed compensation attempts by kind (`transient`, `rejected`). */
  COMPENSATION_FAILURES: 'combine_papay_compensation_failures',
  /** Failed payment-confirmation attempts by kind. */
  CONFIRMATION_FAILURES: 'combine_papay_confirmation_failures',
  /** Downstream answers 401/403 (our signature not accepted), by call (`compensation`, `confirmation`). */
  DOWNSTREAM_UNAUTHORIZED: 'combine_papay_downstream_unauthorized',
  /** Emitted from workflow code (replay-safe). */
  PHASE_ENTERED: 'combine_papay_phase_entered',
  /** Gauge: running orders per phase, counted from visibility (`WORKER_ORDER_GAUGES`). */
  ORDERS: 'combine_papay_orders',
  /** Gauge: seconds since the payment deadline of the oldest running order in a phase (0 when none). */
  OLDEST_PAST_DEADLINE: 'combine_papay_oldest_past_deadline_seconds',
  /** Disagreements between WeChat Pay's trade bill and the orders, by `kind` (one of `BillMismatchKind`). */
  BILL_MISMATCHES: 'combine_papay_bill_mismatches',
  /**
   * Gauge: the start (Unix seconds) of the latest Beijing day whose trade-bill reconciliation completed, read from
   * visibility (`WORKER_ORDER_GAUGES`); the alert fires when yesterday is not reconciled by noon.
   */
  TRADE_BILL_RECONCILED_DAY: 'combine_papay_trade_bill_reconciled_day_seconds',
} as const;

// ── End-of-day reconciliation with WeChat Pay's trade bill ──

/** Workflow type of the daily reconciliation against WeChat Pay's trade bill. */
export const TRADE_BILL_WORKFLOW_TYPE = 'tradeBillReconciliationWorkflow';
/** Id of the Temporal Schedule that starts it every day (10:30 Asia/Shanghai, for the previous day). */
export const TRADE_BILL_SCHEDULE_ID = 'combine-papay-trade-bill';

/** Input of {@link TRADE_BILL_WORKFLOW_TYPE}. */
export interface TradeBillInput {
  /**
   * The Beijing-time day (`YYYY-MM-DD`) to reconcile. Absent (the Schedule's runs): the day before the run's start,
   * in Beijing time.
   */
  billDate?: string;
  /**
   * The secondary merchants (`sub_mchid`) whose bills to check. Absent: every one that the day's orders involve, plus
   * the worker's `RECONCILE_SUB_MCHIDS`.
   */
  subMchids?: string[];
  /**
   * How long one merchant's bill is waited for — not ready yet (`STATEMENT_CREATING`, asked again every
   * `TRADE_BILL_NOT_READY_RETRY`), not to be had, or failing its SHA1 — before the day is left not reconciled
   * (duration string or ms, 1s to 7d; default 12h).
   */
  waitForBill?: string | number;
}

/** Kinds of disagreement between the trade bill and the orders. */
export const BillMismatchKind = {
  /** A SUCCESS row for a sub-order no order workflow knows: money taken, nothing tracking it. */
  PAID_WITHOUT_ORDER: 'PAID_WITHOUT_ORDER',
  /** A sub-order compensated downstream while the bill shows it paid, with no REVOKED or REFUND row. */
  PAID_BUT_COMPENSATED: 'PAID_BUT_COMPENSATED',
  /** An order kept as paid whose sub-order has no SUCCESS row. */
  ADOPTED_NOT_IN_BILL: 'ADOPTED_NOT_IN_BILL',
} as const;
/** One of {@link BillMismatchKind}. */
export type BillMismatchKind = (typeof BillMismatchKind)[keyof typeof BillMismatchKind];

/** One disagreement, with what an operator needs to act. */
export interface BillMismatch {
  kind: BillMismatchKind;
  subMchid: string;
  outTradeNo: string;
  combineOutTradeNo?: string;
  /** The order workflow's id, when an order owns the sub-order. */
  workflowId?: string;
  /** The bill row's `交易状态` (SUCCESS, REFUND, REVOKED), when a row exists. */
  billState?: string;
  /** The order's outcome (its phase), when an order owns the sub-order. */
  orderOutcome?: string;
  /** WeChat Pay's transaction id (`微信订单号`), when a row exists. */
  transactionId?: string;
  /** The row's amount in fen (`应结订单金额`), when a row exists. */
  amountFen?: number;
  /** What happened and what to do, in one sentence. */
  detail: string;
}

/** A bill line that did not parse: reported, never skipped silently. */
export interface UnreadBillLine {
  subMchid: string;
  line: number;
  problem: string;
}

/** A secondary merchant whose bill could not be reconciled (not ready in time, never verified, corrupt). */
export interface BillNotReconciled {
  subMchid: string;
  reason: string;
}

/** The result of a reconciliation (also shown in the Web UI as the run's details). */
export interface TradeBillResult {
  billDate: string;
  /** The secondary merchants checked. */
  subMerchants: number;
  /** Trade rows read from the bills. */
  rows: number;
  /** Orders of the day checked against the bills. */
  ordersChecked: number;
  /** Bill rows that agree with the outcome of the order that owns them. */
  matched: number;
  /** Rows whose order has no outcome yet, or was resolved by a person. */
  unsettled: number;
  /** Every disagreement, at most {@link MAX_REPORTED_MISMATCHES} (then `mismatchCount` says how many in all). */
  mismatches: BillMismatch[];
  mismatchCount: number;
  /** Lines that did not parse (at most {@link MAX_REPORTED_MISMATCHES}). */
  unread: UnreadBillLine[];
  /** Secondary merchants whose bill could not be reconciled: the day is not reconciled while any is listed. */
  notReconciled: BillNotReconciled[];
}

/** Most mismatches (and unread lines) a result lists; the counts stay exact. */
export const MAX_REPORTED_MISMATCHES = 500;
