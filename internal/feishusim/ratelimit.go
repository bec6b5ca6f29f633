package feishusim

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// The documented quotas, enforced when Options.EnforceRateLimits is set:
//
//	ephemeral/v1/send     40/s per chat (99991400, HTTP 429); app tier 50/s and 1000/min
//	ephemeral/v1/delete   app tier 50/s and 1000/min
//	im/v1/messages        5/s per chat (230020); app tier 50/s and 1000/min
//	PATCH im/v1/messages  5/s per message (230020); no app tier (undocumented)
//
// Every quota is counted per tenant: the app tier "per API, per app, per
// tenant" (§12.1), and chats belong to one tenant. The windows are fixed, aligned to the simulator clock's whole seconds and
// minutes, so a test with a fake clock is exact: the 41st ephemeral send to one
// chat within one clock second is refused, the first one in the next second is
// not. Refused requests do not count against any window.
const (
	appPerSecond          = 50
	appPerMinute          = 1000
	ephemeralPerChatPerS  = 40
	messagesPerChatPerS   = 5
	patchPerMessagePerSec = 5
)

type rule struct {
	key   string
	limit int
	per   time.Duration
}

type window struct {
	start time.Time
	per   time.Duration
	count int
}

// limiter counts requests in fixed windows.
type limiter struct {
	mu      sync.Mutex
	windows map[string]*window
}

func newLimiter() *limiter { return &limiter{windows: map[string]*window{}} }

// allow admits a request only if every rule has room, and then counts it in
// all of them; otherwise it reports the first rule that is full and how long
// until its window ends.
func (l *limiter) allow(now time.Time, rules ...rule) (ok bool, tripped rule, reset time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.windows) > 10000 {
		for k, w := range l.windows {
			if !now.Before(w.start.Add(w.per)) {
				delete(l.windows, k)
			}
		}
	}
	current := make([]*window, len(rules))
	for i, r := range rules {
		start := now.Truncate(r.per)
		w := l.windows[r.key]
		if w == nil || !w.start.Equal(start) {
			w = &window{start: start, per: r.per}
			l.windows[r.key] = w
		}
		if w.count >= r.limit {
			return false, r, start.Add(r.per).Sub(now)
		}
		current[i] = w
	}
	for _, w := range current {
		w.count++
	}
	return true, rule{}, 0
}

func (l *limiter) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.windows = map[string]*window{}
}

// appTier is an API's app tier in one tenant: the platform counts "per API,
// per app, per tenant" (feishu-platform.md §12.1).
func appTier(tenant, api string) []rule {
	return []rule{
		{key: "app " + tenant + " " + api + " s", limit: appPerSecond, per: time.Second},
		{key: "app " + tenant + " " + api + " m", limit: appPerMinute, per: time.Minute},
	}
}

// gatewayLimit applies rules and refuses like the API gateway does: HTTP 429,
// code 99991400, and the x-ogw-ratelimit-* headers (reset in whole seconds,
// rounded up).
func (s *Server) gatewayLimit(rules ...rule) *apiError {
	if !s.opts.EnforceRateLimits {
		return nil
	}
	ok, r, reset := s.limits.allow(s.now(), rules...)
	if ok {
		return nil
	}
	secs := int((reset + time.Second - 1) / time.Second)
	secs = max(secs, 1)
	return &apiError{
		Status: http.StatusTooManyRequests,
		Code:   CodeRateLimited,
		Msg:    "request trigger frequency limit",
		Header: map[string]string{
			"x-ogw-ratelimit-limit": strconv.Itoa(r.limit),
			"x-ogw-ratelimit-reset": strconv.Itoa(secs),
		},
	}
}

// messageLimit applies the im/v1 per-chat and per-message quotas, which the
// docs say answer 230020 (in the body, HTTP 400) rather than the gateway's 429.
func (s *Server) messageLimit(r rule) *apiError {
	if !s.opts.EnforceRateLimits {
		return nil
	}
	if ok, _, _ := s.limits.allow(s.now(), r); ok {
		return nil
	}
	return refuse(CodeMsgRateLimited, "request trigger frequency limit: at most %d per second (%s)", r.limit, r.key)
}
