package checkout

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// The order service's check of a request the worker sent (a compensation or a payment confirmation), before acting
// on it. The requests are Standard Webhooks (v1, symmetric): webhook-id, webhook-timestamp (Unix seconds) and
// webhook-signature ("v1,<base64 HMAC-SHA256 of <id>.<timestamp>.<body>>", one per secret the worker holds,
// space-separated). The Standard Webhooks library checks the timestamp and the signature; a Verifier adds what the
// library cannot know: the purpose its endpoint serves, and that the signed body is that purpose's request for the
// order its webhook-id names. Deduplicating by the webhook-id stays the service's job: answer 409 (or the first
// answer again) for an id already done.

// Purpose is what an endpoint of the order service receives.
type Purpose string

const (
	// PurposeCompensation: POST COMPENSATION_URL, type "sub_order.compensate",
	// webhook-id "compensation:<combineOutTradeNo>:<outTradeNo>".
	PurposeCompensation Purpose = "compensation"
	// PurposeConfirmation: POST PAYMENT_CONFIRMATION_URL (an order adopted as paid), type "order.paid",
	// webhook-id "confirmation:<combineOutTradeNo>".
	PurposeConfirmation Purpose = "confirmation"
)

// Body types of the worker's requests.
const (
	// TypeCompensation is a compensation's body type.
	TypeCompensation = "sub_order.compensate"
	// TypeConfirmation is a payment confirmation's body type.
	TypeConfirmation = "order.paid"
)

// Type is the body type of the purpose's requests.
func (p Purpose) Type() string {
	if p == PurposeConfirmation {
		return TypeConfirmation
	}
	return TypeCompensation
}

// IDPrefix starts every webhook-id of the purpose: "compensation:" or "confirmation:".
func (p Purpose) IDPrefix() string { return string(p) + ":" }

// RefusalCode says why a request was refused; HTTPStatus is the answer to give.
type RefusalCode string

// The refusal codes, in the order the checks run.
const (
	// MissingHeader: webhook-id, webhook-timestamp or webhook-signature absent or empty.
	MissingHeader RefusalCode = "MISSING_HEADER"
	// StaleTimestamp: the timestamp is not Unix seconds within ±MaxClockSkew of now.
	StaleTimestamp RefusalCode = "STALE_TIMESTAMP"
	// BadSignature: no signature verifies with any of the secrets (or the body, id or time was changed).
	BadSignature RefusalCode = "BAD_SIGNATURE"
	// WrongPurpose: signed, but for the other endpoint: the webhook-id prefix or the body's type is another's.
	WrongPurpose RefusalCode = "WRONG_PURPOSE"
	// BadBody: signed, but the body is not {type, timestamp, data} with the purpose's data fields.
	BadBody RefusalCode = "BAD_BODY"
	// KeyMismatch: signed, but the webhook-id is not the one the data implies, or Idempotency-Key differs from it.
	KeyMismatch RefusalCode = "KEY_MISMATCH"
)

// HTTPStatus is the answer for the refusal: 401 tells the worker its signature is not (yet) accepted (it retries
// slowly, e.g. during a secret rotation); 400 is a request that can never succeed here.
func (c RefusalCode) HTTPStatus() int {
	if c == WrongPurpose || c == BadBody || c == KeyMismatch {
		return http.StatusBadRequest
	}
	return http.StatusUnauthorized
}

// MaxClockSkew is the largest clock difference accepted between the worker and the order service (the library's).
const MaxClockSkew = 300 // seconds

var timestampDigits = regexp.MustCompile(`^\d{1,12}$`)

// SecretPrefix starts a Standard Webhooks secret; the rest is the key in base64.
const SecretPrefix = "whsec_"

// RefusedRequestError is a request the Verifier refused. Its message never holds a secret.
type RefusedRequestError struct {
	// Code is the refusal's code.
	Code RefusalCode
	// Message says what failed.
	Message string
}

// Error is "<CODE>: <message>".
func (e *RefusedRequestError) Error() string { return string(e.Code) + ": " + e.Message }

// ReceivedRequest is one request as the order service received it.
type ReceivedRequest struct {
	// Headers by name, any case (an http.Header works: map[string][]string).
	Headers map[string][]string
	// Body is the raw body, exactly as received (verify before parsing it).
	Body []byte
}

// Compensation is a verified compensation's data.
type Compensation struct {
	CombineOutTradeNo string `json:"combineOutTradeNo"`
	OutTradeNo        string `json:"outTradeNo"`
	Mchid             string `json:"mchid"`
	SubMchid          string `json:"subMchid"`
	// Reason is why the order was reversed, e.g. "PAYMENT_TIMEOUT".
	Reason string `json:"reason,omitempty"`
	// ReverseOutcome is how the reverse ended.
	ReverseOutcome string `json:"reverseOutcome,omitempty"`
	// TradeState is the sub-order's state as the confirming query saw it: CLOSED, REVOKED, REFUND or NOT_FOUND.
	TradeState string `json:"tradeState,omitempty"`
}

// PaymentConfirmation is a verified payment confirmation's data: an order kept as paid at its deadline.
type PaymentConfirmation struct {
	CombineOutTradeNo string `json:"combineOutTradeNo"`
	// Source is "WECHATPAY_QUERY".
	Source    string         `json:"source"`
	SubOrders []PaidSubOrder `json:"subOrders"`
}

// PaidSubOrder is one sub-order of a payment confirmation.
type PaidSubOrder struct {
	OutTradeNo    string `json:"outTradeNo"`
	Mchid         string `json:"mchid"`
	SubMchid      string `json:"subMchid"`
	TransactionID string `json:"transactionId,omitempty"`
}

// VerifiedRequest is a request the Verifier accepted.
type VerifiedRequest struct {
	// ID is the webhook-id: the idempotency key, the same on every retry.
	ID string
	// Type is the body's type.
	Type string
	// Data is the body's data, as sent.
	Data json.RawMessage
	// Compensation is the data of a compensation (PurposeCompensation), else nil.
	Compensation *Compensation
	// Confirmation is the data of a payment confirmation (PurposeConfirmation), else nil.
	Confirmation *PaymentConfirmation
}

// Verifier checks the requests of one endpoint (one Purpose) with one or more secrets. Safe for concurrent use.
type Verifier struct {
	purpose Purpose
	hooks   []*standardwebhooks.Webhook
}

// NewVerifier is a Verifier for purpose with the secrets (during a rotation, the old and the new one), each
// "whsec_<base64>". An error names a bad secret by position, never by value.
func NewVerifier(purpose Purpose, secrets ...string) (*Verifier, error) {
	if purpose != PurposeCompensation && purpose != PurposeConfirmation {
		return nil, fmt.Errorf("purpose %q is neither %q nor %q", purpose, PurposeCompensation, PurposeConfirmation)
	}
	if len(secrets) == 0 {
		return nil, errors.New("at least one secret (whsec_<base64>) is needed")
	}
	v := &Verifier{purpose: purpose}
	for i, secret := range secrets {
		var hook *standardwebhooks.Webhook
		var err error
		if strings.HasPrefix(secret, SecretPrefix) {
			hook, err = standardwebhooks.NewWebhook(secret)
		}
		if hook == nil || err != nil {
			return nil, fmt.Errorf("secret %d is not a Standard Webhooks secret (whsec_<base64>)", i+1)
		}
		v.hooks = append(v.hooks, hook)
	}
	return v, nil
}

// SecretsFromEnv splits the worker's COMPENSATION_HMAC_SECRET: secrets separated by white space.
func SecretsFromEnv(value string) []string { return strings.Fields(value) }

// Purpose is what the Verifier accepts.
func (v *Verifier) Purpose() Purpose { return v.purpose }

// String names the purpose and how many secrets, never them.
func (v *Verifier) String() string {
	return fmt.Sprintf("Verifier{purpose: %s, secrets: %d (hidden)}", v.purpose, len(v.hooks))
}

// Verify checks one request, in the order of the TypeScript client's verifyDownstreamRequest: the three headers
// present (names in any case) → MissingHeader; the timestamp Unix seconds within ±300 s → StaleTimestamp; a
// signature made with one of the secrets → BadSignature; the webhook-id prefix and the body's type this purpose's →
// WrongPurpose; the body {type, timestamp, data} with the purpose's data fields → BadBody; the webhook-id the one
// the data implies, and Idempotency-Key (when sent) equal to it → KeyMismatch. A refusal is *RefusedRequestError.
func (v *Verifier) Verify(req ReceivedRequest) (*VerifiedRequest, error) {
	headers := http.Header{}
	for name, values := range req.Headers {
		for _, value := range values {
			headers.Add(name, value) // canonical names: the library reads them with Get
		}
	}
	id := headers.Get(HeaderWebhookID)
	timestamp := headers.Get(HeaderWebhookTimestamp)
	if id == "" || timestamp == "" || headers.Get(HeaderWebhookSignature) == "" {
		return nil, &RefusedRequestError{MissingHeader,
			HeaderWebhookID + ", " + HeaderWebhookTimestamp + ", " + HeaderWebhookSignature + " are required"}
	}
	// The library also reads "+123" as a time; the contract's timestamp is digits only.
	if !timestampDigits.MatchString(timestamp) {
		return nil, &RefusedRequestError{StaleTimestamp, HeaderWebhookTimestamp + " is not within ±300 s of now"}
	}
	if err := v.verifySignature(req.Body, headers); err != nil {
		return nil, err
	}
	verified, err := v.read(id, req.Body)
	if err != nil {
		return nil, err
	}
	if key := headers.Get(HeaderIdempotencyKey); key != "" && key != id {
		return nil, &RefusedRequestError{KeyMismatch, HeaderIdempotencyKey + " differs from " + HeaderWebhookID}
	}
	return verified, nil
}

// verifySignature runs the library with each secret: the headers and the timestamp are the same for all, so
// their refusal is final; a signature that no secret made is BadSignature.
func (v *Verifier) verifySignature(body []byte, headers http.Header) error {
	for _, hook := range v.hooks {
		err := hook.Verify(body, headers)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, standardwebhooks.ErrRequiredHeaders):
			return &RefusedRequestError{MissingHeader,
				HeaderWebhookID + ", " + HeaderWebhookTimestamp + ", " + HeaderWebhookSignature + " are required"}
		case errors.Is(err, standardwebhooks.ErrInvalidHeaders), errors.Is(err, standardwebhooks.ErrMessageTooOld),
			errors.Is(err, standardwebhooks.ErrMessageTooNew):
			return &RefusedRequestError{StaleTimestamp, HeaderWebhookTimestamp + " is not within ±300 s of now"}
		}
	}
	return &RefusedRequestError{BadSignature, HeaderWebhookSignature + " does not verify with any secret"}
}

// read is the purpose check of a signed request, without the signature: the webhook-id prefix and the body's type
// this purpose's (WrongPurpose), the body {type, timestamp, data} with the purpose's data fields (BadBody), the
// webhook-id the one the data implies (KeyMismatch). Field names are matched exactly, as JSON.parse does.
func (v *Verifier) read(id string, body []byte) (*VerifiedRequest, error) {
	if !strings.HasPrefix(id, v.purpose.IDPrefix()) {
		return nil, &RefusedRequestError{WrongPurpose,
			fmt.Sprintf("%s is not a %s's (%s…)", HeaderWebhookID, v.purpose, v.purpose.IDPrefix())}
	}
	var envelope map[string]any
	if err := json.Unmarshal(body, &envelope); err != nil || envelope == nil {
		return nil, &RefusedRequestError{BadBody, "the body must be a JSON object { type, timestamp, data }"}
	}
	if kind, _ := envelope["type"].(string); kind != v.purpose.Type() {
		return nil, &RefusedRequestError{WrongPurpose,
			fmt.Sprintf("type must be %q for a %s", v.purpose.Type(), v.purpose)}
	}
	if stamp, ok := envelope["timestamp"].(string); !ok || !validTime(stamp) {
		return nil, &RefusedRequestError{BadBody, "timestamp must be an ISO-8601 string"}
	}
	data, ok := envelope["data"].(map[string]any)
	if !ok {
		return nil, &RefusedRequestError{BadBody, "data must be an object"}
	}
	var raw map[string]json.RawMessage // the data exactly as sent
	_ = json.Unmarshal(body, &raw)
	verified := &VerifiedRequest{ID: id, Type: v.purpose.Type(), Data: raw["data"]}
	var expected, problem string
	if v.purpose == PurposeCompensation {
		verified.Compensation, expected, problem = compensationOf(data)
	} else {
		verified.Confirmation, expected, problem = confirmationOf(data)
	}
	if problem != "" {
		return nil, &RefusedRequestError{BadBody, problem}
	}
	if id != expected {
		return nil, &RefusedRequestError{KeyMismatch, HeaderWebhookID + " is not the one the data implies"}
	}
	return verified, nil
}

func validTime(iso string) bool {
	_, ok := EpochMillis(iso)
	return ok
}

// Values a compensation's fields take.
var (
	compensationReasons = []string{"PAYMENT_TIMEOUT", "CANCELLED"}
	reverseOutcomes     = []string{"REVERSED", "ALREADY_CLOSED", "ORDER_NOT_FOUND", "NOT_NEEDED"}
	tradeStates         = []string{"CLOSED", "REVOKED", "REFUND", "NOT_FOUND"}
)

// missingText names the first of fields of value that is not a non-empty string ("" when all are).
func missingText(value map[string]any, prefix string, fields ...string) string {
	for _, field := range fields {
		if text, ok := value[field].(string); !ok || text == "" {
			return prefix + field + " must be a non-empty string"
		}
	}
	return ""
}

// oneOf is whether value is a string among values.
func oneOf(value any, values []string) bool {
	text, ok := value.(string)
	return ok && slices.Contains(values, text)
}

// compensationOf reads a compensation's data and the webhook-id it implies, or names its first bad field.
func compensationOf(data map[string]any) (*Compensation, string, string) {
	if bad := missingText(data, "data.", "combineOutTradeNo", "outTradeNo", "mchid", "subMchid"); bad != "" {
		return nil, "", bad
	}
	if !oneOf(data["reason"], compensationReasons) {
		return nil, "", "data.reason must be one of " + strings.Join(compensationReasons, ", ")
	}
	if !oneOf(data["reverseOutcome"], reverseOutcomes) {
		return nil, "", "data.reverseOutcome must be one of " + strings.Join(reverseOutcomes, ", ")
	}
	if state, present := data["tradeState"]; present && !oneOf(state, tradeStates) {
		return nil, "", "data.tradeState must be one of " + strings.Join(tradeStates, ", ")
	}
	text := func(field string) string { s, _ := data[field].(string); return s }
	c := &Compensation{CombineOutTradeNo: text("combineOutTradeNo"), OutTradeNo: text("outTradeNo"),
		Mchid: text("mchid"), SubMchid: text("subMchid"), Reason: text("reason"),
		ReverseOutcome: text("reverseOutcome"), TradeState: text("tradeState")}
	return c, PurposeCompensation.IDPrefix() + c.CombineOutTradeNo + ":" + c.OutTradeNo, ""
}

// confirmationOf reads a payment confirmation's data and the webhook-id it implies, or names its first bad field.
func confirmationOf(data map[string]any) (*PaymentConfirmation, string, string) {
	if bad := missingText(data, "data.", "combineOutTradeNo"); bad != "" {
		return nil, "", bad
	}
	if data["source"] != PaidByWechatpayQuery {
		return nil, "", `data.source must be "` + PaidByWechatpayQuery + `"`
	}
	subOrders, ok := data["subOrders"].([]any)
	if !ok || len(subOrders) == 0 {
		return nil, "", "data.subOrders must be a non-empty array"
	}
	p := &PaymentConfirmation{CombineOutTradeNo: data["combineOutTradeNo"].(string), Source: PaidByWechatpayQuery}
	for i, item := range subOrders {
		s, _ := item.(map[string]any)
		prefix := fmt.Sprintf("data.subOrders[%d].", i)
		if bad := missingText(s, prefix, "outTradeNo", "mchid", "subMchid"); bad != "" {
			return nil, "", bad
		}
		transaction, present := s["transactionId"]
		if _, isText := transaction.(string); present && !isText {
			return nil, "", prefix + "transactionId must be a string when present"
		}
		id, _ := transaction.(string)
		p.SubOrders = append(p.SubOrders, PaidSubOrder{OutTradeNo: s["outTradeNo"].(string), Mchid: s["mchid"].(string),
			SubMchid: s["subMchid"].(string), TransactionID: id})
	}
	return p, PurposeConfirmation.IDPrefix() + p.CombineOutTradeNo, ""
}
