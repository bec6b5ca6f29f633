package ratelimit

import (
	"fmt"
	"time"
)

// WaitError says that a call's turn is further away than Limits.MaxWait.
// Nothing was counted: the caller must not make the call, and should try
// again after After. The job queue reads the methods below without
// importing this package: Retryable and RetryDelay reschedule the job for
// then, Paced keeps the attempt from counting as a failure.
type WaitError struct {
	API   API
	Rule  string        // the quota that is used up, e.g. "app per minute"
	After time.Duration // until the call would be admitted, as of the refusal
}

func (e *WaitError) Error() string {
	if e.Rule == rulePause {
		return fmt.Sprintf("ratelimit: %s: paused after a rate-limit error, next turn in %s", e.API, e.After)
	}
	return fmt.Sprintf("ratelimit: %s: %s quota used up, next turn in %s", e.API, e.Rule, e.After)
}

// Retryable is always true: the call will be admitted later.
func (e *WaitError) Retryable() bool { return true }

// RetryDelay is After.
func (e *WaitError) RetryDelay() time.Duration { return e.After }

// Paced is always true: the call was held back by the limiter, not refused
// by the platform, so it is not a failure.
func (e *WaitError) Paced() bool { return true }

// tenantError is a store app's call without a (valid) tenant in its
// context. It is permanent: a bug in the caller that no retry can mend,
// and never a reason to count the call in another tenant's windows.
type tenantError struct {
	api API
	err error // tenant.ErrMissing or tenant.Check's error
}

func (e *tenantError) Error() string   { return fmt.Sprintf("ratelimit: %s: %v", e.api, e.err) }
func (e *tenantError) Unwrap() error   { return e.err }
func (e *tenantError) Retryable() bool { return false }
