package ratelimit

import (
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/botd/botd/internal/state/statetest"
)

// clock is a time source the test steps by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.UnixMilli(1_700_000_000_000)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// newLimiter returns a limiter on a fresh Redis database; opts.Now nil means
// the server's clock.
func newLimiter(t testing.TB, rdb redis.UniversalClient, lim Limits, opts Options) *Limiter {
	t.Helper()
	if rdb == nil {
		rdb = statetest.Client(t)
	}
	l, err := New(rdb, lim, opts)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
