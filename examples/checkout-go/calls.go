package checkout

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// BeginPayment announces a pay call: call it right before each pay call to WeChat Pay, and send the pay call only
// when it returns no error. Refused (*UpdateRefusedError, ErrBeginPaymentRefused) once the reversal has begun, the
// order is paid or has ended; *OrderNotAnsweringError when no worker answered in time (do not send the pay call).
func (c *Client) BeginPayment(ctx context.Context, combineOutTradeNo string, details BeginPaymentDetails,
	opts ...CallOption) (BeginPaymentResult, error) {
	ctx, cancel, timeout := c.callContext(ctx, opts)
	defer cancel()
	var result BeginPaymentResult
	err := c.runUpdate(ctx, beginPaymentOptions(WorkflowIDFor(combineOutTradeNo), details), &result)
	if err == nil {
		return result, nil
	}
	return result, c.updateError(ctx, combineOutTradeNo, UpdateBeginPayment, timeout, err)
}

// MarkPaid confirms the order paid. Idempotent: confirming an order that already ended PAID answers as the first
// time did. Refused (*UpdateRefusedError, ErrMarkPaidRefused) once the reversal has begun or the order was
// reversed; *OrderNotAnsweringError when no worker answered in time (retry).
func (c *Client) MarkPaid(ctx context.Context, combineOutTradeNo string, details MarkPaidDetails,
	opts ...CallOption) (MarkPaidResult, error) {
	ctx, cancel, timeout := c.callContext(ctx, opts)
	defer cancel()
	var result MarkPaidResult
	err := c.runUpdate(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   WorkflowIDFor(combineOutTradeNo),
		UpdateName:   UpdateMarkPaid,
		Args:         []any{details},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	}, &result)
	if err == nil {
		return result, nil
	}
	err = c.updateError(ctx, combineOutTradeNo, UpdateMarkPaid, timeout, err)
	if refused := (*UpdateRefusedError)(nil); errors.As(err, &refused) && refused.Reason == orderEnded(UpdateMarkPaid) {
		// The workflow has finished (e.g. an earlier markPaid whose answer was lost): its result tells the truth.
		return c.markPaidFromResult(ctx, combineOutTradeNo, timeout)
	}
	return result, err
}

// markPaidFromResult answers markPaid for a completed order from its result.
func (c *Client) markPaidFromResult(ctx context.Context, order string, timeout time.Duration) (MarkPaidResult, error) {
	result, err := c.Result(ctx, order)
	if err != nil {
		return MarkPaidResult{}, c.callError(ctx, order, UpdateMarkPaid, timeout, err)
	}
	if result.Outcome == PhasePaid && result.Paid != nil {
		return MarkPaidResult{Phase: PhasePaid, PaidAt: result.Paid.At}, nil
	}
	return MarkPaidResult{}, &UpdateRefusedError{CombineOutTradeNo: order, Update: UpdateMarkPaid,
		Reason: "markPaid refused: the order already ended " + string(result.Outcome)}
}

// runUpdate sends an Update and waits for its answer into out.
func (c *Client) runUpdate(ctx context.Context, options client.UpdateWorkflowOptions, out any) error {
	handle, err := c.temporal.UpdateWorkflow(ctx, options)
	if err == nil {
		err = handle.Get(ctx, out)
	}
	return err
}

// updateError maps an Update's failure: the workflow's refusal, an order that has ended, or no answer in time.
func (c *Client) updateError(ctx context.Context, order, update string, timeout time.Duration, err error) error {
	if reason, ok := refusalOf(err); ok {
		return &UpdateRefusedError{CombineOutTradeNo: order, Update: update, Reason: reason}
	}
	if timedOut(ctx, err) {
		return c.callError(ctx, order, update, timeout, err)
	}
	// Not a refusal: a finished workflow takes no Update.
	_, status, descErr := c.existingRun(ctx, order)
	if descErr != nil {
		var ended *OrderRunEndedError
		if errors.As(descErr, &ended) {
			return descErr
		}
		return c.callError(ctx, order, update, timeout, err)
	}
	if status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return &UpdateRefusedError{CombineOutTradeNo: order, Update: update, Reason: orderEnded(update)}
	}
	return c.callError(ctx, order, update, timeout, err)
}

// orderEnded is the refusal of an Update to a completed order.
func orderEnded(update string) string { return update + " refused: the order has ended" }

// refusalOf is the workflow's reason when an Update was refused by its validator or handler.
func refusalOf(err error) (string, bool) {
	var refusal *temporal.ApplicationError
	if errors.As(err, &refusal) {
		return refusal.Message(), true
	}
	return "", false
}

// OrderStatus reads the order's current status (the status Query; works for finished orders too, while their
// history is retained). *OrderNotAnsweringError when no worker answered in time.
func (c *Client) OrderStatus(ctx context.Context, combineOutTradeNo string, opts ...CallOption) (OrderStatus, error) {
	ctx, cancel, timeout := c.callContext(ctx, opts)
	defer cancel()
	var status OrderStatus
	value, err := c.temporal.QueryWorkflow(ctx, WorkflowIDFor(combineOutTradeNo), "", QueryStatus)
	if err == nil {
		err = value.Get(&status.Raw)
	}
	if err == nil {
		err = json.Unmarshal(status.Raw, &status)
	}
	return status, c.callError(ctx, combineOutTradeNo, QueryStatus, timeout, err)
}

// CancelOrder abandons the order (the cancelOrder Signal): it is reconciled and reversed once the last pay
// window has closed. reason may be empty.
func (c *Client) CancelOrder(ctx context.Context, combineOutTradeNo, reason string, opts ...CallOption) error {
	ctx, cancel, timeout := c.callContext(ctx, opts)
	defer cancel()
	var arg any // no reason: a null payload, which the workflow reads as none
	if reason != "" {
		arg = reason
	}
	err := c.temporal.SignalWorkflow(ctx, WorkflowIDFor(combineOutTradeNo), "", SignalCancelOrder, arg)
	return c.callError(ctx, combineOutTradeNo, SignalCancelOrder, timeout, err)
}

// Result waits for the workflow's result, as long as ctx allows (no default deadline: an order may take minutes).
// A failed workflow is *OrderFailedError with its ApplicationFailure type (e.g. FailureInvalidOrderInput), or
// TERMINATED, TIMED_OUT, CANCELED.
func (c *Client) Result(ctx context.Context, combineOutTradeNo string) (OrderResult, error) {
	var result OrderResult
	err := c.temporal.GetWorkflow(ctx, WorkflowIDFor(combineOutTradeNo), "").Get(ctx, &result.Raw)
	if err == nil {
		return result, json.Unmarshal(result.Raw, &result)
	}
	failed := &OrderFailedError{CombineOutTradeNo: combineOutTradeNo, Message: err.Error(), Cause: err}
	var application *temporal.ApplicationError
	var terminated *temporal.TerminatedError
	var timeout *temporal.TimeoutError
	var canceled *temporal.CanceledError
	switch {
	case errors.As(err, &application):
		failed.Type, failed.Message = application.Type(), application.Message()
	case errors.As(err, &terminated):
		failed.Type = "TERMINATED"
	case errors.As(err, &timeout):
		failed.Type = "TIMED_OUT"
	case errors.As(err, &canceled):
		failed.Type = "CANCELED"
	default:
		return result, err
	}
	return result, failed
}

// existingRun describes the order's current run: its run id and status. A run that ended without an outcome is
// *OrderRunEndedError.
func (c *Client) existingRun(ctx context.Context, order string) (string, enumspb.WorkflowExecutionStatus, error) {
	workflowID := WorkflowIDFor(order)
	described, err := c.temporal.DescribeWorkflowExecution(ctx, workflowID, "")
	if err != nil {
		return "", 0, err
	}
	info := described.GetWorkflowExecutionInfo()
	status := info.GetStatus()
	switch status {
	case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED,
		enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT, enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED:
		return info.GetExecution().GetRunId(), status, &OrderRunEndedError{
			CombineOutTradeNo: order, WorkflowID: workflowID, RunStatus: statusName(status)}
	}
	return info.GetExecution().GetRunId(), status, nil
}

// statusName is a run status as the Temporal CLI prints it: RUNNING, COMPLETED, FAILED, ...
func statusName(status enumspb.WorkflowExecutionStatus) string {
	return strings.TrimPrefix(enumspb.WorkflowExecutionStatus_name[int32(status)], "WORKFLOW_EXECUTION_STATUS_")
}
