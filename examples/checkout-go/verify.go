package checkout

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The order service's check of a request the worker sent (a compensation or a payment confirmation), before acting
// on it. Deduplicating by Idempotency-Key stays the service's job: answer 409 (or the first answer again) for a key
// already done.

// RefusalCode says why a request was refused. Answer 401 for all but KEY_MISMATCH, which is 400.
type RefusalCode string

// The refusal codes, in the order the checks run.
const (
	// MissingHeader: Idempotency-Key, X-Compensation-Timestamp or X-Compensation-Signature absent or empty.
	MissingHeader RefusalCode = "MISSING_HEADER"
	// StaleTimestamp: the timestamp is not Unix seconds within ±MaxClockSkew of now.
	StaleTimestamp RefusalCode = "STALE_TIMESTAMP"
	// BadSignature: the signature does not verify with the shared secret.
	BadSignature RefusalCode = "BAD_SIGNATURE"
	// KeyMismatch: the Idempotency-Key is not the one the body implies.
	KeyMismatch RefusalCode = "KEY_MISMATCH"
)

// MaxClockSkew is the largest clock difference accepted between the worker and the order service.
const MaxClockSkew = 300 * time.Second

// RefusedRequestError is a request VerifyRequest refused. Its message never holds the secret.
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

// VerifyOptions tune VerifyRequest.
type VerifyOptions struct {
	// ExpectedIdempotencyKey, when set, is the key the body implies (see ExpectedIdempotencyKey).
	ExpectedIdempotencyKey string
	// Now is the clock; default time.Now.
	Now func() time.Time
}

var timestampDigits = regexp.MustCompile(`^\d{1,12}$`)

// VerifyRequest checks one request against the shared secret (COMPENSATION_HMAC_SECRET): the three headers
// present, the timestamp within ±300 s, the signature "sha256=<hex HMAC-SHA256 over
// <timestamp>.<Idempotency-Key>.<body>>" equal in constant time, and the key the expected one. It returns the
// Idempotency-Key, or *RefusedRequestError.
func VerifyRequest(secret []byte, req ReceivedRequest, opts VerifyOptions) (string, error) {
	timestamp := headerValue(req.Headers, HeaderTimestamp)
	signature := headerValue(req.Headers, HeaderSignature)
	key := headerValue(req.Headers, HeaderIdempotencyKey)
	if timestamp == "" || signature == "" || key == "" {
		return "", &RefusedRequestError{MissingHeader,
			HeaderIdempotencyKey + ", " + HeaderTimestamp + ", " + HeaderSignature + " are required"}
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	seconds, err := strconv.ParseInt(timestamp, 10, 64)
	skew := math.Abs(float64(now().UnixMilli())/1000 - float64(seconds))
	if !timestampDigits.MatchString(timestamp) || err != nil || skew > MaxClockSkew.Seconds() {
		return "", &RefusedRequestError{StaleTimestamp, HeaderTimestamp + " is not within ±300 s of now"}
	}
	if !hmac.Equal([]byte(Signature(secret, timestamp, key, req.Body)), []byte(signature)) {
		return "", &RefusedRequestError{BadSignature, HeaderSignature + " does not verify"}
	}
	if opts.ExpectedIdempotencyKey != "" && key != opts.ExpectedIdempotencyKey {
		return "", &RefusedRequestError{KeyMismatch, HeaderIdempotencyKey + " does not match the body"}
	}
	return key, nil
}

// Signature is the X-Compensation-Signature of a request: "sha256=" and the hex HMAC-SHA256 with secret over
// "<timestamp>.<idempotencyKey>.<body>".
func Signature(secret []byte, timestamp, idempotencyKey string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp + "." + idempotencyKey + "."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// headerValue is the first value of the header named name, whatever the case of the name.
func headerValue(headers map[string][]string, name string) string {
	for key, values := range headers {
		if strings.EqualFold(key, name) && len(values) > 0 {
			return values[0]
		}
	}
	return ""
}

// ExpectedIdempotencyKey derives the key a body implies: "<combineOutTradeNo>:<outTradeNo>" for a compensation,
// "<combineOutTradeNo>:paid" for a payment confirmation (which has no top-level outTradeNo).
func ExpectedIdempotencyKey(body []byte) (string, error) {
	var fields struct {
		CombineOutTradeNo *string `json:"combineOutTradeNo"`
		OutTradeNo        *string `json:"outTradeNo"`
	}
	if err := json.Unmarshal(body, &fields); err != nil {
		return "", errors.New("the body is not a JSON object with combineOutTradeNo")
	}
	if fields.CombineOutTradeNo == nil || *fields.CombineOutTradeNo == "" {
		return "", errors.New("the body has no combineOutTradeNo")
	}
	if fields.OutTradeNo != nil {
		return *fields.CombineOutTradeNo + ":" + *fields.OutTradeNo, nil
	}
	return *fields.CombineOutTradeNo + ":paid", nil
}
