package checkout_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	checkout "example.com/checkout-go"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// An order service's compensation endpoint verifying the worker's signed request before acting on it.
func ExampleVerifier() {
	// COMPENSATION_HMAC_SECRET as the worker holds it: one or more whsec_ secrets, space-separated.
	secrets := "whsec_b3JkZXItc2VydmljZS1leGFtcGxlLWtleQ=="
	verifier, err := checkout.NewVerifier(checkout.PurposeCompensation, checkout.SecretsFromEnv(secrets)...)
	if err != nil {
		panic(err) // a secret that is not whsec_<base64>: a configuration error
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		verified, err := verifier.Verify(checkout.ReceivedRequest{Headers: r.Header, Body: body})
		var refused *checkout.RefusedRequestError
		if errors.As(err, &refused) {
			http.Error(w, string(refused.Code), refused.Code.HTTPStatus())
			return
		}
		// Deduplicate by verified.ID in a real service: answer 409 (or the first answer) for an id already done.
		fmt.Fprintln(w, "compensated", verified.Compensation.OutTradeNo, "of", verified.Compensation.CombineOutTradeNo)
	})

	// What the worker sends (signed here with the Standard Webhooks library, as the worker signs it).
	id := "compensation:P1:P1S1"
	body := `{"type":"sub_order.compensate","timestamp":"2026-12-03T08:00:00.000Z","data":{"combineOutTradeNo":"P1",` +
		`"outTradeNo":"P1S1","mchid":"1900000109","subMchid":"1900000001","reason":"PAYMENT_TIMEOUT",` +
		`"reverseOutcome":"REVERSED","tradeState":"CLOSED"}}`
	now := time.Now()
	hook, _ := standardwebhooks.NewWebhook(secrets)
	signature, _ := hook.Sign(id, now, []byte(body))
	for _, sig := range []string{signature, "v1,AAAA"} {
		request := httptest.NewRequest(http.MethodPost, "/compensations", strings.NewReader(body))
		request.Header.Set(checkout.HeaderWebhookID, id)
		request.Header.Set(checkout.HeaderWebhookTimestamp, strconv.FormatInt(now.Unix(), 10))
		request.Header.Set(checkout.HeaderWebhookSignature, sig)
		request.Header.Set(checkout.HeaderIdempotencyKey, id)
		answer := httptest.NewRecorder()
		handler.ServeHTTP(answer, request)
		fmt.Print(answer.Code, " ", answer.Body.String())
	}
	// Output:
	// 200 compensated P1S1 of P1
	// 401 BAD_SIGNATURE
}
