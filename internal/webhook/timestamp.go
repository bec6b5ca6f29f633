package webhook

import (
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
)

// goTimeLayout is how Go's time.Time.String prints, without the monotonic
// clock reading (" m=+3612.1") that follows it. Some card callbacks have
// been seen with such a value in X-Lark-Request-Timestamp (§4.1, unconfirmed).
const goTimeLayout = "2006-01-02 15:04:05.999999999 -0700 MST"

// parseTimestamp reads X-Lark-Request-Timestamp. Its unit is not documented:
// all digits are Unix seconds up to 11 digits (good until the year 5138) and
// milliseconds from 12 to 14; anything else must be a Go time.String() value.
func parseTimestamp(s string) (time.Time, bool) {
	if s != "" && strings.Trim(s, "0123456789") == "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		switch {
		case len(s) <= 11:
			return time.Unix(n, 0), true
		case len(s) <= 14:
			return time.UnixMilli(n), true
		default:
			return time.Time{}, false
		}
	}
	if i := strings.Index(s, " m="); i >= 0 {
		s = s[:i]
	}
	t, err := time.Parse(goTimeLayout, s)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// checkFresh refuses a signed request whose timestamp lies outside
// ±TimestampWindow. It runs only after the signature held, so the timestamp
// is the platform's own: one that does not parse is logged and let through,
// since its format is unconfirmed and refusing it could drop real traffic.
// Replays of such requests are still stopped by the claims.
func (h *Handler) checkFresh(c *call, ts string) error {
	t, ok := parseTimestamp(ts)
	if !ok {
		c.log.Warn("unparseable X-Lark-Request-Timestamp; accepted because the signature holds",
			zap.String("timestamp", truncate(ts, 64)))
		return nil
	}
	skew := h.cfg.Now().Sub(t)
	if skew > h.cfg.TimestampWindow || skew < -h.cfg.TimestampWindow {
		c.log.Info("timestamp outside the window",
			zap.Duration("skew", skew), zap.Duration("window", h.cfg.TimestampWindow))
		return unauthorized("timestamp outside the allowed window")
	}
	return nil
}

// truncate keeps client-chosen strings short in logs.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
