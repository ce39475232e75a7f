package checkout

// The order workflow's contract by name: the only things this package knows about the workflow. Nothing here is
// shared with the project's TypeScript code; the names are the public contract.

// WorkflowType is the order workflow's type name.
const WorkflowType = "combinePapayOrderWorkflow"

// DefaultTaskQueue is the task queue of the order workers when TEMPORAL_TASK_QUEUE is not set.
const DefaultTaskQueue = "combine-papay"

// Names of the workflow's Updates, Query and Signals.
const (
	// UpdateBeginPayment announces a pay call about to be sent; accepted only while AWAITING_PAYMENT.
	UpdateBeginPayment = "beginPayment"
	// UpdateMarkPaid confirms the order paid; refused once the reversal has begun.
	UpdateMarkPaid = "markPaid"
	// QueryStatus answers the order's current OrderStatus.
	QueryStatus = "status"
	// SignalCancelOrder abandons the order: it is reconciled and reversed (once the last pay window closed).
	SignalCancelOrder = "cancelOrder"
	// SignalRetry (operator) drives the failed step of an order in NEEDS_ATTENTION again.
	SignalRetry = "retry"
	// SignalResolve (operator) closes an order in NEEDS_ATTENTION as handled by hand; it carries a note.
	SignalResolve = "resolve"
)

// WorkflowIDPrefix starts every order workflow's id.
const WorkflowIDPrefix = "combine-papay-"

// WorkflowIDFor is the workflow id of the order numbered combineOutTradeNo: "combine-papay-<combineOutTradeNo>".
func WorkflowIDFor(combineOutTradeNo string) string {
	return WorkflowIDPrefix + combineOutTradeNo
}

// Phase is an order's phase as the status Query and the result show it.
type Phase string

// The phases of a combined order.
const (
	// PhaseAwaitingPayment: the order takes beginPayment and markPaid until its deadline.
	PhaseAwaitingPayment Phase = "AWAITING_PAYMENT"
	// PhasePaid: confirmed paid (a final outcome).
	PhasePaid Phase = "PAID"
	// PhaseReversing: the deadline passed (or the order was cancelled); the order is reconciled and reversed.
	PhaseReversing Phase = "REVERSING"
	// PhaseCompensating: the reversal is confirmed; the order service is being compensated.
	PhaseCompensating Phase = "COMPENSATING"
	// PhaseReversed: reversed and compensated (a final outcome).
	PhaseReversed Phase = "REVERSED"
	// PhaseNeedsAttention: a step failed for good; an operator must retry or resolve.
	PhaseNeedsAttention Phase = "NEEDS_ATTENTION"
	// PhaseResolvedManually: an operator closed the order by hand (a final outcome).
	PhaseResolvedManually Phase = "RESOLVED_MANUALLY"
)

// OnPaidAtDeadline says what the workflow does with an order WeChat Pay shows paid once the deadline has passed.
type OnPaidAtDeadline string

const (
	// OnPaidRefund reverses (refunds) the paid order, then compensates. The default.
	OnPaidRefund OnPaidAtDeadline = "REFUND"
	// OnPaidAdopt keeps the payment: the order ends PAID (source WECHATPAY_QUERY) and is announced downstream.
	OnPaidAdopt OnPaidAtDeadline = "ADOPT"
)

// Paid sources (PaidInfo.Source).
const (
	// PaidByMarkPaid: the checkout confirmed the payment with markPaid.
	PaidByMarkPaid = "MARK_PAID"
	// PaidByWechatpayQuery: adopted from a signed WeChat Pay query at the deadline.
	PaidByWechatpayQuery = "WECHATPAY_QUERY"
)

// FailureInvalidOrderInput is the ApplicationFailure type of a workflow that refused its input.
const FailureInvalidOrderInput = "INVALID_ORDER_INPUT"

// Headers of the requests the worker sends to the order service (compensation, payment confirmation): Standard
// Webhooks v1, plus Idempotency-Key.
const (
	// HeaderWebhookID carries the message id, the idempotency key: "compensation:<combineOutTradeNo>:<outTradeNo>"
	// or "confirmation:<combineOutTradeNo>", the same on every retry.
	HeaderWebhookID = "webhook-id"
	// HeaderWebhookTimestamp carries the signing time in Unix seconds.
	HeaderWebhookTimestamp = "webhook-timestamp"
	// HeaderWebhookSignature carries "v1,<base64 HMAC-SHA256 of <id>.<timestamp>.<body>>", one per secret the worker
	// holds, space-separated.
	HeaderWebhookSignature = "webhook-signature"
	// HeaderIdempotencyKey carries the webhook-id again (not signed: the Verifier checks it equals the webhook-id).
	HeaderIdempotencyKey = "Idempotency-Key"
)
