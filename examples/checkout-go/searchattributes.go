package checkout

import (
	"time"

	"go.temporal.io/sdk/temporal"
)

// The order's custom search attributes, by their contract names (registered once per namespace: the project's
// docs/configuration.md). A start that carries them leaves the workflow nothing to upsert; one that lacks any gets
// what it lacks in one upsert at the workflow's first task.
var (
	// SearchAttributeCombineOutTradeNo is the combined order number (Keyword).
	SearchAttributeCombineOutTradeNo = temporal.NewSearchAttributeKeyKeyword("CombineOutTradeNo")
	// SearchAttributePaymentPhase is the order's phase (Keyword), AWAITING_PAYMENT at start.
	SearchAttributePaymentPhase = temporal.NewSearchAttributeKeyKeyword("PaymentPhase")
	// SearchAttributePaymentDeadline is the order's payment deadline (Datetime).
	SearchAttributePaymentDeadline = temporal.NewSearchAttributeKeyTime("PaymentDeadline")
	// SearchAttributeSubMchIds are the sub-orders' secondary merchants (KeywordList), each once, in input order.
	SearchAttributeSubMchIds = temporal.NewSearchAttributeKeyKeywordList("SubMchIds")
	// SearchAttributeSubOutTradeNos are the sub-orders' own order numbers (KeywordList), in input order: how a trade
	// bill's row (keyed by the sub-order's out_trade_no) finds the order that owns it.
	SearchAttributeSubOutTradeNos = temporal.NewSearchAttributeKeyKeywordList("SubOutTradeNos")
)

// OrderSearchAttributes are the search attributes an order starts with, with the values the workflow gives them.
// PaymentDeadline (OrderCreatedAt plus PaymentTimeout) only when the input names its OrderCreatedAt: otherwise the
// workflow counts from its own start and sets the deadline itself.
func OrderSearchAttributes(input OrderInput) temporal.SearchAttributes {
	subMchids := make([]string, 0, len(input.SubOrders))
	outTradeNos := make([]string, 0, len(input.SubOrders))
	seen := make(map[string]bool, len(input.SubOrders))
	for _, s := range input.SubOrders {
		if !seen[s.SubMchid] {
			seen[s.SubMchid] = true
			subMchids = append(subMchids, s.SubMchid)
		}
		outTradeNos = append(outTradeNos, s.OutTradeNo)
	}
	updates := []temporal.SearchAttributeUpdate{
		SearchAttributeCombineOutTradeNo.ValueSet(input.CombineOutTradeNo),
		SearchAttributeSubMchIds.ValueSet(subMchids),
		SearchAttributeSubOutTradeNos.ValueSet(outTradeNos),
		SearchAttributePaymentPhase.ValueSet(string(PhaseAwaitingPayment)),
	}
	if deadline, ok := paymentDeadline(input); ok {
		updates = append(updates, SearchAttributePaymentDeadline.ValueSet(deadline))
	}
	return temporal.NewSearchAttributes(updates...)
}

// paymentDeadline is OrderCreatedAt plus PaymentTimeout (its default when absent), to the millisecond as the
// workflow computes it; ok is false when the input names no OrderCreatedAt (or an unreadable one).
func paymentDeadline(input OrderInput) (time.Time, bool) {
	created, ok := EpochMillis(input.OrderCreatedAt)
	if !ok {
		return time.Time{}, false
	}
	terms, err := TermsOf(input)
	if err != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(created + terms.PaymentTimeoutMs).UTC(), true
}
