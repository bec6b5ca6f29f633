package longconn

import (
	"math/rand/v2"
	"time"
)

// backoff is the wait before each reconnection attempt: it doubles from min
// up to max, and each wait is drawn at random from its upper half ("equal
// jitter"): never zero, so a platform that drops every connection is not
// hammered, and spread out, so that replicas that lost their connections
// together do not come back together.
type backoff struct {
	min, max time.Duration
	n        int // attempts since the last reset
}

// next returns the wait before the next attempt.
func (b *backoff) next() time.Duration {
	d := b.max
	if b.n < 62 { // beyond, the shift overflows
		if s := b.min << b.n; s > 0 && s < b.max {
			d = s
		}
	}
	b.n++
	half := d / 2
	return d - half + time.Duration(rand.Int64N(int64(half)+1))
}

// reset starts over from min, after a connection that held.
func (b *backoff) reset() { b.n = 0 }
