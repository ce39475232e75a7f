package checkout

import "encoding/json"

// OrderStatus is what the status Query answers: the fields a checkout reads. Unknown fields are ignored (Raw keeps
// the whole answer), so later versions of the workflow do not break this type.
type OrderStatus struct {
	// CombineOutTradeNo is the order number.
	CombineOutTradeNo string `json:"combineOutTradeNo"`
	// Phase is the order's current phase.
	Phase Phase `json:"phase"`
	// Deadline (ISO-8601) is when the order is reversed unless confirmed paid.
	Deadline string `json:"deadline"`
	// OrderCreatedAt (ISO-8601) is when the order was created.
	OrderCreatedAt string `json:"orderCreatedAt"`
	// WaitingFor says in one sentence what the workflow waits for and why.
	WaitingFor string `json:"waitingFor"`
	// Paid is set once the order is paid.
	Paid *PaidInfo `json:"paid,omitempty"`
	// Cancelled is set once cancelOrder was accepted.
	Cancelled *Cancelled `json:"cancelled,omitempty"`
	// Payments counts the pay calls announced with beginPayment.
	Payments *Payments `json:"payments,omitempty"`
	// PayWindow is the pay window in force, e.g. "75s".
	PayWindow string `json:"payWindow,omitempty"`
	// Reverse is the state of the reverse step.
	Reverse ReverseStatus `json:"reverse"`
	// SubOrders are the sub-orders and their compensation.
	SubOrders []SubOrderStatus `json:"subOrders"`
	// Attention says why a human is needed, in NEEDS_ATTENTION.
	Attention *Attention `json:"attention,omitempty"`
	// Resolution is the operator's note once resolved by hand.
	Resolution *Resolution `json:"resolution,omitempty"`
	// Raw is the Query's whole answer as the workflow sent it.
	Raw json.RawMessage `json:"-"`
}

// OrderResult is the workflow's result. Unknown fields are ignored; Raw keeps the whole result.
type OrderResult struct {
	// Outcome is PhasePaid, PhaseReversed or PhaseResolvedManually.
	Outcome Phase `json:"outcome"`
	// CombineOutTradeNo is the order number.
	CombineOutTradeNo string `json:"combineOutTradeNo"`
	// Paid is set for a paid order.
	Paid *PaidInfo `json:"paid,omitempty"`
	// Reverse is the reverse step's final state, for a reversed order.
	Reverse *ReverseStatus `json:"reverse,omitempty"`
	// SubOrders are the sub-orders and their compensation.
	SubOrders []SubOrderStatus `json:"subOrders"`
	// Resolution is the operator's note, for an order resolved by hand.
	Resolution *Resolution `json:"resolution,omitempty"`
	// Raw is the whole result as the workflow returned it.
	Raw json.RawMessage `json:"-"`
}

// PaidInfo says how an order came to be paid.
type PaidInfo struct {
	// At (ISO-8601) is when it was confirmed paid.
	At string `json:"at"`
	// Source is PaidByMarkPaid or PaidByWechatpayQuery.
	Source string `json:"source"`
	// Details are markPaid's details, when the checkout confirmed it.
	Details *MarkPaidDetails `json:"details,omitempty"`
	// TransactionIDs are WeChat Pay's transaction ids by sub-order, for an adopted order.
	TransactionIDs map[string]string `json:"transactionIds,omitempty"`
}

// Cancelled records an accepted cancelOrder.
type Cancelled struct {
	// At (ISO-8601) is when it was accepted.
	At string `json:"at"`
	// Reason is the reason sent with the Signal.
	Reason string `json:"reason,omitempty"`
}

// Payments counts the announced pay calls.
type Payments struct {
	// Count is how many pay calls were announced.
	Count int `json:"count"`
	// LastAt (ISO-8601) is when the last one was announced.
	LastAt string `json:"lastAt"`
}

// ReverseStatus is the state of the reverse step (the fields a checkout reads).
type ReverseStatus struct {
	// State is NOT_STARTED, WAITING_FOR_PAY_WINDOW, QUERYING, IN_PROGRESS, CONFIRMING, ACCEPTED, CONFIRMED,
	// NOT_NEEDED or FAILED.
	State string `json:"state"`
	// NotBefore (ISO-8601) is the earliest time of the first query.
	NotBefore string `json:"notBefore,omitempty"`
	// Outcome is how WeChat Pay accepted the reverse: REVERSED, ALREADY_CLOSED, ORDER_NOT_FOUND or NOT_NEEDED.
	Outcome string `json:"outcome,omitempty"`
	// HTTPStatus is the HTTP status of the accepted answer.
	HTTPStatus int `json:"httpStatus,omitempty"`
	// Verified tells whether the accepted answer's signature verified.
	Verified bool `json:"verified,omitempty"`
	// Rounds is how many reverses the workflow sent.
	Rounds int `json:"rounds"`
	// ConfirmedAt (ISO-8601) is when a query confirmed the order closed, reversed or refunded.
	ConfirmedAt string `json:"confirmedAt,omitempty"`
	// LastFailure is the step's last failure.
	LastFailure *FailureInfo `json:"lastFailure,omitempty"`
}

// SubOrderStatus is one sub-order in the status and the result.
type SubOrderStatus struct {
	// OutTradeNo is the sub-order's number.
	OutTradeNo string `json:"outTradeNo"`
	// Mchid is the initiating merchant.
	Mchid string `json:"mchid"`
	// SubMchid is the secondary merchant.
	SubMchid string `json:"subMchid"`
	// Compensation is NOT_STARTED, IN_PROGRESS, DONE, FAILED or RESOLVED_MANUALLY.
	Compensation string `json:"compensation"`
	// TradeState is the state the confirming query saw.
	TradeState string `json:"tradeState,omitempty"`
	// HTTPStatus is the order service's answer to the compensation.
	HTTPStatus int `json:"httpStatus,omitempty"`
	// AlreadyCompensated is true when the order service answered 409.
	AlreadyCompensated bool `json:"alreadyCompensated,omitempty"`
	// CompletedAt (ISO-8601) is when the compensation finished.
	CompletedAt string `json:"completedAt,omitempty"`
	// LastFailure is the compensation's last failure.
	LastFailure *FailureInfo `json:"lastFailure,omitempty"`
}

// FailureInfo is a failure as the status shows it.
type FailureInfo struct {
	// Type is the failure type, e.g. COMPENSATION_TRANSIENT.
	Type string `json:"type"`
	// Message is free of secrets.
	Message string `json:"message"`
	// At (ISO-8601) is when it happened.
	At string `json:"at"`
}

// Attention says why an order in NEEDS_ATTENTION needs a human.
type Attention struct {
	// Step is QUERY, REVERSE, CONFIRM, COMPENSATION or PAYMENT_CONFIRMATION.
	Step string `json:"step"`
	// Reason is what went wrong.
	Reason string `json:"reason"`
	// Since (ISO-8601) is when the order entered NEEDS_ATTENTION.
	Since string `json:"since"`
}

// Resolution is the operator's note on an order resolved by hand.
type Resolution struct {
	// Note says what was done.
	Note string `json:"note"`
	// At (ISO-8601) is when it was resolved.
	At string `json:"at"`
}
