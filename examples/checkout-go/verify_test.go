package checkout

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// testKey is the order service's key; testSecret is it as the worker's COMPENSATION_HMAC_SECRET holds it.
const testKey = "order-service-test-key-0123456789"

var (
	testSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte(testKey))
	oldSecret  = "whsec_" + base64.StdEncoding.EncodeToString([]byte("the-secret-before-the-rotation"))
)

func compensationBody(order, subOrder string) string {
	return `{"type":"sub_order.compensate","timestamp":"2026-12-03T08:00:00.000Z","data":{"combineOutTradeNo":"` +
		order + `","outTradeNo":"` + subOrder + `","mchid":"1900000109","subMchid":"1900000001",` +
		`"reason":"PAYMENT_TIMEOUT","reverseOutcome":"REVERSED","tradeState":"CLOSED"}}`
}

func confirmationBody(order string) string {
	return `{"type":"order.paid","timestamp":"2026-12-03T08:00:00.000Z","data":{"combineOutTradeNo":"` + order +
		`","source":"WECHATPAY_QUERY","subOrders":[{"outTradeNo":"` + order + `S1","mchid":"1900000109",` +
		`"subMchid":"1900000001","transactionId":"4200000001"},{"outTradeNo":"` + order + `S2",` +
		`"mchid":"1900000109","subMchid":"1900000002"}]}}`
}

const compensationID = "compensation:P1:P1S1"

var compensation = compensationBody("P1", "P1S1")

// sign is the webhook-signature the worker sends: one "v1,…" per secret, signed here by the library.
func sign(t *testing.T, id string, ts time.Time, body string, secrets ...string) string {
	t.Helper()
	var parts []string
	for _, secret := range secrets {
		hook, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Fatal(err)
		}
		signature, err := hook.Sign(id, ts, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, signature)
	}
	return strings.Join(parts, " ")
}

// request is a request with the headers given (lower-case names, as Node's http delivers them); "" leaves one out.
func request(id, ts, signature, body string) ReceivedRequest {
	headers := map[string][]string{}
	for name, value := range map[string]string{"webhook-id": id, "webhook-timestamp": ts,
		"webhook-signature": signature, "idempotency-key": id} {
		if value != "" {
			headers[name] = []string{value}
		}
	}
	return ReceivedRequest{Headers: headers, Body: []byte(body)}
}

// signed is a fresh request signed with secrets.
func signed(t *testing.T, id, body string, secrets ...string) ReceivedRequest {
	now := time.Now()
	return request(id, strconv.FormatInt(now.Unix(), 10), sign(t, id, now, body, secrets...), body)
}

func verifier(t *testing.T, purpose Purpose, secrets ...string) *Verifier {
	t.Helper()
	v, err := NewVerifier(purpose, secrets...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// refusal is the code of a refused request ("" when accepted); it fails the test when a message holds a secret.
func refusal(t *testing.T, err error) RefusalCode {
	t.Helper()
	if err == nil {
		return ""
	}
	var refused *RefusedRequestError
	if !errors.As(err, &refused) {
		t.Fatalf("not a *RefusedRequestError: %v", err)
	}
	if strings.Contains(err.Error(), testSecret[len(SecretPrefix):]) || strings.Contains(err.Error(), testKey) {
		t.Fatalf("the message holds the secret: %v", err)
	}
	return refused.Code
}

func TestVerifyAcceptsASignedCompensationAndReadsItsData(t *testing.T) {
	verified, err := verifier(t, PurposeCompensation, testSecret).Verify(signed(t, compensationID, compensation, testSecret))
	if err != nil {
		t.Fatal(err)
	}
	want := Compensation{CombineOutTradeNo: "P1", OutTradeNo: "P1S1", Mchid: "1900000109", SubMchid: "1900000001",
		Reason: "PAYMENT_TIMEOUT", ReverseOutcome: "REVERSED", TradeState: "CLOSED"}
	if verified.ID != compensationID || verified.Type != TypeCompensation || verified.Confirmation != nil ||
		verified.Compensation == nil || *verified.Compensation != want {
		t.Fatalf("verified: %+v", verified)
	}
	// Idempotency-Key is optional (webhook-id is the key); a compensation without tradeState is one.
	noKey := signed(t, compensationID, compensation, testSecret)
	delete(noKey.Headers, "idempotency-key")
	noState := strings.Replace(compensation, `,"tradeState":"CLOSED"`, "", 1)
	for _, r := range []ReceivedRequest{noKey, signed(t, compensationID, noState, testSecret)} {
		if _, err := verifier(t, PurposeCompensation, testSecret).Verify(r); err != nil {
			t.Errorf("%s: %v", r.Body, err)
		}
	}
}

func TestVerifyAcceptsASignedPaymentConfirmationAndReadsItsData(t *testing.T) {
	body := confirmationBody("P2")
	verified, err := verifier(t, PurposeConfirmation, testSecret).Verify(signed(t, "confirmation:P2", body, testSecret))
	if err != nil {
		t.Fatal(err)
	}
	paid := verified.Confirmation
	if verified.ID != "confirmation:P2" || paid == nil || paid.Source != PaidByWechatpayQuery || len(paid.SubOrders) != 2 ||
		paid.SubOrders[0] != (PaidSubOrder{"P2S1", "1900000109", "1900000001", "4200000001"}) ||
		paid.SubOrders[1] != (PaidSubOrder{"P2S2", "1900000109", "1900000002", ""}) {
		t.Fatalf("verified: %+v %+v", verified, paid)
	}
}

func TestVerifyAcceptsAnySecretOfARotation(t *testing.T) {
	both := signed(t, compensationID, compensation, testSecret, oldSecret)
	oldOnly := signed(t, compensationID, compensation, oldSecret)
	fromEnv, err := NewVerifier(PurposeCompensation, SecretsFromEnv("  "+testSecret+"   "+oldSecret+"\n")...)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		v *Verifier
		r ReceivedRequest
	}{
		"new secret, both signatures":    {verifier(t, PurposeCompensation, testSecret), both},
		"old secret, both signatures":    {verifier(t, PurposeCompensation, oldSecret), both},
		"both secrets, the old one only": {verifier(t, PurposeCompensation, testSecret, oldSecret), oldOnly},
		"from the environment":           {fromEnv, oldOnly},
	} {
		if _, err := tc.v.Verify(tc.r); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if code := refusal(t, second(verifier(t, PurposeCompensation, testSecret).Verify(oldOnly))); code != BadSignature {
		t.Errorf("the old secret alone, verified with the new: %s", code)
	}
}

func second(_ *VerifiedRequest, err error) error { return err }

func TestVerifyReadsHeaderNamesInAnyCase(t *testing.T) {
	r := signed(t, compensationID, compensation, testSecret)
	upper := ReceivedRequest{Body: r.Body, Headers: map[string][]string{}}
	for name, values := range r.Headers {
		upper.Headers[strings.ToUpper(name)] = values
	}
	if _, err := verifier(t, PurposeCompensation, testSecret).Verify(upper); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyRefusesInOrder(t *testing.T) {
	v := verifier(t, PurposeCompensation, testSecret)
	now := time.Now()
	ts := strconv.FormatInt(now.Unix(), 10)
	good := sign(t, compensationID, now, compensation, testSecret)
	mac := strings.TrimPrefix(good, "v1,")
	flipped := "A" + mac[1:]
	if mac[0] == 'A' {
		flipped = "B" + mac[1:]
	}
	stale := now.Add(-400 * time.Second)
	future := now.Add(400 * time.Second)
	withKey := request(compensationID, ts, good, compensation)
	withKey.Headers["idempotency-key"] = []string{"compensation:P1:P1S2"}
	cases := []struct {
		name    string
		request ReceivedRequest
		code    RefusalCode
	}{
		{"no id", request("", ts, good, compensation), MissingHeader},
		{"no timestamp", request(compensationID, "", good, compensation), MissingHeader},
		{"no signature", request(compensationID, ts, "", compensation), MissingHeader},
		{"an old timestamp", request(compensationID, strconv.FormatInt(stale.Unix(), 10),
			sign(t, compensationID, stale, compensation, testSecret), compensation), StaleTimestamp},
		{"a future timestamp", request(compensationID, strconv.FormatInt(future.Unix(), 10),
			sign(t, compensationID, future, compensation, testSecret), compensation), StaleTimestamp},
		{"a timestamp with a fraction", request(compensationID, ts+".5", good, compensation), StaleTimestamp},
		{"a timestamp with a sign", request(compensationID, "+"+ts, good, compensation), StaleTimestamp},
		{"a negative timestamp", request(compensationID, "-1", good, compensation), StaleTimestamp},
		{"a stale request with a bad signature", request(compensationID, "1000", "v1,AAAA", compensation), StaleTimestamp},
		{"another secret", request(compensationID, ts, sign(t, compensationID, now, compensation, oldSecret), compensation), BadSignature},
		{"a changed body", request(compensationID, ts, good, compensationBody("P1", "P1S2")), BadSignature},
		{"a body with a trailing space", request(compensationID, ts, good, compensation+" "), BadSignature},
		{"another request's id", request("compensation:P1:P1S2", ts, good, compensation), BadSignature},
		{"another second", request(compensationID, strconv.FormatInt(now.Unix()-1, 10), good, compensation), BadSignature},
		{"one character changed", request(compensationID, ts, "v1,"+flipped, compensation), BadSignature},
		{"a truncated signature", request(compensationID, ts, good[:len(good)-2], compensation), BadSignature},
		{"version v2", request(compensationID, ts, "v2,"+mac, compensation), BadSignature},
		{"no version", request(compensationID, ts, mac, compensation), BadSignature},
		{"lower case", request(compensationID, ts, "v1,"+strings.ToLower(mac), compensation), BadSignature},
		{"an Idempotency-Key that is not the id", withKey, KeyMismatch},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if code := refusal(t, second(v.Verify(tc.request))); code != tc.code {
				t.Fatalf("want %s, got %q", tc.code, code)
			}
		})
	}
	if MissingHeader.HTTPStatus() != 401 || BadSignature.HTTPStatus() != 401 || StaleTimestamp.HTTPStatus() != 401 ||
		KeyMismatch.HTTPStatus() != 400 || WrongPurpose.HTTPStatus() != 400 || BadBody.HTTPStatus() != 400 {
		t.Fatal("HTTP statuses")
	}
}

func TestVerifyRefusesARequestOfAnotherPurpose(t *testing.T) {
	compensations := verifier(t, PurposeCompensation, testSecret)
	confirmations := verifier(t, PurposeConfirmation, testSecret)
	paid := confirmationBody("P1")

	// A compensation at the confirmation endpoint, and the other way round: signed, but not this endpoint's.
	_, err := confirmations.Verify(signed(t, compensationID, compensation, testSecret))
	if refusal(t, err) != WrongPurpose || err.Error() != "WRONG_PURPOSE: webhook-id is not a confirmation's (confirmation:…)" {
		t.Fatalf("a compensation at the confirmation endpoint: %v", err)
	}
	if code := refusal(t, second(compensations.Verify(signed(t, "confirmation:P1", paid, testSecret)))); code != WrongPurpose {
		t.Fatalf("a confirmation at the compensation endpoint: %s", code)
	}
	// A sub-order named "paid" is a compensation like any other, never a confirmation of its order.
	paidSubOrder := signed(t, "compensation:P1:paid", compensationBody("P1", "paid"), testSecret)
	if _, err := compensations.Verify(paidSubOrder); err != nil {
		t.Fatalf("sub-order paid: %v", err)
	}
	if code := refusal(t, second(confirmations.Verify(paidSubOrder))); code != WrongPurpose {
		t.Fatalf("sub-order paid at the confirmation endpoint: %s", code)
	}

	type purposeCase struct {
		name, id, body string
		code           RefusalCode
	}
	expect := func(v *Verifier, cases []purposeCase) {
		t.Helper()
		for _, tc := range cases {
			code := refusal(t, second(v.Verify(signed(t, tc.id, tc.body, testSecret))))
			if code != tc.code || code.HTTPStatus() != 400 {
				t.Errorf("%s, %s: want %s, got %q", v.Purpose(), tc.name, tc.code, code)
			}
		}
	}
	noData := `{"type":"sub_order.compensate","timestamp":"2026-12-03T08:00:00Z"}`
	expect(compensations, []purposeCase{
		{"the 1.0 key form", "P1:P1S1", compensation, WrongPurpose},
		{"a confirmation's id", "confirmation:P1", compensation, WrongPurpose},
		{"no type", compensationID, strings.Replace(compensation, `"type":"sub_order.compensate",`, "", 1), WrongPurpose},
		{"another type", compensationID, strings.Replace(compensation, "sub_order.compensate", "order.paid", 1), WrongPurpose},
		{"not JSON", compensationID, "compensate P1S1", BadBody},
		{"a JSON array", compensationID, "[" + compensation + "]", BadBody},
		{"trailing text", compensationID, compensation + " x", BadBody},
		{"no timestamp", compensationID, strings.Replace(compensation, `"timestamp":"2026-12-03T08:00:00.000Z",`, "", 1), BadBody},
		{"a timestamp not ISO", compensationID, strings.Replace(compensation, "2026-12-03T08:00:00.000Z", "yesterday", 1), BadBody},
		{"no data", compensationID, noData, BadBody},
		{"data not an object", compensationID, noData[:len(noData)-1] + `,"data":[]}`, BadBody},
		{"no subMchid", compensationID, strings.Replace(compensation, `"subMchid":"1900000001",`, "", 1), BadBody},
		{"a field named in another case", compensationID, strings.Replace(compensation, `"subMchid"`, `"SubMchid"`, 1), BadBody},
		{"an empty outTradeNo", "compensation:P1:", compensationBody("P1", ""), BadBody},
		{"an unknown tradeState", compensationID, strings.Replace(compensation, "CLOSED", "SUCCESS", 1), BadBody},
		{"an unknown reason", compensationID, strings.Replace(compensation, "PAYMENT_TIMEOUT", "LATER", 1), BadBody},
		{"a reason not a string", compensationID, strings.Replace(compensation, `"PAYMENT_TIMEOUT"`, "1", 1), BadBody},
		{"an unknown reverseOutcome", compensationID, strings.Replace(compensation, `"REVERSED"`, `"DONE"`, 1), BadBody},
		{"another sub-order's id", "compensation:P1:P1S2", compensation, KeyMismatch},
		{"another order's id", "compensation:P9:P1S1", compensation, KeyMismatch},
	})
	expect(confirmations, []purposeCase{
		{"the 1.0 key form", "P1:paid", paid, WrongPurpose},
		{"a compensation's id", "compensation:P1", paid, WrongPurpose},
		{"another source", "confirmation:P1", strings.Replace(paid, "WECHATPAY_QUERY", "MARK_PAID", 1), BadBody},
		{"no sub-orders", "confirmation:P1", paid[:strings.Index(paid, `"subOrders":`)] + `"subOrders":[]}}`, BadBody},
		{"a sub-order without mchid", "confirmation:P1", strings.Replace(paid, `"mchid":"1900000109",`, "", 1), BadBody},
		{"a transactionId as a number", "confirmation:P1", strings.Replace(paid, `"4200000001"`, "4200000001", 1), BadBody},
		{"another order's id", "confirmation:P2", paid, KeyMismatch},
	})
}

// interopBody is the body of the vector computed without the library, also in the Java template's tests.
const interopBody = `{"type":"sub_order.compensate","timestamp":"2026-12-01T08:00:00.000Z","data":{"combineOutTradeNo":` +
	`"P20261127001","outTradeNo":"P20261127001S1","mchid":"1900000109","subMchid":"1900000001",` +
	`"reason":"PAYMENT_TIMEOUT","reverseOutcome":"REVERSED","tradeState":"CLOSED"}}`

// TestSignsAsOpensslComputesIt checks the library against a vector computed with OpenSSL:
// printf '%s' "<id>.<ts>.<body>" | openssl dgst -sha256 -mac HMAC -macopt hexkey:<hex of the key> -binary | base64
func TestSignsAsOpensslComputesIt(t *testing.T) {
	const secret = "whsec_Y2hlY2tvdXQtdGVtcGxhdGUtaW50ZXJvcC1rZXktMDE=" // "checkout-template-interop-key-01"
	const want = "v1,wYDiV78R1FdyRsz+sBARusMWLFjCNX//SQLgzEPq18c="
	const id = "compensation:P20261127001:P20261127001S1"
	hook, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Unix(1796280000, 0)
	if got, err := hook.Sign(id, ts, []byte(interopBody)); err != nil || got != want {
		t.Fatalf("sign: %q, %v", got, err)
	}
	headers := map[string][]string{"Webhook-Id": {id}, "Webhook-Timestamp": {"1796280000"}, "Webhook-Signature": {want}}
	if err := hook.VerifyIgnoringTimestamp([]byte(interopBody), headers); err != nil {
		t.Fatalf("verify: %v", err)
	}
}

// TestVerifiesARequestSignedWithoutTheLibrary signs a fresh request with crypto/hmac alone: the wire format is the
// specification's, not only the library's.
func TestVerifiesARequestSignedWithoutTheLibrary(t *testing.T) {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	// Non-ASCII text in the body (a field this template does not know) is signed as its UTF-8 bytes.
	for _, body := range []string{compensation,
		strings.Replace(compensation, `"tradeState"`, `"note":"超时未支付","tradeState"`, 1)} {
		mac := hmac.New(sha256.New, []byte(testKey))
		mac.Write([]byte(compensationID + "." + ts + "." + body))
		signature := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
		if _, err := verifier(t, PurposeCompensation, testSecret).Verify(request(compensationID, ts, signature, body)); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
	}
}

func TestNewVerifierRefusesSecretsThatAreNotStandardWebhooksSecretsWithoutShowingThem(t *testing.T) {
	for _, secret := range []string{"plain-1.0-secret", "whsec_", "whsec_%%%not-base64", "Y2hlY2s="} {
		_, err := NewVerifier(PurposeCompensation, testSecret, secret)
		if err == nil || err.Error() != "secret 2 is not a Standard Webhooks secret (whsec_<base64>)" {
			t.Errorf("%q: %v", secret, err)
		}
	}
	if _, err := NewVerifier(PurposeConfirmation, SecretsFromEnv(" ")...); err == nil {
		t.Error("no secret: want an error")
	}
	if _, err := NewVerifier("refund", testSecret); err == nil {
		t.Error("an unknown purpose: want an error")
	}
	if s := verifier(t, PurposeCompensation, testSecret).String(); strings.Contains(s, testSecret[len(SecretPrefix):]) {
		t.Errorf("String shows the secret: %s", s)
	}
}
