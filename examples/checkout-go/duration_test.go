package checkout

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	good := map[string]time.Duration{
		"5s": 5 * time.Second, "1500ms": 1500 * time.Millisecond, "1500": 1500 * time.Millisecond,
		"1h30m": 90 * time.Minute, "1.5s": 1500 * time.Millisecond, "2d": 48 * time.Hour, " 75s ": 75 * time.Second,
		"0": 0,
	}
	for text, want := range good {
		if got, err := ParseDuration(text); err != nil || got != want {
			t.Errorf("%q: got %v, %v; want %v", text, got, err, want)
		}
	}
	for _, text := range []string{"", "5", "s", "5 s", "-5s", "+5", "5sec", "1.5", strings.Repeat("1s", 17)} {
		if text == "5" {
			continue // whole milliseconds are valid
		}
		if got, err := ParseDuration(text); err == nil {
			t.Errorf("%q: want an error, got %v", text, got)
		}
	}
}

func TestCallTimeoutSetting(t *testing.T) {
	env := func(value string) func(string) (string, bool) {
		return func(name string) (string, bool) {
			if name != CallTimeoutEnv || value == "" {
				return "", false
			}
			return value, true
		}
	}
	cases := []struct {
		option time.Duration
		env    string
		want   time.Duration
	}{
		{0, "", DefaultCallTimeout},
		{0, "1500ms", 1500 * time.Millisecond},
		{0, "2s", 2 * time.Second},
		{time.Second, "2s", time.Second},
	}
	for _, tc := range cases {
		if got, err := callTimeoutSetting(tc.option, env(tc.env)); err != nil || got != tc.want {
			t.Errorf("option %v env %q: got %v, %v; want %v", tc.option, tc.env, got, err, tc.want)
		}
	}
	for _, bad := range []string{"soon", "0", "0s"} {
		_, err := callTimeoutSetting(0, env(bad))
		if err == nil || !strings.Contains(err.Error(), CallTimeoutEnv) {
			t.Errorf("%q: want an error naming %s, got %v", bad, CallTimeoutEnv, err)
		}
	}
}

func TestDurationValueKeepsNumberOrText(t *testing.T) {
	type holder struct {
		D *DurationValue `json:"d,omitempty"`
	}
	for _, text := range []string{`{"d":80000}`, `{"d":"1h30m"}`, `{}`} {
		var h holder
		if err := json.Unmarshal([]byte(text), &h); err != nil {
			t.Fatal(err)
		}
		if out, _ := json.Marshal(h); string(out) != text {
			t.Errorf("%s came back as %s", text, out)
		}
	}
	var h holder
	if err := json.Unmarshal([]byte(`{"d":1.5}`), &h); err == nil {
		t.Error("fractional milliseconds must be refused")
	}
	if FromDuration(2*time.Second).String() != "2000" {
		t.Error("FromDuration(2s) must be 2000 ms")
	}
	if got := FormatTime(time.Date(2026, 1, 2, 3, 4, 5, 100e6, time.FixedZone("X", 3600))); got != "2026-01-02T02:04:05.100Z" {
		t.Errorf("FormatTime: %s", got)
	}
}

func TestTypedErrorsMatchTheirSentinels(t *testing.T) {
	refusal := &UpdateRefusedError{CombineOutTradeNo: "A1", Update: UpdateBeginPayment, Reason: "beginPayment refused: x"}
	if !errors.Is(refusal, ErrBeginPaymentRefused) || errors.Is(refusal, ErrMarkPaidRefused) || refusal.Error() != refusal.Reason {
		t.Error("UpdateRefusedError for beginPayment")
	}
	cause := errors.New("context deadline exceeded")
	notAnswering := error(&OrderNotAnsweringError{CombineOutTradeNo: "A1", Call: UpdateBeginPayment,
		Timeout: time.Second, Cause: cause})
	want := "no worker answered beginPayment for order A1 within 1000 ms; do not send the pay call; retry"
	if notAnswering.Error() != want || !errors.Is(notAnswering, ErrOrderNotAnswering) || !errors.Is(notAnswering, cause) {
		t.Errorf("OrderNotAnsweringError: %v", notAnswering)
	}
	ended := &OrderRunEndedError{CombineOutTradeNo: "A1", WorkflowID: WorkflowIDFor("A1"), RunStatus: "TERMINATED"}
	if !errors.Is(ended, ErrOrderRunEnded) || !strings.Contains(ended.Error(), "TERMINATED") {
		t.Errorf("OrderRunEndedError: %v", ended)
	}
	if WorkflowIDFor("A1") != "combine-papay-A1" {
		t.Error("workflow id")
	}
}
