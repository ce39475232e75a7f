package checkout

import (
	"fmt"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// DefaultCallTimeout is the deadline of a call to an order when neither the call nor ORDER_CALL_TIMEOUT says
// otherwise: long enough for a busy worker, short enough for a checkout.
const DefaultCallTimeout = 5 * time.Second

// CallTimeoutEnv names the environment variable holding the default deadline of calls to an order ("5s", "1500ms").
const CallTimeoutEnv = "ORDER_CALL_TIMEOUT"

var (
	durationText = regexp.MustCompile(`^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$`)
	durationPart = regexp.MustCompile(`(\d+(?:\.\d+)?)(ms|s|m|h|d)`)
	unitOf       = map[string]time.Duration{
		"ms": time.Millisecond, "s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour,
	}
)

// ParseDuration reads a duration as the contract writes it: whole milliseconds ("1500") or one or more
// <number><unit> parts with units ms, s, m, h, d ("5s", "1h30m", "1.5s"). At most 32 characters.
func ParseDuration(text string) (time.Duration, error) {
	text = strings.TrimSpace(text)
	if text == "" || len(text) > 32 {
		return 0, fmt.Errorf("%q is not a duration such as \"5s\" or \"1500ms\"", text)
	}
	if ms, err := strconv.ParseInt(text, 10, 64); err == nil && ms >= 0 && !strings.HasPrefix(text, "+") {
		return time.Duration(ms) * time.Millisecond, nil
	}
	if !durationText.MatchString(text) {
		return 0, fmt.Errorf("%q is not a duration such as \"5s\" or \"1500ms\"", text)
	}
	var totalMs float64
	for _, part := range durationPart.FindAllStringSubmatch(text, -1) {
		amount, err := strconv.ParseFloat(part[1], 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration: %w", text, err)
		}
		totalMs += amount * float64(unitOf[part[2]]/time.Millisecond)
	}
	return time.Duration(math.Round(totalMs)) * time.Millisecond, nil
}

// callTimeoutSetting is the default call deadline: option when positive, else ORDER_CALL_TIMEOUT (looked up with
// lookup), else DefaultCallTimeout. An invalid or non-positive variable is an error naming it.
func callTimeoutSetting(option time.Duration, lookup func(string) (string, bool)) (time.Duration, error) {
	if option > 0 {
		return option, nil
	}
	if lookup == nil {
		lookup = os.LookupEnv
	}
	raw, ok := lookup(CallTimeoutEnv)
	if !ok || strings.TrimSpace(raw) == "" {
		return DefaultCallTimeout, nil
	}
	d, err := ParseDuration(raw)
	if err == nil && d <= 0 {
		err = fmt.Errorf("%q is not positive", raw)
	}
	if err != nil {
		return 0, fmt.Errorf("%s must be a positive duration such as \"5s\": %w", CallTimeoutEnv, err)
	}
	return d, nil
}
