package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	checkout "example.com/checkout-go"
)

// session drives one order through the typed client.
type session struct {
	c *checkout.Client
}

// run executes an order mode (input: the validated text, except for start-unchecked) and returns the exit code.
func (s *session) run(ctx context.Context, mode string, text []byte, input checkout.OrderInput) (int, error) {
	if mode == "start-unchecked" {
		started, err := s.c.StartOrderUnvalidated(ctx, text)
		if err != nil {
			return exitError, err
		}
		printStarted(started)
		return s.finish(ctx, started.WorkflowID, orderNoOf(started.WorkflowID))
	}
	var err error
	switch mode {
	case "start":
		started, err := s.c.StartOrder(ctx, input)
		if err != nil {
			return exitError, err
		}
		printStarted(started)
	case "pay":
		err = s.pay(ctx, input)
	case "timeout":
		err = s.timeout(ctx, input)
	}
	if err != nil {
		return exitError, err
	}
	return s.finish(ctx, checkout.WorkflowIDFor(input.CombineOutTradeNo), input.CombineOutTradeNo)
}

// orderNoOf is the order number in a workflow id.
func orderNoOf(workflowID string) string { return workflowID[len(checkout.WorkflowIDPrefix):] }

// printStarted prints STARTED {workflowId, runId} or ALREADY_STARTED {workflowId}.
func printStarted(started checkout.StartedOrder) {
	if started.AlreadyStarted {
		emit("ALREADY_STARTED", map[string]string{"workflowId": started.WorkflowID})
		return
	}
	emit("STARTED", map[string]string{"workflowId": started.WorkflowID, "runId": started.RunID})
}

// startAndBeginPayment starts the order and announces the first pay call in one round trip. It returns false when
// the workflow refused the announcement (the reason is printed): then no pay call may be sent.
func (s *session) startAndBeginPayment(ctx context.Context, input checkout.OrderInput) (bool, error) {
	started, err := s.c.StartOrderAndBeginPayment(ctx, input, checkout.BeginPaymentDetails{AttemptID: "attempt-1"})
	if started.RunID != "" || err == nil {
		printStarted(checkout.StartedOrder{
			WorkflowID: started.WorkflowID, RunID: started.RunID, AlreadyStarted: started.AlreadyStarted})
	}
	if refused(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	emit("BEGIN_PAYMENT", started.Payment)
	return true, nil
}

// pay: start + beginPayment, the pay call (simulated: it answers paid), markPaid.
func (s *session) pay(ctx context.Context, input checkout.OrderInput) error {
	ok, err := s.startAndBeginPayment(ctx, input)
	if !ok || err != nil {
		return err
	}
	transactionID := fmt.Sprintf("42000000%d", time.Now().UnixMilli())
	emit("PAY_CALL", map[string]string{"answer": "SUCCESS", "transactionId": transactionID})
	return s.markPaid(ctx, input.CombineOutTradeNo,
		checkout.MarkPaidDetails{TransactionID: transactionID, Source: "pay-response"})
}

// timeout: start + beginPayment, the pay call's answer is lost (so no markPaid); the workflow's deadline decides.
// Once the order has left AWAITING_PAYMENT, a retried pay call is refused and a late confirmation cannot win.
func (s *session) timeout(ctx context.Context, input checkout.OrderInput) error {
	order := input.CombineOutTradeNo
	ok, err := s.startAndBeginPayment(ctx, input)
	if !ok || err != nil {
		return err
	}
	emit("PAY_CALL", map[string]string{"answer": "TIMEOUT"})
	if err := s.awaitPhaseChange(ctx, order, checkout.PhaseAwaitingPayment, 5*time.Minute); err != nil {
		return err
	}
	payment, err := s.c.BeginPayment(ctx, order, checkout.BeginPaymentDetails{AttemptID: "attempt-2"})
	if !refused(err) {
		if err == nil {
			emit("BEGIN_PAYMENT", payment)
			return errors.New("beginPayment was accepted after the order left AWAITING_PAYMENT")
		}
		return err
	}
	return s.markPaid(ctx, order, checkout.MarkPaidDetails{Source: "late-query"})
}

// markPaid confirms the order paid and prints MARK_PAID, or REFUSED with the workflow's reason.
func (s *session) markPaid(ctx context.Context, order string, details checkout.MarkPaidDetails) error {
	result, err := s.c.MarkPaid(ctx, order, details)
	if refused(err) {
		return nil
	}
	if err == nil {
		emit("MARK_PAID", result)
	}
	return err
}

// refused prints "REFUSED <update>: <reason>" and returns true when err is the workflow refusing an Update.
func refused(err error) bool {
	var refusal *checkout.UpdateRefusedError
	if !errors.As(err, &refusal) {
		return false
	}
	fmt.Printf("REFUSED %s: %s\n", refusal.Update, refusal.Reason)
	return true
}

// awaitPhaseChange polls the status Query until the order leaves phase, then prints PHASE <new phase>.
func (s *session) awaitPhaseChange(ctx context.Context, order string, phase checkout.Phase, limit time.Duration) error {
	for until := time.Now().Add(limit); time.Now().Before(until); time.Sleep(50 * time.Millisecond) {
		status, err := s.c.OrderStatus(ctx, order)
		if err != nil {
			return err
		}
		if status.Phase != phase {
			fmt.Println("PHASE " + string(status.Phase))
			return nil
		}
	}
	return fmt.Errorf("the order did not leave %s within %s", phase, limit)
}

// finish prints the status Query's answer, then waits for the result: RESULT (exit 0) or FAILED (exit 2).
func (s *session) finish(ctx context.Context, workflowID, order string) (int, error) {
	status, err := s.c.OrderStatus(ctx, order)
	if err != nil {
		// A workflow that failed at once (bad input) never installed its query handler.
		fmt.Println("STATUS_UNAVAILABLE " + err.Error())
	} else {
		emit("STATUS", status.Raw)
	}
	result, err := s.c.Result(ctx, order)
	var failed *checkout.OrderFailedError
	switch {
	case errors.As(err, &failed):
		fmt.Printf("FAILED %s: %s\n", failed.Type, failed.Message)
		return exitFailed, nil
	case err != nil:
		return exitError, fmt.Errorf("%s: %w", workflowID, err)
	}
	emit("RESULT", result.Raw)
	return exitOK, nil
}
