package checkout

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// OrderInput is the workflow's input: one WeChat Pay combined withholding order. It travels as plain JSON;
// order-input.schema.json is its JSON Schema.
type OrderInput struct {
	// CombineOutTradeNo is the combined order number: 1-32 of 0-9A-Za-z_-|*@. The workflow id derives from it.
	CombineOutTradeNo string `json:"combineOutTradeNo"`
	// CombineAppid is the combined order's app id (combine_appid).
	CombineAppid string `json:"combineAppid"`
	// SubOrders are the 1-50 sub-orders, each with a unique OutTradeNo.
	SubOrders []SubOrder `json:"subOrders"`
	// PaymentTimeout is the time the payer has from OrderCreatedAt; default 30 minutes.
	PaymentTimeout *DurationValue `json:"paymentTimeout,omitempty"`
	// OrderCreatedAt is when the order was created, ISO-8601 with a zone (see FormatTime); default: the start.
	OrderCreatedAt string `json:"orderCreatedAt,omitempty"`
	// PayWindow is how long one pay call may still land after it was sent; default "75s", never less than the
	// worker's floor.
	PayWindow *DurationValue `json:"payWindow,omitempty"`
	// OnPaidAtDeadline is what to do with an order found paid at the deadline; default REFUND.
	OnPaidAtDeadline OnPaidAtDeadline `json:"onPaidAtDeadline,omitempty"`
	// RetryPolicy optionally overrides the workflow's retry settings.
	RetryPolicy *RetryPolicy `json:"retryPolicy,omitempty"`
}

// SubOrder is one sub-order as the checkout sends it.
type SubOrder struct {
	// Mchid is the merchant id of the sub-order's initiating merchant (the platform, in partner mode).
	Mchid string `json:"mchid"`
	// OutTradeNo is the sub-order's own order number, unique within the combined order.
	OutTradeNo string `json:"outTradeNo"`
	// SubMchid is the secondary merchant (sub_mchid).
	SubMchid string `json:"subMchid"`
	// SubAppid is the secondary merchant's app id, when it has one.
	SubAppid string `json:"subAppid,omitempty"`
}

// RetryPolicy overrides the workflow's retries, per kind of call.
type RetryPolicy struct {
	// Wechatpay applies to the WeChat Pay calls (query and reverse).
	Wechatpay *RetrySettings `json:"wechatpay,omitempty"`
	// Downstream applies to compensation and payment confirmation.
	Downstream *RetrySettings `json:"downstream,omitempty"`
}

// RetrySettings are the retry settings of one kind of call; every field optional.
type RetrySettings struct {
	// InitialInterval is the first retry delay.
	InitialInterval *DurationValue `json:"initialInterval,omitempty"`
	// BackoffCoefficient multiplies the delay after each attempt.
	BackoffCoefficient *float64 `json:"backoffCoefficient,omitempty"`
	// MaximumInterval bounds the delay between attempts.
	MaximumInterval *DurationValue `json:"maximumInterval,omitempty"`
	// ScheduleToClose is how long to retry before the step goes to NEEDS_ATTENTION.
	ScheduleToClose *DurationValue `json:"scheduleToClose,omitempty"`
}

// DurationValue is a duration as the contract carries it: a JSON number of milliseconds, or text such as "30m",
// "90s", "1h30m", "1500ms". Make one with Millis, DurationText or FromDuration.
type DurationValue struct {
	ms   int64
	text string
}

// Millis is a duration of ms milliseconds, sent as a JSON number.
func Millis(ms int64) *DurationValue { return &DurationValue{ms: ms} }

// DurationText is a duration sent as text, e.g. "30m" (checked by the schema when the order is started).
func DurationText(text string) *DurationValue { return &DurationValue{text: text} }

// FromDuration is d in whole milliseconds, sent as a JSON number.
func FromDuration(d time.Duration) *DurationValue { return Millis(d.Milliseconds()) }

// String is the value as the contract writes it ("30m", or the milliseconds).
func (d DurationValue) String() string {
	if d.text != "" {
		return d.text
	}
	return strconv.FormatInt(d.ms, 10)
}

// MarshalJSON writes the number or the text.
func (d DurationValue) MarshalJSON() ([]byte, error) {
	if d.text != "" {
		return json.Marshal(d.text)
	}
	return []byte(strconv.FormatInt(d.ms, 10)), nil
}

// UnmarshalJSON reads a JSON number of milliseconds or a duration text.
func (d *DurationValue) UnmarshalJSON(data []byte) error {
	if len(data) > 0 && data[0] == '"' {
		*d = DurationValue{}
		return json.Unmarshal(data, &d.text)
	}
	ms, err := strconv.ParseInt(string(data), 10, 64)
	if err != nil {
		return fmt.Errorf("a duration is whole milliseconds or text such as \"30m\", got %s", data)
	}
	*d = DurationValue{ms: ms}
	return nil
}

// FormatTime formats t as the contract's times are written: ISO-8601 in UTC with milliseconds.
func FormatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// BeginPaymentDetails is what beginPayment may carry, for the record.
type BeginPaymentDetails struct {
	// AttemptID is the checkout's id of this pay attempt.
	AttemptID string `json:"attemptId,omitempty"`
	// Note is free text.
	Note string `json:"note,omitempty"`
}

// BeginPaymentResult is beginPayment's answer.
type BeginPaymentResult struct {
	// ReverseNotBefore (ISO-8601): no reverse is sent before this time, so the pay call about to be sent may land.
	ReverseNotBefore string `json:"reverseNotBefore"`
	// Payments is how many pay calls were announced so far, this one included.
	Payments int `json:"payments"`
	// Order is the running order's terms (workers of lifecycle 1.1 on; nil from an order running on an older
	// worker): StartOrderAndBeginPayment compares them with its input.
	Order *OrderTerms `json:"order,omitempty"`
}

// MarkPaidDetails is what markPaid may carry: the pay call's answer or a query result, for the record.
type MarkPaidDetails struct {
	// TransactionID is WeChat Pay's transaction id or another reference.
	TransactionID string `json:"transactionId,omitempty"`
	// Source says where the confirmation came from, e.g. "pay-response" or "query".
	Source string `json:"source,omitempty"`
	// Note is free text.
	Note string `json:"note,omitempty"`
}

// MarkPaidResult is markPaid's answer.
type MarkPaidResult struct {
	// Phase is PhasePaid.
	Phase Phase `json:"phase"`
	// PaidAt (ISO-8601) is when the order was confirmed paid.
	PaidAt string `json:"paidAt"`
}
