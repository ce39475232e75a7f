package checkout

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinels for errors.Is; each typed error below matches its sentinel, and errors.As gives its details.
var (
	// ErrInvalidInput: the order input broke the schema; nothing was started (*InvalidInputError).
	ErrInvalidInput = errors.New("invalid order input")
	// ErrBeginPaymentRefused: the order takes no pay call; do not send it (*UpdateRefusedError).
	ErrBeginPaymentRefused = errors.New("beginPayment refused")
	// ErrMarkPaidRefused: the reversal has begun; any money taken comes back through it (*UpdateRefusedError).
	ErrMarkPaidRefused = errors.New("markPaid refused")
	// ErrOrderRunEnded: the order's run ended without an outcome; nobody reverses it (*OrderRunEndedError).
	ErrOrderRunEnded = errors.New("order run ended")
	// ErrOrderNotAnswering: no answer within the call's deadline (*OrderNotAnsweringError).
	ErrOrderNotAnswering = errors.New("order not answering")
	// ErrOrderFailed: the workflow failed instead of returning a result (*OrderFailedError).
	ErrOrderFailed = errors.New("order failed")
	// ErrOrderInputConflict: the order runs with another input; do not send the pay call
	// (*OrderInputConflictError).
	ErrOrderInputConflict = errors.New("order input conflict")
)

// OrderInputConflictError is a start or Update-With-Start that reached the order running with another input: the
// Fields differ from the running order's. The running order keeps its own input; nothing was changed. Send no pay
// call on this input: find out which input is right (two checkouts using one order number, or a changed order
// re-sent under its old number).
type OrderInputConflictError struct {
	// CombineOutTradeNo is the order.
	CombineOutTradeNo string
	// Fields are the input fields that differ, by input name, in the contract's order: combineAppid, subOrders,
	// paymentTimeout, orderCreatedAt, payWindow, onPaidAtDeadline.
	Fields []string
}

// Error names the order and the fields, and says what to do.
func (e *OrderInputConflictError) Error() string {
	return fmt.Sprintf("order %s is already running with other terms: %s differ from this call's input. The running "+
		"order keeps its own; send no pay call on this input (check which is right)",
		e.CombineOutTradeNo, strings.Join(e.Fields, ", "))
}

// Is matches ErrOrderInputConflict.
func (e *OrderInputConflictError) Is(target error) bool { return target == ErrOrderInputConflict }

// InputIssue is one schema violation: where (a JSON pointer into the input) and what.
type InputIssue struct {
	// Pointer is the JSON pointer of the offending value, "/" for the input itself.
	Pointer string
	// Message says what is wrong, e.g. "length must be <= 32, but got 33".
	Message string
}

// InvalidInputError is an order input the JSON Schema refused; Issues name every bad field.
type InvalidInputError struct {
	// Issues are the violations, in the validator's order.
	Issues []InputIssue
}

// Error is "invalid order input: <pointer>: <message>; ...".
func (e *InvalidInputError) Error() string {
	parts := make([]string, 0, len(e.Issues))
	for _, issue := range e.Issues {
		parts = append(parts, issue.Pointer+": "+issue.Message)
	}
	return "invalid order input: " + strings.Join(parts, "; ")
}

// Is matches ErrInvalidInput.
func (e *InvalidInputError) Is(target error) bool { return target == ErrInvalidInput }

// UpdateRefusedError is an Update the order refused; Reason is the workflow's own message.
type UpdateRefusedError struct {
	// CombineOutTradeNo is the order.
	CombineOutTradeNo string
	// Update is UpdateBeginPayment or UpdateMarkPaid.
	Update string
	// Reason is the workflow's message, e.g. "beginPayment refused: the order is REVERSING ...".
	Reason string
}

// Error is the workflow's reason.
func (e *UpdateRefusedError) Error() string { return e.Reason }

// Is matches ErrBeginPaymentRefused or ErrMarkPaidRefused, by the Update refused.
func (e *UpdateRefusedError) Is(target error) bool {
	return (target == ErrBeginPaymentRefused && e.Update == UpdateBeginPayment) ||
		(target == ErrMarkPaidRefused && e.Update == UpdateMarkPaid)
}

// OrderRunEndedError is an order whose workflow ended FAILED, TERMINATED, TIMED_OUT or CANCELED: it will not be
// reversed. Never hidden: find the cause, then handle the order by hand or start a new run.
type OrderRunEndedError struct {
	// CombineOutTradeNo is the order.
	CombineOutTradeNo string
	// WorkflowID is the order's workflow.
	WorkflowID string
	// RunStatus is FAILED, TERMINATED, TIMED_OUT or CANCELED.
	RunStatus string
}

// Error names the order, the workflow and the status.
func (e *OrderRunEndedError) Error() string {
	return fmt.Sprintf("order run ended: order %s has a workflow (%s) that ended %s: it will not be reversed; "+
		"handle the order by hand or start a new run once the cause is understood",
		e.CombineOutTradeNo, e.WorkflowID, e.RunStatus)
}

// Is matches ErrOrderRunEnded.
func (e *OrderRunEndedError) Is(target error) bool { return target == ErrOrderRunEnded }

// OrderNotAnsweringError is a call that had no answer within its deadline: no worker polls the order's task
// queue, or the Temporal service is unreachable. Every call is idempotent: retry it. For beginPayment it means:
// do not send the pay call.
type OrderNotAnsweringError struct {
	// CombineOutTradeNo is the order.
	CombineOutTradeNo string
	// Call is the Update, Query, Signal or "start" that had no answer.
	Call string
	// Timeout is the deadline the call had.
	Timeout time.Duration
	// Cause is the SDK's error.
	Cause error
}

// Error is "no worker answered <call> for order X within N ms; [do not send the pay call; ]retry".
func (e *OrderNotAnsweringError) Error() string {
	advice := "retry"
	if e.Call == UpdateBeginPayment {
		advice = "do not send the pay call; retry"
	}
	return fmt.Sprintf("no worker answered %s for order %s within %d ms; %s",
		e.Call, e.CombineOutTradeNo, e.Timeout.Milliseconds(), advice)
}

// Unwrap is the SDK's error.
func (e *OrderNotAnsweringError) Unwrap() error { return e.Cause }

// Is matches ErrOrderNotAnswering.
func (e *OrderNotAnsweringError) Is(target error) bool { return target == ErrOrderNotAnswering }

// OrderFailedError is a workflow that failed instead of returning its result.
type OrderFailedError struct {
	// CombineOutTradeNo is the order.
	CombineOutTradeNo string
	// Type is the ApplicationFailure type (e.g. FailureInvalidOrderInput), or TERMINATED, TIMED_OUT, CANCELED.
	Type string
	// Message is the failure's message.
	Message string
	// Cause is the SDK's error.
	Cause error
}

// Error is "<type>: <message>".
func (e *OrderFailedError) Error() string { return e.Type + ": " + e.Message }

// Unwrap is the SDK's error.
func (e *OrderFailedError) Unwrap() error { return e.Cause }

// Is matches ErrOrderFailed.
func (e *OrderFailedError) Is(target error) bool { return target == ErrOrderFailed }
