package checkout

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const testSecret = "order-service-shared-secret-0123"

// now is the clock of the fixed vector: 2026-12-03T06:00:00Z.
var now = time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC)

const compensationBody = `{"combineOutTradeNo":"P1","outTradeNo":"P1S1","reason":"PAYMENT_TIMEOUT"}`

// signedRequest is a compensation request signed in the test (lower-case header names, as Node delivers them).
func signedRequest(overrides map[string]string, body string) ReceivedRequest {
	ts := "1796277600"
	headers := map[string][]string{
		"idempotency-key":          {"P1:P1S1"},
		"x-compensation-timestamp": {ts},
		"x-compensation-signature": {Signature([]byte(testSecret), ts, "P1:P1S1", []byte(compensationBody))},
	}
	for name, value := range overrides {
		headers[name] = []string{value}
	}
	return ReceivedRequest{Headers: headers, Body: []byte(body)}
}

func at(t time.Time) VerifyOptions { return VerifyOptions{Now: func() time.Time { return t }} }

func TestVerifyAcceptsTheNodeVector(t *testing.T) {
	// Computed with node:crypto createHmac('sha256', secret).update(`${ts}.${key}.${body}`), as
	// client/verify-downstream.ts verifies it.
	request := ReceivedRequest{
		Headers: map[string][]string{
			"Idempotency-Key":          {"P1:P1S1"},
			"X-Compensation-Timestamp": {"1796277600"},
			"X-Compensation-Signature": {"sha256=562e01b4b6ffc80ea430f2929aa510a720b68952e054054aa887386c058f50dc"},
		},
		Body: []byte(compensationBody),
	}
	key, err := VerifyRequest([]byte(testSecret), request, VerifyOptions{ExpectedIdempotencyKey: "P1:P1S1",
		Now: func() time.Time { return now }})
	if err != nil || key != "P1:P1S1" {
		t.Fatalf("the node vector: key %q, err %v", key, err)
	}
	confirmation := `{"combineOutTradeNo":"P1","source":"WECHATPAY_QUERY","subOrders":[{"outTradeNo":"P1S1",` +
		`"mchid":"1900000109","subMchid":"1900000001"}]}`
	request = ReceivedRequest{Headers: map[string][]string{
		"idempotency-key":          {"P1:paid"},
		"X-COMPENSATION-TIMESTAMP": {"1796277600"},
		"x-compensation-signature": {"sha256=cbb692cc0ddfd9ce847230fa4c18bd2ba46590849834837b49141cec5de2772b"},
	}, Body: []byte(confirmation)}
	expected, err := ExpectedIdempotencyKey(request.Body)
	if err != nil || expected != "P1:paid" {
		t.Fatalf("confirmation key %q, %v", expected, err)
	}
	if _, err := VerifyRequest([]byte(testSecret), request, VerifyOptions{ExpectedIdempotencyKey: expected,
		Now: func() time.Time { return now }}); err != nil {
		t.Fatalf("the node confirmation vector: %v", err)
	}
}

func TestVerifyAcceptsWithinTheWindowAndAnyHeaderCase(t *testing.T) {
	for _, clock := range []time.Time{now, now.Add(299 * time.Second), now.Add(-300 * time.Second)} {
		if _, err := VerifyRequest([]byte(testSecret), signedRequest(nil, compensationBody), at(clock)); err != nil {
			t.Errorf("at %s: %v", clock, err)
		}
	}
	request := signedRequest(nil, compensationBody)
	upper := ReceivedRequest{Body: request.Body, Headers: map[string][]string{}}
	for name, values := range request.Headers {
		upper.Headers[strings.ToUpper(name)] = values
	}
	if key, err := VerifyRequest([]byte(testSecret), upper, at(now)); err != nil || key != "P1:P1S1" {
		t.Errorf("upper-case header names: %q %v", key, err)
	}
}

func TestVerifyRefusals(t *testing.T) {
	other := Signature([]byte(strings.Repeat("x", 32)), "1796277600", "P1:P1S1", []byte(compensationBody))
	cases := []struct {
		name     string
		request  ReceivedRequest
		clock    time.Time
		expected string
		code     RefusalCode
	}{
		{"no signature", signedRequest(map[string]string{"x-compensation-signature": ""}, compensationBody), now, "", MissingHeader},
		{"no key", signedRequest(map[string]string{"idempotency-key": ""}, compensationBody), now, "", MissingHeader},
		{"a stale timestamp", signedRequest(nil, compensationBody), now.Add(301 * time.Second), "", StaleTimestamp},
		{"a future timestamp", signedRequest(nil, compensationBody), now.Add(-301 * time.Second), "", StaleTimestamp},
		{"a timestamp not in seconds", signedRequest(map[string]string{"x-compensation-timestamp": "1796277600.5"}, compensationBody), now, "", StaleTimestamp},
		{"another secret", signedRequest(map[string]string{"x-compensation-signature": other}, compensationBody), now, "", BadSignature},
		{"a changed body", signedRequest(nil, strings.Replace(compensationBody, "P1S1", "P1S2", 1)), now, "", BadSignature},
		{"another key", signedRequest(map[string]string{"idempotency-key": "P1:P1S2"}, compensationBody), now, "", BadSignature},
		{"the last digit changed (same length: the constant-time comparison)", signedRequest(map[string]string{"x-compensation-signature": lastDigitChanged()}, compensationBody), now, "", BadSignature},
		{"a truncated signature", signedRequest(map[string]string{"x-compensation-signature": "sha256=00"}, compensationBody), now, "", BadSignature},
		{"a key the body does not imply", signedRequest(nil, compensationBody), now, "P1:P1S9", KeyMismatch},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := VerifyRequest([]byte(testSecret), tc.request, VerifyOptions{ExpectedIdempotencyKey: tc.expected,
				Now: func() time.Time { return tc.clock }})
			var refused *RefusedRequestError
			if !errors.As(err, &refused) || refused.Code != tc.code {
				t.Fatalf("want %s, got %v", tc.code, err)
			}
			if strings.Contains(refused.Error(), testSecret) {
				t.Fatal("the message holds the secret")
			}
		})
	}
}

func TestVerifyChecksInTheTypeScriptOrder(t *testing.T) {
	// A stale request with a bad signature is STALE_TIMESTAMP; a bad signature with a wrong key is BAD_SIGNATURE.
	request := signedRequest(map[string]string{"x-compensation-signature": "sha256=00"}, compensationBody)
	_, err := VerifyRequest([]byte(testSecret), request, at(now.Add(time.Hour)))
	if refused := (*RefusedRequestError)(nil); !errors.As(err, &refused) || refused.Code != StaleTimestamp {
		t.Fatalf("want STALE_TIMESTAMP first, got %v", err)
	}
	_, err = VerifyRequest([]byte(testSecret), request, VerifyOptions{ExpectedIdempotencyKey: "X:Y",
		Now: func() time.Time { return now }})
	if refused := (*RefusedRequestError)(nil); !errors.As(err, &refused) || refused.Code != BadSignature {
		t.Fatalf("want BAD_SIGNATURE before KEY_MISMATCH, got %v", err)
	}
}

func TestExpectedIdempotencyKey(t *testing.T) {
	cases := map[string]string{
		compensationBody: "P1:P1S1",
		`{"combineOutTradeNo":"P1","source":"WECHATPAY_QUERY","subOrders":[{"outTradeNo":"P1S1"}]}`: "P1:paid",
		`{"combineOutTradeNo":"A|B*C","outTradeNo":"A|B*CS1"}`:                                      "A|B*C:A|B*CS1",
	}
	for body, want := range cases {
		if got, err := ExpectedIdempotencyKey([]byte(body)); err != nil || got != want {
			t.Errorf("%s: got %q, %v; want %q", body, got, err, want)
		}
	}
	for _, body := range []string{`[]`, `{"outTradeNo":"S1"}`, `not json`, `{"combineOutTradeNo":7}`} {
		if key, err := ExpectedIdempotencyKey([]byte(body)); err == nil {
			t.Errorf("%s: want an error, got %q", body, key)
		}
	}
}

// lastDigitChanged is the valid signature with its last hex digit changed.
func lastDigitChanged() string {
	valid := Signature([]byte(testSecret), "1796277600", "P1:P1S1", []byte(compensationBody))
	last := "0"
	if strings.HasSuffix(valid, "0") {
		last = "1"
	}
	return valid[:len(valid)-1] + last
}
