package checkout

import (
	"regexp"
	"strconv"
	"time"
)

// ISO-8601 times as the contract writes them (the input's orderCreatedAt, a webhook body's timestamp).

// isoTime is the schema's ISO-8601 form: seconds and fraction optional, a zone required.
var isoTime = regexp.MustCompile(
	`^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):?(\d{2}))$`)

// EpochMillis reads an ISO-8601 time of the schema's form as epoch milliseconds, a finer fraction cut (as
// JavaScript does); ok is false when it is not such a time (or not in the calendar).
func EpochMillis(iso string) (ms int64, ok bool) {
	m := isoTime.FindStringSubmatch(iso)
	if m == nil {
		return 0, false
	}
	n := func(i int) int {
		v, _ := strconv.Atoi(m[i])
		return v
	}
	year, month, day, hour, minute, second := n(1), n(2), n(3), n(4), n(5), n(6)
	t := time.Date(year, time.Month(month), day, hour, minute, second, 0, time.UTC)
	if t.Year() != year || int(t.Month()) != month || t.Day() != day || t.Hour() != hour || t.Minute() != minute ||
		t.Second() != second {
		return 0, false
	}
	offset := 0
	if m[8] == "" {
		if n(10) > 23 || n(11) > 59 {
			return 0, false
		}
		offset = n(10)*60 + n(11)
		if m[9] == "-" {
			offset = -offset
		}
	}
	millis := 0
	if m[7] != "" {
		millis, _ = strconv.Atoi((m[7] + "00")[:3])
	}
	return t.Unix()*1000 + int64(millis) - int64(offset)*60_000, true
}
