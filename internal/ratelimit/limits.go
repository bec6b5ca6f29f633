package ratelimit

import (
	"errors"
	"fmt"
	"time"
)

// Limits are the quotas the limiter keeps to, and how it keeps to them. The
// rates are per second unless named otherwise. Zero fields take the value of
// DefaultLimits, so a configuration may set only what it changes.
type Limits struct {
	// Off turns pacing off: no call waits, nothing is stored in Redis.
	Off bool

	EphemeralPerChat  int // ephemeral/v1/send per chat [40]
	AppPerSecond      int // each API's app tier, per second [50]
	AppPerMinute      int // each API's app tier, per minute [1000]
	MessagesPerChat   int // im/v1/messages into one chat, all bots together [5]
	MessagesPerUser   int // im/v1/messages to one user (p2p) [5]
	UpdatesPerMessage int // PATCH of one message [5]

	// BulkShare is the part of each app tier that bulk work may use [0.8];
	// interactive work may use all of it. Both count in the same log.
	BulkShare float64

	// Margin widens every window [50ms], to absorb the variation in the time
	// a request takes to reach the platform (see the package comment). It
	// costs Margin/(1s+Margin) of the per-second rates.
	Margin time.Duration

	// MaxWait is the longest a call waits in the process [2s]; beyond it,
	// Wait returns a *WaitError so that the job is rescheduled instead.
	MaxWait time.Duration
}

// DefaultLimits returns the documented quotas (docs/feishu-platform.md §12.1)
// and the default margin, bulk share and maximum wait.
func DefaultLimits() Limits {
	return Limits{
		EphemeralPerChat:  40,
		AppPerSecond:      50,
		AppPerMinute:      1000,
		MessagesPerChat:   5,
		MessagesPerUser:   5,
		UpdatesPerMessage: 5,
		BulkShare:         0.8,
		Margin:            50 * time.Millisecond,
		MaxWait:           2 * time.Second,
	}
}

// withDefaults fills the zero fields from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	fill := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	fill(&l.EphemeralPerChat, d.EphemeralPerChat)
	fill(&l.AppPerSecond, d.AppPerSecond)
	fill(&l.AppPerMinute, d.AppPerMinute)
	fill(&l.MessagesPerChat, d.MessagesPerChat)
	fill(&l.MessagesPerUser, d.MessagesPerUser)
	fill(&l.UpdatesPerMessage, d.UpdatesPerMessage)
	if l.BulkShare == 0 {
		l.BulkShare = d.BulkShare
	}
	if l.Margin == 0 {
		l.Margin = d.Margin
	}
	if l.MaxWait == 0 {
		l.MaxWait = d.MaxWait
	}
	return l
}

// Validate reports every field that cannot work, once zero fields took
// their defaults.
func (l Limits) Validate() error {
	return l.withDefaults().validate()
}

// validate reports every field that cannot work, after withDefaults.
func (l Limits) validate() error {
	var errs []error
	for _, f := range []struct {
		name string
		v    int
	}{
		{"EphemeralPerChat", l.EphemeralPerChat},
		{"AppPerSecond", l.AppPerSecond},
		{"AppPerMinute", l.AppPerMinute},
		{"MessagesPerChat", l.MessagesPerChat},
		{"MessagesPerUser", l.MessagesPerUser},
		{"UpdatesPerMessage", l.UpdatesPerMessage},
	} {
		if f.v < 0 {
			errs = append(errs, fmt.Errorf("%s = %d, want > 0 (or 0 for the default)", f.name, f.v))
		}
	}
	if !(l.BulkShare > 0 && l.BulkShare <= 1) {
		errs = append(errs, fmt.Errorf("BulkShare = %v, want in (0, 1]", l.BulkShare))
	}
	if l.Margin < 0 {
		errs = append(errs, fmt.Errorf("Margin = %v, want ≥ 0", l.Margin))
	}
	if l.MaxWait < 0 {
		errs = append(errs, fmt.Errorf("MaxWait = %v, want ≥ 0", l.MaxWait))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("ratelimit: invalid limits: %w", err)
	}
	return nil
}
