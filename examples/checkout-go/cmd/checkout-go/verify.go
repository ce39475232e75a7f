package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	checkout "example.com/checkout-go"
)

// SecretEnv names the environment variable holding the order service's secrets: Standard Webhooks secrets
// (whsec_<base64>), space-separated, as the worker holds them.
const SecretEnv = "COMPENSATION_HMAC_SECRET"

// recordedRequest is one request of the verify file.
type recordedRequest struct {
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// verifyRequests checks each request of the file as the endpoint of purpose would, and prints VERIFIED <webhook-id>
// or REFUSED_REQUEST <CODE>: <message>, in order. No secret is ever printed.
func verifyRequests(purpose, file string) int {
	if purpose != string(checkout.PurposeCompensation) && purpose != string(checkout.PurposeConfirmation) {
		fmt.Fprintf(os.Stderr, "checkout-go: unknown purpose %q (compensation or confirmation)\n%s\n", purpose, usage)
		return exitUsage
	}
	verifier, err := checkout.NewVerifier(checkout.Purpose(purpose), checkout.SecretsFromEnv(os.Getenv(SecretEnv))...)
	if err != nil {
		fmt.Fprintf(os.Stderr, "checkout-go: %s: %v\n", SecretEnv, err)
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
		headers := make(map[string][]string, len(request.Headers))
		for name, value := range request.Headers {
			headers[name] = []string{value}
		}
		verified, err := verifier.Verify(checkout.ReceivedRequest{Headers: headers, Body: []byte(request.Body)})
		var refusal *checkout.RefusedRequestError
		if errors.As(err, &refusal) {
			fmt.Printf("REFUSED_REQUEST %s: %s\n", refusal.Code, refusal.Message)
			continue
		}
		fmt.Println("VERIFIED " + verified.ID)
	}
	return exitOK
}
