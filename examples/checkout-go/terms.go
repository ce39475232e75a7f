package checkout

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/converter"
)

// Defaults of the terms when the input names none.
const (
	// DefaultPaymentTimeout is the payment timeout of an order whose input names none.
	DefaultPaymentTimeout = 30 * time.Minute
	// DefaultPayWindow is the pay window of an order whose input names none.
	DefaultPayWindow = 75 * time.Second
)

// OrderTerms are an order's terms: what a second start or an Update-With-Start must agree with before it may attach
// to the running order. The running order answers them in beginPayment's result (workers of lifecycle 1.1 on); a
// plain start resolves them from the running run's input. Durations are resolved to milliseconds with the
// contract's defaults, as the workflow resolves them.
type OrderTerms struct {
	CombineAppid string `json:"combineAppid"`
	// SubOrders in any order (compared as a set keyed by OutTradeNo).
	SubOrders        []SubOrder `json:"subOrders"`
	PaymentTimeoutMs int64      `json:"paymentTimeoutMs"`
	// OrderCreatedAt is ISO-8601; empty when the input named none and no run resolved it.
	OrderCreatedAt   string           `json:"orderCreatedAt,omitempty"`
	PayWindowMs      int64            `json:"payWindowMs"`
	OnPaidAtDeadline OnPaidAtDeadline `json:"onPaidAtDeadline"`
}

// TermsOf are the terms input asks for (its OrderCreatedAt as given, or empty). An error names a duration that is
// not one.
func TermsOf(input OrderInput) (OrderTerms, error) {
	timeout, err := durationMillis(input.PaymentTimeout, DefaultPaymentTimeout)
	if err != nil {
		return OrderTerms{}, errors.New("paymentTimeout: " + err.Error())
	}
	window, err := durationMillis(input.PayWindow, DefaultPayWindow)
	if err != nil {
		return OrderTerms{}, errors.New("payWindow: " + err.Error())
	}
	onPaid := input.OnPaidAtDeadline
	if onPaid == "" {
		onPaid = OnPaidRefund
	}
	return OrderTerms{CombineAppid: input.CombineAppid, SubOrders: input.SubOrders, PaymentTimeoutMs: timeout,
		OrderCreatedAt: input.OrderCreatedAt, PayWindowMs: window, OnPaidAtDeadline: onPaid}, nil
}

// RunTermsOf are the terms of a run from the input it was started with (its first history event, as JSON);
// startedAt (when the run started) stands for an OrderCreatedAt the input did not name. ok is false when that input
// is not an order the workflow would run (it then failed at its first task: there are no terms to compare).
func RunTermsOf(input json.RawMessage, startedAt time.Time) (terms OrderTerms, ok bool) {
	var order OrderInput // fields this template does not know (e.g. a restart's own) are ignored
	if err := json.Unmarshal(input, &order); err != nil || order.CombineAppid == "" || len(order.SubOrders) == 0 {
		return OrderTerms{}, false
	}
	terms, err := TermsOf(order)
	if err != nil {
		return OrderTerms{}, false
	}
	if terms.OrderCreatedAt == "" {
		terms.OrderCreatedAt = startedAt.UTC().Format(time.RFC3339Nano)
	}
	return terms, true
}

// TermsDifferences are the input fields, by their input names (combineAppid, subOrders, paymentTimeout,
// orderCreatedAt, payWindow, onPaidAtDeadline, in that order), in which the running order's terms differ from
// mine; none: the same order. Sub-orders are compared as a set keyed by outTradeNo; orderCreatedAt only when
// compareCreatedAt (my input named one), as instants. Pure.
func TermsDifferences(running, mine OrderTerms, compareCreatedAt bool) []string {
	var fields []string
	if running.CombineAppid != mine.CombineAppid {
		fields = append(fields, "combineAppid")
	}
	if !sameSubOrders(running.SubOrders, mine.SubOrders) {
		fields = append(fields, "subOrders")
	}
	if running.PaymentTimeoutMs != mine.PaymentTimeoutMs {
		fields = append(fields, "paymentTimeout")
	}
	if compareCreatedAt {
		a, okA := EpochMillis(running.OrderCreatedAt)
		b, okB := EpochMillis(mine.OrderCreatedAt)
		if !okA || !okB || a != b {
			fields = append(fields, "orderCreatedAt")
		}
	}
	if running.PayWindowMs != mine.PayWindowMs {
		fields = append(fields, "payWindow")
	}
	if orRefund(running.OnPaidAtDeadline) != orRefund(mine.OnPaidAtDeadline) {
		fields = append(fields, "onPaidAtDeadline")
	}
	return fields
}

// ConflictOf is the conflict of an Update-With-Start that reached a running order: the fields in which the terms it
// answered differ from input. None when they agree, and when the order answered no terms (an order running on a
// worker older than lifecycle 1.1: nothing to compare).
func ConflictOf(payment BeginPaymentResult, input OrderInput) []string {
	if payment.Order == nil {
		return nil
	}
	mine, err := TermsOf(input)
	if err != nil {
		return nil // the schema refused such an input before anything was sent
	}
	return TermsDifferences(*payment.Order, mine, input.OrderCreatedAt != "")
}

// durationMillis is a duration of the input in milliseconds as the workflow reads it (ParseDuration), or fallback.
func durationMillis(value *DurationValue, fallback time.Duration) (int64, error) {
	if value == nil {
		return fallback.Milliseconds(), nil
	}
	if value.text == "" {
		return value.ms, nil
	}
	d, err := ParseDuration(value.text)
	if err != nil {
		return 0, err
	}
	return d.Milliseconds(), nil
}

func orRefund(v OnPaidAtDeadline) OnPaidAtDeadline {
	if v == "" {
		return OnPaidRefund
	}
	return v
}

// sameSubOrders compares two lists of sub-orders as sets keyed by OutTradeNo.
func sameSubOrders(a, b []SubOrder) bool {
	if len(a) != len(b) {
		return false
	}
	sorted := func(list []SubOrder) []SubOrder {
		out := append([]SubOrder(nil), list...)
		sort.SliceStable(out, func(i, j int) bool { return out[i].OutTradeNo < out[j].OutTradeNo })
		return out
	}
	x, y := sorted(a), sorted(b)
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}

// runTerms reads the terms of a run from the input of its first history event. ok is false when that input is no
// order the workflow runs.
func (c *Client) runTerms(ctx context.Context, workflowID, runID string) (OrderTerms, bool, error) {
	events := c.temporal.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	if !events.HasNext() {
		return OrderTerms{}, false, nil
	}
	first, err := events.Next()
	if err != nil {
		return OrderTerms{}, false, err
	}
	payloads := first.GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads()
	if len(payloads) == 0 {
		return OrderTerms{}, false, nil
	}
	var input json.RawMessage
	if err := converter.GetDefaultDataConverter().FromPayload(payloads[0], &input); err != nil {
		return OrderTerms{}, false, nil
	}
	terms, ok := RunTermsOf(input, first.GetEventTime().AsTime())
	return terms, ok, nil
}
