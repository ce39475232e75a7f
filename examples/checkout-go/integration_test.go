package checkout_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	checkout "example.com/checkout-go"
	"go.temporal.io/api/serviceerror"
)

// These tests drive the real order worker. They run only when TEMPORAL_TASK_QUEUE names its task queue, and
// connect through the Temporal environment configuration exactly as the template does.

// dial connects like a checkout would, or skips the test when no worker is configured.
func dial(t *testing.T, opts checkout.Options) *checkout.Client {
	t.Helper()
	if os.Getenv(checkout.TaskQueueEnv) == "" {
		t.Skip("integration test skipped: set TEMPORAL_TASK_QUEUE to the order worker's task queue (e.g. " +
			"combine-papay) and TEMPORAL_ADDRESS / TEMPORAL_* to reach its Temporal service")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := checkout.Dial(ctx, opts)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// orderInput is a valid order, unique per run, whose deadline falls dueIn from now (created 20 s ago).
func orderInput(dueIn time.Duration) checkout.OrderInput {
	no := fmt.Sprintf("GT%d%04d", time.Now().UnixMilli(), rand.IntN(10_000))
	return checkout.OrderInput{
		CombineOutTradeNo: no,
		CombineAppid:      "wxd678efh567hg6787",
		SubOrders: []checkout.SubOrder{
			{Mchid: "1900000109", OutTradeNo: no[:min(len(no), 28)] + "S1", SubMchid: "1900000001"},
			{Mchid: "1900000109", OutTradeNo: no[:min(len(no), 28)] + "S2", SubMchid: "1900000002"},
		},
		PaymentTimeout: checkout.FromDuration(20*time.Second + dueIn),
		OrderCreatedAt: checkout.FormatTime(time.Now().Add(-20 * time.Second)),
		PayWindow:      checkout.DurationText("2s"),
	}
}

// resultWithin waits for the order's result for at most limit.
func resultWithin(t *testing.T, c *checkout.Client, order string, limit time.Duration) (checkout.OrderResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	return c.Result(ctx, order)
}

func TestIntegrationPayWithUpdateWithStart(t *testing.T) {
	t.Parallel()
	c := dial(t, checkout.Options{})
	ctx := context.Background()
	input := orderInput(60 * time.Second)
	started, err := c.StartOrderAndBeginPayment(ctx, input, checkout.BeginPaymentDetails{AttemptID: "attempt-1"})
	if err != nil {
		t.Fatalf("startOrderAndBeginPayment: %v", err)
	}
	if started.AlreadyStarted || started.RunID == "" || started.Payment.Payments != 1 ||
		started.WorkflowID != "combine-papay-"+input.CombineOutTradeNo {
		t.Fatalf("unexpected start: %+v", started)
	}
	if _, err := time.Parse(time.RFC3339, started.Payment.ReverseNotBefore); err != nil {
		t.Fatalf("reverseNotBefore: %v", err)
	}
	paid, err := c.MarkPaid(ctx, input.CombineOutTradeNo, checkout.MarkPaidDetails{TransactionID: "4200000001", Source: "pay-response"})
	if err != nil || paid.Phase != checkout.PhasePaid || paid.PaidAt == "" {
		t.Fatalf("markPaid: %+v, %v", paid, err)
	}
	status, err := c.OrderStatus(ctx, input.CombineOutTradeNo)
	if err != nil || status.Phase != checkout.PhasePaid || status.Payments == nil || status.Payments.Count != 1 ||
		status.Paid == nil || status.Paid.Source != checkout.PaidByMarkPaid || len(status.SubOrders) != 2 {
		t.Fatalf("status: %+v, %v", status, err)
	}
	result, err := resultWithin(t, c, input.CombineOutTradeNo, 30*time.Second)
	if err != nil || result.Outcome != checkout.PhasePaid || result.CombineOutTradeNo != input.CombineOutTradeNo ||
		result.Paid == nil || result.Paid.Details == nil || result.Paid.Details.TransactionID != "4200000001" {
		t.Fatalf("result: %+v, %v", result, err)
	}
	again, err := c.MarkPaid(ctx, input.CombineOutTradeNo, checkout.MarkPaidDetails{Source: "query"})
	if err != nil || again.PaidAt != paid.PaidAt {
		t.Fatalf("markPaid on the paid order must answer as the first time: %+v, %v", again, err)
	}

	// Update-With-Start on the completed order: refused, the order has ended; nothing new started.
	ended, err := c.StartOrderAndBeginPayment(ctx, input, checkout.BeginPaymentDetails{AttemptID: "attempt-2"})
	var refusal *checkout.UpdateRefusedError
	if !errors.As(err, &refusal) || !errors.Is(err, checkout.ErrBeginPaymentRefused) ||
		!strings.Contains(refusal.Reason, "has ended") || !ended.AlreadyStarted || ended.RunID != started.RunID {
		t.Fatalf("want a refusal naming the ended order, got %+v, %v", ended, err)
	}
}

func TestIntegrationStartOrderIsIdempotent(t *testing.T) {
	t.Parallel()
	c := dial(t, checkout.Options{})
	ctx := context.Background()
	input := orderInput(60 * time.Second)
	first, err := c.StartOrder(ctx, input)
	if err != nil || first.AlreadyStarted || first.RunID == "" {
		t.Fatalf("first start: %+v, %v", first, err)
	}
	second, err := c.StartOrder(ctx, input)
	if err != nil || !second.AlreadyStarted || second.RunID != first.RunID {
		t.Fatalf("second start: %+v, %v", second, err)
	}
	// Leave no order waiting: cancel it, and see the cancellation in the status.
	if err := c.CancelOrder(ctx, input.CombineOutTradeNo, "integration test"); err != nil {
		t.Fatalf("cancelOrder: %v", err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		status, err := c.OrderStatus(ctx, input.CombineOutTradeNo)
		if err == nil && status.Cancelled != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cancellation never showed: %+v, %v", status, err)
		}
	}
}

func TestIntegrationInvalidInputStartsNothing(t *testing.T) {
	t.Parallel()
	c := dial(t, checkout.Options{})
	ctx := context.Background()
	input := orderInput(60 * time.Second)
	input.CombineOutTradeNo = strings.Repeat("X", 33)
	_, err := c.StartOrder(ctx, input)
	var invalid *checkout.InvalidInputError
	if !errors.As(err, &invalid) || !strings.Contains(err.Error(), "/combineOutTradeNo") {
		t.Fatalf("want an error naming /combineOutTradeNo, got %v", err)
	}
	_, err = c.StartOrderAndBeginPayment(ctx, input, checkout.BeginPaymentDetails{})
	if !errors.As(err, &invalid) {
		t.Fatalf("Update-With-Start must validate too: %v", err)
	}
	_, err = c.Temporal().DescribeWorkflowExecution(ctx, checkout.WorkflowIDFor(input.CombineOutTradeNo), "")
	var notFound *serviceerror.NotFound
	if !errors.As(err, &notFound) {
		t.Fatalf("no workflow may exist for the invalid order, describe said %v", err)
	}
}

func TestIntegrationNoWorkerMeansOrderNotAnswering(t *testing.T) {
	t.Parallel()
	queue := fmt.Sprintf("nobody-polls-%d-%d", time.Now().UnixNano(), rand.IntN(1_000_000))
	c := dial(t, checkout.Options{TaskQueue: queue})
	ctx := context.Background()
	input := orderInput(60 * time.Second)
	started, err := c.StartOrder(ctx, input)
	if err != nil {
		t.Fatalf("start on %s: %v", queue, err)
	}
	t.Cleanup(func() {
		_ = c.Temporal().TerminateWorkflow(context.Background(), started.WorkflowID, "", "integration test: nobody polls")
	})
	began := time.Now()
	_, err = c.BeginPayment(ctx, input.CombineOutTradeNo, checkout.BeginPaymentDetails{}, checkout.WithTimeout(time.Second))
	elapsed := time.Since(began)
	var notAnswering *checkout.OrderNotAnsweringError
	if !errors.As(err, &notAnswering) || notAnswering.Call != checkout.UpdateBeginPayment ||
		!strings.Contains(err.Error(), "do not send the pay call") {
		t.Fatalf("want OrderNotAnsweringError, got %v", err)
	}
	if elapsed < 900*time.Millisecond || elapsed > 3*time.Second {
		t.Fatalf("the 1 s deadline took %v", elapsed)
	}
	deadlineCtx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if _, err := c.OrderStatus(deadlineCtx, input.CombineOutTradeNo); !errors.Is(err, checkout.ErrOrderNotAnswering) {
		t.Fatalf("the status Query under a 1 s context deadline: want ErrOrderNotAnswering, got %v", err)
	}
}

func TestIntegrationUnpaidOrderRefusesPaymentAfterItsDeadline(t *testing.T) {
	t.Parallel()
	c := dial(t, checkout.Options{})
	ctx := context.Background()
	input := orderInput(3 * time.Second)
	if _, err := c.StartOrderAndBeginPayment(ctx, input, checkout.BeginPaymentDetails{AttemptID: "attempt-1"}); err != nil {
		t.Fatalf("startOrderAndBeginPayment: %v", err)
	}
	var status checkout.OrderStatus
	for limit := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var err error
		status, err = c.OrderStatus(ctx, input.CombineOutTradeNo)
		if err != nil {
			t.Fatalf("status: %v", err)
		}
		if status.Phase != checkout.PhaseAwaitingPayment {
			break
		}
		if time.Now().After(limit) {
			t.Fatal("the order stayed AWAITING_PAYMENT 30 s past its deadline")
		}
	}
	_, err := c.BeginPayment(ctx, input.CombineOutTradeNo, checkout.BeginPaymentDetails{AttemptID: "attempt-2"})
	if !errors.Is(err, checkout.ErrBeginPaymentRefused) {
		t.Fatalf("phase %s: want beginPayment refused, got %v", status.Phase, err)
	}
	_, err = c.MarkPaid(ctx, input.CombineOutTradeNo, checkout.MarkPaidDetails{Source: "late-query"})
	if !errors.Is(err, checkout.ErrMarkPaidRefused) {
		t.Fatalf("want markPaid refused after the deadline, got %v", err)
	}
}

// otherTerms is the same order with other terms: another app id, one sub-order fewer, another pay window.
func otherTerms(input checkout.OrderInput) checkout.OrderInput {
	other := input
	other.CombineAppid = "wx0000000000000000"
	other.SubOrders = input.SubOrders[:1]
	other.PayWindow = checkout.DurationText("3s")
	return other
}

// terminateAtCleanup ends the order's workflow when the test ends.
func terminateAtCleanup(t *testing.T, c *checkout.Client, order string) {
	t.Cleanup(func() {
		_ = c.Temporal().TerminateWorkflow(context.Background(), checkout.WorkflowIDFor(order), "",
			"integration test cleanup")
	})
}

func TestIntegrationStartFindingTheOrderRunningWithAnotherInputIsRefused(t *testing.T) {
	t.Parallel()
	c := dial(t, checkout.Options{})
	ctx := context.Background()
	input := orderInput(10 * time.Minute)
	first, err := c.StartOrder(ctx, input)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	terminateAtCleanup(t, c, input.CombineOutTradeNo)
	expectConflict := func(what string, err error, fields ...string) {
		t.Helper()
		var conflict *checkout.OrderInputConflictError
		if !errors.As(err, &conflict) || !errors.Is(err, checkout.ErrOrderInputConflict) ||
			strings.Join(conflict.Fields, ",") != strings.Join(fields, ",") ||
			conflict.CombineOutTradeNo != input.CombineOutTradeNo {
			t.Fatalf("%s: want a conflict naming %v, got %v", what, fields, err)
		}
	}
	_, err = c.StartOrder(ctx, otherTerms(input))
	expectConflict("other terms", err, "combineAppid", "subOrders", "payWindow")
	created, _ := time.Parse(time.RFC3339, input.OrderCreatedAt)
	later := input
	later.OrderCreatedAt = checkout.FormatTime(created.Add(time.Second))
	_, err = c.StartOrder(ctx, later)
	expectConflict("another creation time", err, "orderCreatedAt")
	raw := fmt.Sprintf(`{"combineOutTradeNo":%q,"combineAppid":%q,"subOrders":[{"mchid":"1900000109","outTradeNo":%q,`+
		`"subMchid":"1900000001"},{"mchid":"1900000109","outTradeNo":%q,"subMchid":"1900000002"}],`+
		`"paymentTimeout":"30m","payWindow":"2s","onPaidAtDeadline":"ADOPT"}`,
		input.CombineOutTradeNo, input.CombineAppid, input.SubOrders[0].OutTradeNo, input.SubOrders[1].OutTradeNo)
	_, err = c.StartOrderUnvalidated(ctx, []byte(raw))
	expectConflict("an unvalidated start", err, "paymentTimeout", "onPaidAtDeadline")

	// The running order kept its input; the same order, spelled differently or without its creation time, joins it.
	same := input
	same.SubOrders = []checkout.SubOrder{input.SubOrders[1], input.SubOrders[0]}
	same.PaymentTimeout = checkout.DurationText(input.PaymentTimeout.String() + "ms")
	same.OrderCreatedAt, same.PayWindow, same.OnPaidAtDeadline = "", checkout.Millis(2_000), checkout.OnPaidRefund
	again, err := c.StartOrder(ctx, same)
	if err != nil || !again.AlreadyStarted || again.RunID != first.RunID {
		t.Fatalf("the same order again: %+v, %v", again, err)
	}
	status, err := c.OrderStatus(ctx, input.CombineOutTradeNo)
	if err != nil || status.Phase != checkout.PhaseAwaitingPayment {
		t.Fatalf("status: %+v, %v", status, err)
	}
}

// Needs a worker of lifecycle 1.1: its beginPayment answers the order's terms (order); a 1.0.0 worker answers none,
// and this test says so.
func TestIntegrationUpdateWithStartFindingTheOrderRunningWithAnotherInputSendsNoPayCall(t *testing.T) {
	t.Parallel()
	c := dial(t, checkout.Options{})
	ctx := context.Background()
	input := orderInput(10 * time.Minute)
	started, err := c.StartOrderAndBeginPayment(ctx, input, checkout.BeginPaymentDetails{AttemptID: "a1"})
	if err != nil {
		t.Fatalf("startOrderAndBeginPayment: %v", err)
	}
	terminateAtCleanup(t, c, input.CombineOutTradeNo)
	terms := started.Payment.Order
	if terms == nil {
		t.Fatal("the worker answered beginPayment without the order's terms: a worker older than 1.1?")
	}
	mine, err := checkout.TermsOf(input)
	if err != nil || len(checkout.TermsDifferences(*terms, mine, true)) > 0 || terms.PayWindowMs != 2_000 {
		t.Fatalf("the terms answered %+v differ from the input's %+v (%v)", *terms, mine, err)
	}
	conflicting, err := c.StartOrderAndBeginPayment(ctx, otherTerms(input), checkout.BeginPaymentDetails{AttemptID: "a2"})
	var conflict *checkout.OrderInputConflictError
	if !errors.As(err, &conflict) || strings.Join(conflict.Fields, ",") != "combineAppid,subOrders,payWindow" {
		t.Fatalf("want a conflict naming combineAppid, subOrders, payWindow; got %+v, %v", conflicting, err)
	}
	// The same order again is accepted (the announcement of its next pay call).
	again, err := c.StartOrderAndBeginPayment(ctx, input, checkout.BeginPaymentDetails{AttemptID: "a3"})
	if err != nil || again.RunID != started.RunID || !again.AlreadyStarted || again.Payment.Order == nil ||
		len(checkout.TermsDifferences(*again.Payment.Order, mine, true)) > 0 {
		t.Fatalf("the same order again: %+v, %v", again, err)
	}
}
