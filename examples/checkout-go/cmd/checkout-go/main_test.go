package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	checkout "example.com/checkout-go"
)

// capture runs fn with stdout redirected and returns what it printed.
func capture(t *testing.T, fn func() int) (string, int) {
	t.Helper()
	read, write, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdout
	os.Stdout = write
	code := fn()
	os.Stdout = saved
	write.Close()
	out, _ := io.ReadAll(read)
	return string(out), code
}

func TestVerifyModePrintsOneLinePerRequest(t *testing.T) {
	secret := "cli-test-secret-0123456789abcdef"
	t.Setenv(SecretEnv, secret)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	body := `{"combineOutTradeNo":"P1","outTradeNo":"P1S1","reason":"PAYMENT_TIMEOUT"}`
	paid := `{"combineOutTradeNo":"P1","source":"WECHATPAY_QUERY","subOrders":[]}`
	sign := func(key, text string) string { return checkout.Signature([]byte(secret), ts, key, []byte(text)) }
	requests := []recordedRequest{
		{Headers: map[string]string{"Idempotency-Key": "P1:P1S1", "X-Compensation-Timestamp": ts,
			"X-Compensation-Signature": sign("P1:P1S1", body)}, Body: body},
		{Headers: map[string]string{"idempotency-key": "P1:paid", "x-compensation-timestamp": ts,
			"x-compensation-signature": sign("P1:paid", paid)}, Body: paid},
		{Headers: map[string]string{"idempotency-key": "P1:P1S9", "x-compensation-timestamp": ts,
			"x-compensation-signature": sign("P1:P1S9", body)}, Body: body},
		{Headers: map[string]string{"idempotency-key": "P1:P1S1", "x-compensation-timestamp": ts}, Body: body},
	}
	file := filepath.Join(t.TempDir(), "requests.json")
	data, _ := json.Marshal(requests)
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := capture(t, func() int { return run([]string{"verify", file}) })
	want := "VERIFIED P1:P1S1\nVERIFIED P1:paid\nREFUSED_REQUEST KEY_MISMATCH: Idempotency-Key does not match the body\n" +
		"REFUSED_REQUEST MISSING_HEADER: Idempotency-Key, X-Compensation-Timestamp, X-Compensation-Signature are required\n"
	if code != exitOK || out != want {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
	if strings.Contains(out, secret) {
		t.Fatal("the secret was printed")
	}
}

func TestVerifyModeNeedsTheSecret(t *testing.T) {
	t.Setenv(SecretEnv, "")
	if _, code := capture(t, func() int { return run([]string{"verify", "none.json"}) }); code != exitUsage {
		t.Fatalf("want exit %d without %s, got %d", exitUsage, SecretEnv, code)
	}
}

func TestInvalidInputExitsThreeBeforeConnecting(t *testing.T) {
	t.Setenv("TEMPORAL_ADDRESS", "127.0.0.1:1") // nothing listens: a client-side refusal must not need a server
	out, code := capture(t, func() int {
		return run([]string{"start", `{"combineOutTradeNo":"` + strings.Repeat("X", 33) + `"}`})
	})
	if code != exitInvalid || !strings.HasPrefix(out, "INVALID_INPUT invalid order input: ") ||
		!strings.Contains(out, "/combineOutTradeNo") {
		t.Fatalf("exit %d, output %q", code, out)
	}
	if _, code := capture(t, func() int { return run([]string{"bogus", "{}"}) }); code != exitUsage {
		t.Fatalf("an unknown mode: exit %d", code)
	}
}
