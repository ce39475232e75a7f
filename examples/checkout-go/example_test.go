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
)

// An order service's handler verifying the worker's signed request before acting on it.
func ExampleVerifyRequest() {
	secret := []byte("order-service-shared-secret-0123")
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		expected, err := checkout.ExpectedIdempotencyKey(body)
		if err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		key, err := checkout.VerifyRequest(secret, checkout.ReceivedRequest{Headers: r.Header, Body: body},
			checkout.VerifyOptions{ExpectedIdempotencyKey: expected})
		var refused *checkout.RefusedRequestError
		if errors.As(err, &refused) {
			status := http.StatusUnauthorized
			if refused.Code == checkout.KeyMismatch {
				status = http.StatusBadRequest
			}
			http.Error(w, string(refused.Code), status)
			return
		}
		fmt.Fprintln(w, "compensated", key) // deduplicate by key in a real service
	})

	body := `{"combineOutTradeNo":"P1","outTradeNo":"P1S1","reason":"PAYMENT_TIMEOUT"}`
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	for _, signature := range []string{checkout.Signature(secret, ts, "P1:P1S1", []byte(body)), "sha256=00"} {
		request := httptest.NewRequest(http.MethodPost, "/compensations", strings.NewReader(body))
		request.Header.Set(checkout.HeaderIdempotencyKey, "P1:P1S1")
		request.Header.Set(checkout.HeaderTimestamp, ts)
		request.Header.Set(checkout.HeaderSignature, signature)
		answer := httptest.NewRecorder()
		handler.ServeHTTP(answer, request)
		fmt.Print(answer.Code, " ", answer.Body.String())
	}
	// Output:
	// 200 compensated P1:P1S1
	// 401 BAD_SIGNATURE
}
