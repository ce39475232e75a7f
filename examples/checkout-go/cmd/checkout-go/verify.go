package main

import (
	"encoding/json"
	"fmt"
	"os"

	checkout "example.com/checkout-go"
)

// SecretEnv names the environment variable holding the order service's shared secret.
const SecretEnv = "COMPENSATION_HMAC_SECRET"

// recordedRequest is one request of the verify file.
type recordedRequest struct {
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// verifyRequests checks each request of the file against the shared secret and prints VERIFIED <key> or
// REFUSED_REQUEST <CODE>: <message>, in order. The secret is never printed.
func verifyRequests(file string) int {
	secret := os.Getenv(SecretEnv)
	if secret == "" {
		fmt.Fprintf(os.Stderr, "checkout-go: verify needs the shared secret in %s\n", SecretEnv)
		return exitUsage
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return fail(err)
	}
	var requests []recordedRequest
	if err := json.Unmarshal(raw, &requests); err != nil {
		return fail(fmt.Errorf("%s: a JSON array of {\"headers\": {...}, \"body\": \"...\"} is expected: %w", file, err))
	}
	for _, request := range requests {
		key, err := verifyOne([]byte(secret), request)
		if refusal, ok := err.(*checkout.RefusedRequestError); ok {
			fmt.Printf("REFUSED_REQUEST %s: %s\n", refusal.Code, refusal.Message)
			continue
		}
		fmt.Println("VERIFIED " + key)
	}
	return exitOK
}

// verifyOne verifies a request, expecting the Idempotency-Key its body implies.
func verifyOne(secret []byte, request recordedRequest) (string, error) {
	headers := make(map[string][]string, len(request.Headers))
	for name, value := range request.Headers {
		headers[name] = []string{value}
	}
	received := checkout.ReceivedRequest{Headers: headers, Body: []byte(request.Body)}
	expected, deriveErr := checkout.ExpectedIdempotencyKey(received.Body)
	key, err := checkout.VerifyRequest(secret, received, checkout.VerifyOptions{ExpectedIdempotencyKey: expected})
	if err == nil && deriveErr != nil {
		return "", &checkout.RefusedRequestError{Code: checkout.KeyMismatch,
			Message: "the body implies no Idempotency-Key: " + deriveErr.Error()}
	}
	return key, err
}
