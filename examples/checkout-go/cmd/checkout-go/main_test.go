package main

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
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
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("cli-test-key-0123456789abcdef"))
	old := "whsec_" + base64.StdEncoding.EncodeToString([]byte("cli-test-key-before-rotation"))
	t.Setenv(SecretEnv, secret+" "+old)
	now := time.Now()
	ts := strconv.FormatInt(now.Unix(), 10)
	compensation := `{"type":"sub_order.compensate","timestamp":"2026-12-03T08:00:00.000Z","data":{` +
		`"combineOutTradeNo":"P1","outTradeNo":"P1S1","mchid":"1900000109","subMchid":"1900000001",` +
		`"reason":"PAYMENT_TIMEOUT","reverseOutcome":"REVERSED"}}`
	paid := `{"type":"order.paid","timestamp":"2026-12-03T08:00:00.000Z","data":{"combineOutTradeNo":"P1",` +
		`"source":"WECHATPAY_QUERY","subOrders":[{"outTradeNo":"P1S1","mchid":"1900000109","subMchid":"1900000001"}]}}`
	sign := func(id, body string) string {
		hook, _ := standardwebhooks.NewWebhook(old)
		signature, _ := hook.Sign(id, now, []byte(body))
		return signature
	}
	requests := []recordedRequest{
		{Headers: map[string]string{"webhook-id": "compensation:P1:P1S1", "webhook-timestamp": ts,
			"webhook-signature": sign("compensation:P1:P1S1", compensation), "Idempotency-Key": "compensation:P1:P1S1"},
			Body: compensation},
		{Headers: map[string]string{"Webhook-Id": "confirmation:P1", "Webhook-Timestamp": ts,
			"Webhook-Signature": sign("confirmation:P1", paid)}, Body: paid},
		{Headers: map[string]string{"webhook-id": "compensation:P1:P1S1", "webhook-timestamp": ts}, Body: compensation},
	}
	file := filepath.Join(t.TempDir(), "requests.json")
	data, _ := json.Marshal(requests)
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	missing := "REFUSED_REQUEST MISSING_HEADER: webhook-id, webhook-timestamp, webhook-signature are required\n"
	for purpose, want := range map[string]string{
		"compensation": "VERIFIED compensation:P1:P1S1\n" +
			"REFUSED_REQUEST WRONG_PURPOSE: webhook-id is not a compensation's (compensation:…)\n" + missing,
		"confirmation": "REFUSED_REQUEST WRONG_PURPOSE: webhook-id is not a confirmation's (confirmation:…)\n" +
			"VERIFIED confirmation:P1\n" + missing,
	} {
		out, code := capture(t, func() int { return run([]string{"verify", purpose, file}) })
		if code != exitOK || out != want {
			t.Fatalf("%s: exit %d, output:\n%s", purpose, code, out)
		}
		if strings.Contains(out, secret) || strings.Contains(out, old) {
			t.Fatal("a secret was printed")
		}
	}
}

func TestVerifyModeNeedsItsPurposeAndTheSecrets(t *testing.T) {
	t.Setenv(SecretEnv, "")
	for _, args := range [][]string{{"verify", "compensation", "none.json"}, {"verify", "none.json"},
		{"verify", "refund", "none.json"}} {
		if _, code := capture(t, func() int { return run(args) }); code != exitUsage {
			t.Fatalf("%v without %s: want exit %d, got %d", args, SecretEnv, exitUsage, code)
		}
	}
	t.Setenv(SecretEnv, "a-plain-1.0-secret")
	if _, code := capture(t, func() int { return run([]string{"verify", "compensation", "none.json"}) }); code != exitUsage {
		t.Fatalf("a secret that is not whsec_: want exit %d, got %d", exitUsage, code)
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
