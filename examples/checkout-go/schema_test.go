package checkout

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// validInput is an order the schema accepts, with every optional field.
func validInput() OrderInput {
	coefficient := 2.0
	return OrderInput{
		CombineOutTradeNo: "GO1700000000000-ab|*@_",
		CombineAppid:      "wxd678efh567hg6787",
		SubOrders: []SubOrder{
			{Mchid: "1900000109", OutTradeNo: "GO1S1", SubMchid: "1900000001"},
			{Mchid: "1900000109", OutTradeNo: "GO1S2", SubMchid: "1900000002", SubAppid: "wxsub"},
		},
		PaymentTimeout:   Millis(80_000),
		OrderCreatedAt:   "2026-12-03T06:00:00.000Z",
		PayWindow:        DurationText("2s"),
		OnPaidAtDeadline: OnPaidRefund,
		RetryPolicy: &RetryPolicy{Downstream: &RetrySettings{
			InitialInterval: DurationText("1s"), BackoffCoefficient: &coefficient, ScheduleToClose: Millis(60_000)}},
	}
}

func TestTheSchemaAcceptsAValidInput(t *testing.T) {
	if err := ValidateOrderInput(validInput()); err != nil {
		t.Fatal(err)
	}
	minimal := OrderInput{CombineOutTradeNo: "A1", CombineAppid: "app",
		SubOrders: []SubOrder{{Mchid: "1", OutTradeNo: "A1S1", SubMchid: "2"}}}
	if err := ValidateOrderInput(minimal); err != nil {
		t.Fatal(err)
	}
}

func TestTheSchemaNamesTheField(t *testing.T) {
	cases := []struct {
		name    string
		change  func(*OrderInput)
		pointer string
	}{
		{"a 33-character order number", func(in *OrderInput) { in.CombineOutTradeNo = strings.Repeat("A", 33) }, "/combineOutTradeNo"},
		{"a bad character", func(in *OrderInput) { in.CombineOutTradeNo = "A#1" }, "/combineOutTradeNo"},
		{"no sub-orders", func(in *OrderInput) { in.SubOrders = nil }, "/subOrders"},
		{"a letter in a mchid", func(in *OrderInput) { in.SubOrders[1].Mchid = "19x" }, "/subOrders/1/mchid"},
		{"an empty subMchid", func(in *OrderInput) { in.SubOrders[0].SubMchid = "" }, "/subOrders/0/subMchid"},
		{"a bad duration", func(in *OrderInput) { in.PayWindow = DurationText("2 seconds") }, "/payWindow"},
		{"a negative timeout", func(in *OrderInput) { in.PaymentTimeout = Millis(-1) }, "/paymentTimeout"},
		{"a time without zone", func(in *OrderInput) { in.OrderCreatedAt = "2026-12-03T06:00:00" }, "/orderCreatedAt"},
		{"an unknown policy", func(in *OrderInput) { in.OnPaidAtDeadline = "KEEP" }, "/onPaidAtDeadline"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			input := validInput()
			tc.change(&input)
			err := ValidateOrderInput(input)
			var invalid *InvalidInputError
			if !errors.As(err, &invalid) || !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("want *InvalidInputError, got %v", err)
			}
			if !strings.Contains(err.Error(), tc.pointer+": ") {
				t.Fatalf("the message does not name %s: %v", tc.pointer, err)
			}
		})
	}
}

func TestParseOrderInputChecksTheRawJSON(t *testing.T) {
	_, err := ParseOrderInput([]byte(`{"combineOutTradeNo":"A1","combineAppid":"app","subOrders":[` +
		`{"mchid":"1","outTradeNo":"S1","subMchid":"2"}],"extra":true}`))
	if !errors.Is(err, ErrInvalidInput) || !strings.Contains(err.Error(), "'extra'") {
		t.Fatalf("an unknown field must be named: %v", err)
	}
	_, err = ParseOrderInput([]byte(`{"combineOutTradeNo":"A1","subOrders":[{"mchid":"1","outTradeNo":"S1"}]}`))
	for _, named := range []string{"/: missing property 'combineAppid'", "/subOrders/0: missing property 'subMchid'"} {
		if !strings.Contains(errorText(err), named) {
			t.Errorf("want %q in %v", named, err)
		}
	}
	if _, err := ParseOrderInput([]byte(`{`)); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("not JSON: %v", err)
	}
	raw := []byte(`{"combineOutTradeNo":"A1","combineAppid":"app","subOrders":[` +
		`{"mchid":"1","outTradeNo":"S1","subMchid":"2"}],"paymentTimeout":80000,"payWindow":"2s"}`)
	input, err := ParseOrderInput(raw)
	if err != nil || input.PaymentTimeout.String() != "80000" || input.PayWindow.String() != "2s" {
		t.Fatalf("parsed %+v, %v", input, err)
	}
	again, _ := json.Marshal(input)
	var before, after map[string]any
	_ = json.Unmarshal(raw, &before)
	_ = json.Unmarshal(again, &after)
	if !jsonEqual(before, after) {
		t.Fatalf("the typed input does not send what was given:\n%s\n%s", raw, again)
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestTheEmbeddedSchemaIsTheContractsDraft(t *testing.T) {
	var doc struct {
		Schema string `json:"$schema"`
		Title  string `json:"title"`
	}
	if err := json.Unmarshal(OrderInputSchema, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != "https://json-schema.org/draft/2020-12/schema" || doc.Title != "OrderInput" {
		t.Fatalf("unexpected schema header: %+v", doc)
	}
}

func errorText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
