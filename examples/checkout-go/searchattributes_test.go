package checkout

import (
	"reflect"
	"testing"
	"time"
)

func TestOrderSearchAttributesAreTheWorkflowsOwn(t *testing.T) {
	input := termsInput()
	input.SubOrders = append(input.SubOrders, SubOrder{Mchid: "1900000109", OutTradeNo: "P1S3", SubMchid: "1900000001"})
	input.OrderCreatedAt = "2026-11-27T16:00:00.1234+08:00"
	input.PaymentTimeout = DurationText("15m")
	sa := OrderSearchAttributes(input)
	if no, _ := sa.GetKeyword(SearchAttributeCombineOutTradeNo); no != "P1" {
		t.Errorf("CombineOutTradeNo = %q", no)
	}
	if phase, _ := sa.GetKeyword(SearchAttributePaymentPhase); phase != string(PhaseAwaitingPayment) {
		t.Errorf("PaymentPhase = %q", phase)
	}
	// Each secondary merchant once, in input order; every sub-order's out_trade_no, in input order.
	if ids, _ := sa.GetKeywordList(SearchAttributeSubMchIds); !reflect.DeepEqual(ids, []string{"1900000001", "1900000002"}) {
		t.Errorf("SubMchIds = %v", ids)
	}
	if nos, _ := sa.GetKeywordList(SearchAttributeSubOutTradeNos); !reflect.DeepEqual(nos, []string{"P1S1", "P1S2", "P1S3"}) {
		t.Errorf("SubOutTradeNos = %v", nos)
	}
	// The deadline to the millisecond (the fraction cut as the workflow reads it): created plus the timeout.
	want := time.Date(2026, 11, 27, 8, 15, 0, 123_000_000, time.UTC)
	if deadline, ok := sa.GetTime(SearchAttributePaymentDeadline); !ok || !deadline.Equal(want) {
		t.Errorf("PaymentDeadline = %v, %v; want %v", deadline, ok, want)
	}
	if sa.Size() != 5 {
		t.Errorf("%d search attributes, want 5", sa.Size())
	}
}

func TestOrderSearchAttributesLeaveTheDeadlineToTheWorkflowWithoutOrderCreatedAt(t *testing.T) {
	sa := OrderSearchAttributes(termsInput())
	if sa.ContainsKey(SearchAttributePaymentDeadline) || sa.Size() != 4 {
		t.Errorf("without orderCreatedAt the workflow counts from its start: %v", sa.GetUntypedValues())
	}
}
