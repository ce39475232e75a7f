package checkout

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

var termsSubOrders = []SubOrder{
	{Mchid: "1900000109", OutTradeNo: "P1S1", SubMchid: "1900000001"},
	{Mchid: "1900000109", OutTradeNo: "P1S2", SubMchid: "1900000002", SubAppid: "wx8888888888888888"},
}

func termsInput() OrderInput {
	return OrderInput{CombineOutTradeNo: "P1", CombineAppid: "wxd678efh567hg6787",
		SubOrders: append([]SubOrder(nil), termsSubOrders...)}
}

// diff compares running's terms with mine's, orderCreatedAt when mine names one.
func diff(t *testing.T, running, mine OrderInput) []string {
	t.Helper()
	a, err := TermsOf(running)
	if err != nil {
		t.Fatal(err)
	}
	b, err := TermsOf(mine)
	if err != nil {
		t.Fatal(err)
	}
	return TermsDifferences(a, b, mine.OrderCreatedAt != "")
}

func expectFields(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

func TestTermsOfTheSameOrderSpelledDifferentlyDoNotDiffer(t *testing.T) {
	spelled := termsInput()
	spelled.SubOrders = []SubOrder{termsSubOrders[1], termsSubOrders[0]}
	spelled.PaymentTimeout = DurationText("30m")
	spelled.PayWindow = Millis(75_000)
	spelled.OnPaidAtDeadline = OnPaidRefund
	expectFields(t, "defaults spelled out", diff(t, termsInput(), spelled))
	expectFields(t, "the other way round", diff(t, spelled, termsInput()))
	running := termsInput()
	running.PaymentTimeout = Millis(1_800_000)
	text := termsInput()
	text.PaymentTimeout, text.PayWindow = DurationText("0.5h"), DurationText("1m15s")
	expectFields(t, "durations as text", diff(t, running, text))
}

func TestTermsDifferencesNameEachFieldByItsInputName(t *testing.T) {
	base := termsInput()
	change := func(edit func(*OrderInput)) OrderInput {
		in := termsInput()
		edit(&in)
		return in
	}
	expectFields(t, "app id", diff(t, base, change(func(in *OrderInput) { in.CombineAppid = "wx0" })), "combineAppid")
	expectFields(t, "timeout", diff(t, base, change(func(in *OrderInput) { in.PaymentTimeout = DurationText("31m") })),
		"paymentTimeout")
	expectFields(t, "window", diff(t, base, change(func(in *OrderInput) { in.PayWindow = DurationText("90s") })),
		"payWindow")
	expectFields(t, "on paid", diff(t, base, change(func(in *OrderInput) { in.OnPaidAtDeadline = OnPaidAdopt })),
		"onPaidAtDeadline")
	running := change(func(in *OrderInput) { in.OrderCreatedAt = "2026-11-27T08:00:01Z" })
	all := OrderInput{CombineOutTradeNo: "P1", CombineAppid: "wx1", SubOrders: termsSubOrders[:1],
		PaymentTimeout: DurationText("1m"), OrderCreatedAt: "2026-11-27T08:00:00Z", PayWindow: DurationText("61s"),
		OnPaidAtDeadline: OnPaidAdopt}
	expectFields(t, "all", diff(t, running, all),
		"combineAppid", "subOrders", "paymentTimeout", "orderCreatedAt", "payWindow", "onPaidAtDeadline")
}

func TestTermsCompareSubOrdersAsASetKeyedByOutTradeNo(t *testing.T) {
	s1, s2 := termsSubOrders[0], termsSubOrders[1]
	for _, subOrders := range [][]SubOrder{
		{s1},
		{s1, s2, {Mchid: "1900000109", OutTradeNo: "P1S3", SubMchid: "1900000003"}},
		{s1, {Mchid: "1900000109", OutTradeNo: "P1S2", SubMchid: "1900000002"}}, // subAppid dropped
		{s1, {Mchid: "1900000109", OutTradeNo: "P1S2", SubMchid: "1900000002", SubAppid: "wx9999999999999999"}},
		{s1, {Mchid: "1900000110", OutTradeNo: "P1S2", SubMchid: "1900000002", SubAppid: "wx8888888888888888"}},
		{s1, {Mchid: "1900000109", OutTradeNo: "P1S2", SubMchid: "1900000003", SubAppid: "wx8888888888888888"}},
		{s1, {Mchid: "1900000109", OutTradeNo: "P1S9", SubMchid: "1900000002", SubAppid: "wx8888888888888888"}},
	} {
		mine := termsInput()
		mine.SubOrders = subOrders
		expectFields(t, "sub-orders", diff(t, termsInput(), mine), "subOrders")
	}
}

func TestTermsCompareOrderCreatedAtOnlyWhenNamedAsInstants(t *testing.T) {
	running := termsInput()
	running.OrderCreatedAt = "2026-11-27T08:00:00.000Z"
	expectFields(t, "not named by the caller", diff(t, running, termsInput()))
	for _, same := range []string{"2026-11-27T16:00+08:00", "2026-11-27T08:00:00Z", "2026-11-27T03:00:00.0009-0500"} {
		mine := termsInput()
		mine.OrderCreatedAt = same
		expectFields(t, same, diff(t, running, mine))
	}
	for _, other := range []string{"2026-11-27T08:00:00.001Z", "2026-11-27T08:00:00+08:00"} {
		mine := termsInput()
		mine.OrderCreatedAt = other
		expectFields(t, other, diff(t, running, mine), "orderCreatedAt")
	}
}

func TestTermsReadTimesAndDurationsAsTheWorkerDoes(t *testing.T) {
	for iso, want := range map[string]int64{
		"2026-11-27T16:00+08:00":    1_795_766_400_000,
		"2026-11-27T08:00:00.1239Z": 1_795_766_400_123,
		"2026-11-27T16:00:00+0800":  1_795_766_400_000,
	} {
		if got, ok := EpochMillis(iso); !ok || got != want {
			t.Errorf("%s: %d %v, want %d", iso, got, ok, want)
		}
	}
	for _, bad := range []string{"2026-02-30T08:00:00Z", "2026-11-27T08:00:00", "2026-11-27T08:00:00+24:00", ""} {
		if _, ok := EpochMillis(bad); ok {
			t.Errorf("%q: want not a time", bad)
		}
	}
	// The same values as the worker's parseDuration (JavaScript doubles, Math.round).
	for text, want := range map[string]int64{"1.5s": 1500, "1h30m": 5_400_000, "0123": 123, "1.0005s": 1001,
		"2.5ms": 3, "0.0015s": 2, "1d": 86_400_000} {
		if got, err := durationMillis(DurationText(text), 0); err != nil || got != want {
			t.Errorf("%s: %d %v, want %d", text, got, err, want)
		}
	}
	if _, err := TermsOf(OrderInput{PaymentTimeout: DurationText("5 minutes")}); err == nil ||
		!strings.HasPrefix(err.Error(), "paymentTimeout: ") {
		t.Errorf("a bad duration: %v", err)
	}
}

func TestConflictOfComparesTheTermsTheOrderAnswered(t *testing.T) {
	answered := `{"reverseNotBefore":"2026-12-03T08:01:15.000Z","payments":2,"order":{"combineAppid":"wxd678efh567hg6787",` +
		`"subOrders":[{"mchid":"1900000109","outTradeNo":"P1S2","subMchid":"1900000002","subAppid":"wx8888888888888888",` +
		`"later":1},{"mchid":"1900000109","outTradeNo":"P1S1","subMchid":"1900000001"}],"paymentTimeoutMs":1800000,` +
		`"orderCreatedAt":"2026-12-03T07:59:00.000Z","payWindowMs":75000,"onPaidAtDeadline":"REFUND","later":true}}`
	var payment BeginPaymentResult
	if err := json.Unmarshal([]byte(answered), &payment); err != nil || payment.Payments != 2 || payment.Order == nil {
		t.Fatalf("%+v %v", payment, err)
	}
	expectFields(t, "the same order", ConflictOf(payment, termsInput()))
	same := termsInput()
	same.OrderCreatedAt = "2026-12-03T15:59+08:00"
	expectFields(t, "the same creation time", ConflictOf(payment, same))
	other := termsInput()
	other.OrderCreatedAt, other.OnPaidAtDeadline = "2026-12-03T07:58:00Z", OnPaidAdopt
	expectFields(t, "other terms", ConflictOf(payment, other), "orderCreatedAt", "onPaidAtDeadline")

	// An order running on a worker older than lifecycle 1.1 answers no terms: nothing to compare.
	var older BeginPaymentResult
	if err := json.Unmarshal([]byte(`{"reverseNotBefore":"2026-12-03T08:01:15.000Z","payments":1}`), &older); err != nil {
		t.Fatal(err)
	}
	expectFields(t, "no terms answered", ConflictOf(older, OrderInput{CombineAppid: "wx1"}))
}

func TestRunTermsOfReadsTheRunningRunsInput(t *testing.T) {
	started := `{"combineOutTradeNo":"P1","combineAppid":"wxd678efh567hg6787","subOrders":[` +
		`{"mchid":"1900000109","outTradeNo":"P1S1","subMchid":"1900000001"},` +
		`{"mchid":"1900000109","outTradeNo":"P1S2","subMchid":"1900000002","subAppid":"wx8888888888888888"}],` +
		`"paymentTimeout":"30m","restart":{"previousRunId":"r0","reverseSent":false}}`
	startedAt := time.Date(2026, 12, 3, 8, 0, 0, 123456000, time.UTC)
	running, ok := RunTermsOf(json.RawMessage(started), startedAt)
	if !ok || running.OrderCreatedAt != "2026-12-03T08:00:00.123456Z" {
		t.Fatalf("%+v %v", running, ok)
	}
	mine, _ := TermsOf(termsInput())
	expectFields(t, "the same order", TermsDifferences(running, mine, false))
	mine.OrderCreatedAt = "2026-12-03T08:00:00.123Z"
	expectFields(t, "its start as creation time", TermsDifferences(running, mine, true))
	mine.OrderCreatedAt = "2026-12-03T08:00:00Z"
	expectFields(t, "another creation time", TermsDifferences(running, mine, true), "orderCreatedAt")
	// An input the workflow could not run has no terms (its run failed at once): not compared.
	for _, broken := range []string{`{"combineOutTradeNo":"P1","paymentTimeout":true}`, `{}`, `[]`,
		`{"combineAppid":"wx1","subOrders":[{"outTradeNo":"S1"}],"payWindow":"soon"}`} {
		if _, ok := RunTermsOf(json.RawMessage(broken), startedAt); ok {
			t.Errorf("%s: want no terms", broken)
		}
	}
}

func TestOrderInputConflictErrorNamesTheFields(t *testing.T) {
	var err error = &OrderInputConflictError{CombineOutTradeNo: "P1", Fields: []string{"subOrders", "payWindow"}}
	var conflict *OrderInputConflictError
	if !errors.As(err, &conflict) || !errors.Is(err, ErrOrderInputConflict) || errors.Is(err, ErrOrderRunEnded) {
		t.Fatal("errors.As / errors.Is")
	}
	if !strings.HasPrefix(err.Error(), "order P1 is already running with other terms: subOrders, payWindow differ") ||
		!strings.Contains(err.Error(), "send no pay call") {
		t.Fatal(err.Error())
	}
}
