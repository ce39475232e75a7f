package checkout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// StartedOrder is an order's workflow after StartOrder.
type StartedOrder struct {
	// WorkflowID is "combine-papay-<combineOutTradeNo>".
	WorkflowID string
	// RunID is the run started, or the existing run when AlreadyStarted.
	RunID string
	// AlreadyStarted is true when the order had been started before (running or completed): nothing new started.
	AlreadyStarted bool
}

// StartedPayment is what StartOrderAndBeginPayment returns: the order's workflow and beginPayment's answer.
type StartedPayment struct {
	// WorkflowID is "combine-papay-<combineOutTradeNo>".
	WorkflowID string
	// RunID is the run the Update reached (empty when the call failed before it was known).
	RunID string
	// AlreadyStarted is true when the order was running before this call. It is known only on a connection with
	// WatchStarts (Dial applies it); otherwise it is false.
	AlreadyStarted bool
	// Payment is beginPayment's answer (zero when refused).
	Payment BeginPaymentResult
}

// StartOrder validates input against the schema (nothing is started when it fails: *InvalidInputError), then starts
// the order's workflow. Idempotent: an order started before, running or completed, is returned with
// AlreadyStarted; one whose run ended FAILED, TERMINATED, TIMED_OUT or CANCELED is *OrderRunEndedError. A running
// order must have been started with the same input (its OrderTerms, read from its first history event): else
// *OrderInputConflictError, and the running order keeps its own. The start carries the order's search attributes
// (OrderSearchAttributes), so the workflow finds them set.
func (c *Client) StartOrder(ctx context.Context, input OrderInput, opts ...CallOption) (StartedOrder, error) {
	if err := ValidateOrderInput(input); err != nil {
		return StartedOrder{}, err
	}
	return c.start(ctx, input.CombineOutTradeNo, input, &input, OrderSearchAttributes(input), opts)
}

// StartOrderUnvalidated starts the order from raw JSON sent exactly as given, without the client's schema check and
// without search attributes (the workflow sets them when the input is an order): the workflow validates its input
// too and fails with FailureInvalidOrderInput. Meant for tests; use StartOrder.
func (c *Client) StartOrderUnvalidated(ctx context.Context, raw json.RawMessage, opts ...CallOption) (StartedOrder, error) {
	var head struct {
		CombineOutTradeNo string `json:"combineOutTradeNo"`
	}
	if err := json.Unmarshal(raw, &head); err != nil || head.CombineOutTradeNo == "" {
		return StartedOrder{}, fmt.Errorf("the order JSON needs a combineOutTradeNo string (%v)", err)
	}
	var mine *OrderInput // compared with a running order's input when it reads as one
	if input := (OrderInput{}); json.Unmarshal(raw, &input) == nil {
		mine = &input
	}
	return c.start(ctx, head.CombineOutTradeNo, raw, mine, temporal.SearchAttributes{}, opts)
}

// start starts the order with args and attrs; a running order is compared with mine (nil: not compared).
func (c *Client) start(ctx context.Context, order string, args any, mine *OrderInput, attrs temporal.SearchAttributes,
	opts []CallOption) (StartedOrder, error) {
	ctx, cancel, timeout := c.callContext(ctx, opts)
	defer cancel()
	workflowID := WorkflowIDFor(order)
	run, err := c.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                                       workflowID,
		TaskQueue:                                c.taskQueue,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes:                    attrs,
	}, WorkflowType, args)
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	switch {
	case err == nil:
		return StartedOrder{WorkflowID: workflowID, RunID: run.GetRunID()}, nil
	case errors.As(err, &already):
		runID, status, err := c.existingRun(ctx, order)
		if err == nil && mine != nil && status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			err = c.checkRunningTerms(ctx, order, runID, *mine)
		}
		var conflict *OrderInputConflictError
		if errors.As(err, &conflict) {
			return StartedOrder{WorkflowID: workflowID, RunID: runID, AlreadyStarted: true}, err
		}
		if err != nil {
			return StartedOrder{WorkflowID: workflowID}, c.callError(ctx, order, "start", timeout, err)
		}
		return StartedOrder{WorkflowID: workflowID, RunID: runID, AlreadyStarted: true}, nil
	}
	return StartedOrder{}, c.callError(ctx, order, "start", timeout, err)
}

// checkRunningTerms compares the running run's terms (from its input) with mine: *OrderInputConflictError when
// they differ.
func (c *Client) checkRunningTerms(ctx context.Context, order, runID string, mine OrderInput) error {
	running, ok, err := c.runTerms(ctx, WorkflowIDFor(order), runID)
	if err != nil || !ok {
		return err
	}
	myTerms, err := TermsOf(mine)
	if err != nil {
		return nil // an input the workflow cannot read: the new run would have failed at once; nothing to compare
	}
	if fields := TermsDifferences(running, myTerms, mine.OrderCreatedAt != ""); len(fields) > 0 {
		return &OrderInputConflictError{CombineOutTradeNo: order, Fields: fields}
	}
	return nil
}

// StartOrderAndBeginPayment validates input, then starts the order (or finds it running) and announces a pay call
// in one round trip (Update-With-Start); the start carries the order's search attributes (OrderSearchAttributes). Send the pay call only when it returns no error. The running order answers
// its terms with the announcement (workers of lifecycle 1.1 on): when they differ from input, the error is
// *OrderInputConflictError and no pay call may be sent (an order running on an older worker answers none, and is
// not compared). Errors: *UpdateRefusedError (ErrBeginPaymentRefused: reversal begun, paid, or "the order has
// ended"), *OrderInputConflictError, *OrderRunEndedError, *OrderNotAnsweringError (do not send the pay call;
// retry), *InvalidInputError.
func (c *Client) StartOrderAndBeginPayment(ctx context.Context, input OrderInput, details BeginPaymentDetails,
	opts ...CallOption) (StartedPayment, error) {
	if err := ValidateOrderInput(input); err != nil {
		return StartedPayment{}, err
	}
	order := input.CombineOutTradeNo
	out := StartedPayment{WorkflowID: WorkflowIDFor(order)}
	ctx, cancel, timeout := c.callContext(ctx, opts)
	defer cancel()
	ctx, watch := withStartWatch(ctx)
	operation := c.temporal.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       out.WorkflowID,
		TaskQueue:                c.taskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes:    OrderSearchAttributes(input),
	}, WorkflowType, input)
	handle, err := c.temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: operation,
		UpdateOptions:          beginPaymentOptions(out.WorkflowID, details),
	})
	if err == nil {
		err = handle.Get(ctx, &out.Payment)
	}
	out.AlreadyStarted = watch.seen.Load() && !watch.started.Load()
	if _, refused := refusalOf(err); err == nil || refused {
		// The start went through (a refused Update still starts the order): the run is known. Not asked otherwise:
		// the operation's Get would wait until the deadline.
		if run, runErr := operation.Get(ctx); runErr == nil {
			out.RunID = run.GetRunID()
		}
	}
	if err != nil {
		return out, c.startPaymentError(ctx, &out, order, timeout, err)
	}
	// The order answers its terms (lifecycle 1.1 on): attached to an order running with others, send no pay call.
	if fields := ConflictOf(out.Payment, input); len(fields) > 0 {
		return out, &OrderInputConflictError{CombineOutTradeNo: order, Fields: fields}
	}
	return out, nil
}

// beginPaymentOptions are the options of a beginPayment Update that waits for the workflow's answer.
func beginPaymentOptions(workflowID string, details BeginPaymentDetails) client.UpdateWorkflowOptions {
	return client.UpdateWorkflowOptions{
		WorkflowID:   workflowID,
		UpdateName:   UpdateBeginPayment,
		Args:         []any{details},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	}
}

// startPaymentError maps an Update-With-Start failure: the workflow's refusal, a closed run, or no answer in time.
func (c *Client) startPaymentError(ctx context.Context, out *StartedPayment, order string, timeout time.Duration,
	err error) error {
	if reason, ok := refusalOf(err); ok {
		return &UpdateRefusedError{CombineOutTradeNo: order, Update: UpdateBeginPayment, Reason: reason}
	}
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	if !errors.As(err, &already) {
		return c.callError(ctx, order, UpdateBeginPayment, timeout, err)
	}
	// The order's run has closed (REJECT_DUPLICATE): it takes no pay call. A run ended without outcome is named.
	runID, _, descErr := c.existingRun(ctx, order)
	if descErr != nil {
		return c.callError(ctx, order, UpdateBeginPayment, timeout, descErr)
	}
	out.RunID, out.AlreadyStarted = runID, true
	return &UpdateRefusedError{CombineOutTradeNo: order, Update: UpdateBeginPayment,
		Reason: "beginPayment refused: the order has ended"}
}
