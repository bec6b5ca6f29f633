// Package clock gives botd one adjustable source of time. Production uses
// the wall clock; the playground and tests move time forward, so a reminder
// set for tomorrow can be seen firing now without waiting.
package clock

import (
	"sync"
	"time"
)

// Func is the shape every package takes its time source in.
type Func func() time.Time

// Offset is the wall clock plus an adjustable offset. It is safe for
// concurrent use. The zero value is the wall clock.
type Offset struct {
	mu     sync.RWMutex
	offset time.Duration
}

// Now returns the wall clock plus the offset.
func (o *Offset) Now() time.Time {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return time.Now().Add(o.offset)
}

// Advance moves the clock forward by d (never backward: d <= 0 does
// nothing), and returns the new offset.
func (o *Offset) Advance(d time.Duration) time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	if d > 0 {
		o.offset += d
	}
	return o.offset
}

// Elapsed returns how far the clock has been moved forward.
func (o *Offset) Elapsed() time.Duration {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return o.offset
}
