package flowtest

import (
	"sync"
	"time"
)

// Now is where a Clock starts: Thursday 2024-11-14, 16:00 in Shanghai.
var Now = time.Date(2024, 11, 14, 8, 0, 0, 0, time.UTC)

// Clock starts at Now and moves only when told.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock at Now.
func NewClock() *Clock { return &Clock{now: Now} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
