// Package retry is botd's one rule for whether a failed step is worth
// trying again. The job queue (give up or retry a job), the scheduler (drop
// a due member or keep it for the next tick) and the Open API client's
// Retryable all answer with it, so they cannot disagree.
//
// Errors classify themselves: whatever knows that a failure is permanent
// says so at its source with a Retryable() bool method (the Open API
// client's *APIError, whose platform codes are sorted in one table in
// internal/ephemeral; ephemeral.ErrInvalidArgument; flows' permanent
// errors; the rate limiter's WaitError). This package only reads that
// answer, so it imports nothing of botd's and every adapter may use it.
package retry

import "errors"

// Classified is an error that knows whether retrying can help.
type Classified interface {
	error
	Retryable() bool
}

// Retryable reports whether trying again after err may help.
//
//   - nil: false (nothing failed).
//   - an error in err's chain that implements Classified: its answer (the
//     first one found, outermost first, as errors.As finds it).
//   - anything else: true.
//
// Unknown errors are retried because what reaches here unclassified is the
// failure of botd's own infrastructure (a Redis or network error, a
// cancelled or expired context, a store that is briefly unavailable), which
// is transient by nature, while every failure known to be permanent is
// marked where it is known. Retries are bounded (per job kind, then the
// member is told), so a misjudged permanent error costs a few retries; a
// misjudged transient one would drop a submitted form or a reminder.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	var c Classified
	if errors.As(err, &c) {
		return c.Retryable()
	}
	return true
}
