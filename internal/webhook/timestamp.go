package webhook

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.uber.org/zap"
)

// Why every signed request's timestamp must be placed in time.
//
// The signature covers X-Lark-Request-Timestamp, nonce and body, so a
// captured signed request can be sent again byte for byte, and only two
// things stop it: the claim (event_id, message_id, or the legacy signature)
// and the freshness window. A claim lives ClaimTTL; after that, only the
// window refuses the replay. A timestamp that cannot be placed in time has no
// window, so accepting one would make its request replayable for ever once
// its claim expired. Hence: a signed request is accepted only if its
// timestamp reads as a point in time inside ±TimestampWindow, and New makes
// ClaimTTL exceed the whole span during which a request is accepted
// (2×TimestampWindow), so that no replay outlives its claim.
//
// The unit is not documented (feishu-platform.md §4.1). What can be placed:
//
//   - all digits: Unix seconds up to 11 digits (good until the year 5138),
//     milliseconds from 12 to 14 digits, microseconds from 15 to 17 (the
//     unit of create_time in some callbacks, §4.5). For any time between
//     1973 and 5138 the digit count names exactly one unit.
//   - the one odd shape reported for card callbacks (§4.1, unconfirmed): a Go
//     time.Time.String() value, "2026-10-04 18:23:46.05 +0800 CST m=+3612.1".
//     Its date, clock and numeric offset place it exactly; the zone name
//     (any abbreviation, or "+0530" where the zone has none) and the
//     monotonic reading (" m=±seconds", the sender's process uptime) say
//     nothing about when and are skipped. Being placed, it gets the same
//     window and the same claim as any other request: nothing is exempt.
//
// Anything else (a sign, an exponent, 18 or more digits, free text) is
// refused with 401 even though the signature holds: the platform has not
// been seen to send it, and a window cannot be applied to it.

// goTimeLayout reads the part of Go's time.Time.String that places it: date,
// clock with optional fraction, and numeric offset.
const goTimeLayout = "2006-01-02 15:04:05.999999999 -0700"

// maxTimestampLen bounds what parseTimestamp looks at: the longest Go time
// string (a 9-digit fraction, a long zone name, a monotonic reading of many
// digits) is well under it.
const maxTimestampLen = 96

// parseTimestamp reads X-Lark-Request-Timestamp; ok is false when the value
// cannot be placed in time.
func parseTimestamp(s string) (t time.Time, ok bool) {
	if s == "" || len(s) > maxTimestampLen {
		return time.Time{}, false
	}
	if allDigits(s) {
		if len(s) > 17 {
			return time.Time{}, false
		}
		n, err := strconv.ParseInt(s, 10, 64) // 17 digits always fit
		if err != nil {
			return time.Time{}, false
		}
		switch {
		case len(s) <= 11:
			return time.Unix(n, 0), true
		case len(s) <= 14:
			return time.UnixMilli(n), true
		default:
			return time.UnixMicro(n), true
		}
	}
	return parseGoTime(s)
}

// parseGoTime reads "date clock offset [zone] [m=±monotonic]", the output of
// time.Time.String.
func parseGoTime(s string) (time.Time, bool) {
	if i := strings.Index(s, " m="); i >= 0 {
		if !monotonicReading(s[i+len(" m="):]) {
			return time.Time{}, false
		}
		s = s[:i]
	}
	f := strings.Split(s, " ")
	if len(f) != 3 && len(f) != 4 {
		return time.Time{}, false
	}
	if len(f) == 4 && !zoneName(f[3]) {
		return time.Time{}, false
	}
	t, err := time.Parse(goTimeLayout, f[0]+" "+f[1]+" "+f[2])
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// monotonicReading matches what follows " m=": a sign, digits, and an
// optional fraction.
func monotonicReading(s string) bool {
	if len(s) < 2 || (s[0] != '+' && s[0] != '-') {
		return false
	}
	whole, frac, hasFrac := strings.Cut(s[1:], ".")
	return allDigits(whole) && (!hasFrac || allDigits(frac))
}

// zoneName matches a zone abbreviation as Go prints it: letters ("CST"), or a
// numeric offset ("+08", "+0530") for zones that have no abbreviation.
func zoneName(s string) bool {
	if s == "" || len(s) > 8 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '-') {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// checkFresh refuses a signed request whose timestamp cannot be placed in
// time or lies outside ±TimestampWindow (see the reasoning at the top of
// this file). It runs only after the signature held.
func (h *Handler) checkFresh(c *call, ts string) error {
	t, ok := parseTimestamp(ts)
	if !ok {
		c.log.Info("X-Lark-Request-Timestamp cannot be placed in time", zap.String("timestamp", truncate(ts, 64)))
		return unauthorized("timestamp cannot be placed in time")
	}
	skew := h.cfg.Now().Sub(t)
	if skew > h.cfg.TimestampWindow || skew < -h.cfg.TimestampWindow {
		c.log.Info("timestamp outside the window",
			zap.Duration("skew", skew), zap.Duration("window", h.cfg.TimestampWindow))
		return unauthorized("timestamp outside the allowed window")
	}
	return nil
}

// truncate keeps client-chosen strings short in logs: at most n bytes, cut
// on a character boundary, and marked when cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
