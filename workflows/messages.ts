/** The workflow's messages (**contract**): names are explicit and stable; outside clients use them verbatim. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { BeginPaymentDetails, BeginPaymentResult, MarkPaidDetails, MarkPaidResult, OrderStatus } from './types';

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
