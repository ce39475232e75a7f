/**
 * The client package's entry point (`combine-papay-client`, client/package.json): what a checkout service imports.
 * Start an order's workflow (alone, or with the first pay-call announcement in one round trip), announce pay calls,
 * confirm payment, cancel, read the status, and the operator's retry and resolve; typed errors; the contract's names
 * and shapes for clients in any language; the order service's webhook verification.
 *
 * @example
 * ```ts
 * import { startOrderAndBeginPayment, markPaid } from 'combine-papay-client';
 * const { payment } = await startOrderAndBeginPayment(client, input); // then send the pay call
 * await markPaid(client, input.combineOutTradeNo, { transactionId });  // on WeChat Pay's notification
 * ```
 */
export {
  checkOrderInput,
  orderDetails,
  orderSummary,
  payWindowFloorMs,
  startOrder,
  startOrderAndBeginPayment,
  type StartAndPayOptions,
  type StartedOrder,
  type StartedPayment,
  type StartOptions,
} from './start';
export {
  beginPayment,
  cancelOrder,
  listOrders,
  markPaid,
  orderStatus,
  resolveOrder,
  retryOrder,
  type OrderListEntry,
} from './orders';
export { callTimeoutMs, DEFAULT_CALL_TIMEOUT_MS, type CallOptions } from './deadline';
export {
  BeginPaymentRefusedError,
  MarkPaidRefusedError,
  OrderInputConflictError,
  OrderInputError,
  OrderNotAnsweringError,
  OrderRunEndedError,
  OrderUpdateRefusedError,
} from './errors';
export { RestartInputMismatchError } from './restart';
export {
  describeTradeBillSchedule,
  ensureTradeBillSchedule,
  pauseTradeBillSchedule,
  reconciliationResult,
  startReconciliation,
  TRADE_BILL_SCHEDULE_SPEC,
} from './trade-bill';
export {
  DOWNSTREAM_MAX_SKEW_SECONDS,
  DOWNSTREAM_REFUSAL_STATUS,
  DownstreamRefusal,
  expectedWebhookId,
  verifyDownstreamRequest,
  type CompensationWebhookData,
  type ConfirmationWebhookData,
  type DownstreamRequest,
  type DownstreamVerdict,
  type DownstreamWebhook,
  type DownstreamWebhookData,
} from './verify-downstream';
export {
  beginPaymentUpdate,
  cancelOrderSignal,
  CombineOutTradeNoKey,
  CompensationReason,
  compensationWebhookId,
  confirmationWebhookId,
  DEFAULT_TASK_QUEUE,
  DownstreamEventType,
  DownstreamHeaders,
  ErrorType,
  markPaidUpdate,
  OnPaidAtDeadline,
  OrderPhase,
  PaymentDeadlineKey,
  PaymentPhaseKey,
  resolveSignal,
  retrySignal,
  statusQuery,
  SubMchIdsKey,
  SubOutTradeNosKey,
  BillMismatchKind,
  TRADE_BILL_SCHEDULE_ID,
  TRADE_BILL_WORKFLOW_TYPE,
  TradeBillDateKey,
  WORKFLOW_TYPE,
  workflowIdFor,
  type BeginPaymentDetails,
  type BeginPaymentResult,
  type CompensationRequest,
  type DownstreamPurpose,
  type MarkPaidDetails,
  type MarkPaidResult,
  type OrderInput,
  type OrderResult,
  type OrderStatus,
  type OrderTerms,
  type PaymentConfirmationRequest,
  type RetrySettings,
  type SubOrderInput,
  type SubOrderStatus,
  type BillMismatch,
  type TradeBillInput,
  type TradeBillResult,
} from '../workflows/contract';
