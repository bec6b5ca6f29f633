package flows

import (
	"context"
	"time"
)

// DueSet is the durable schedule: members name an occurrence and are scored
// by their due time. The scheduler (internal/schedule) takes due members
// out and hands them to Engine.EnqueueDue; adding a member twice is harmless.
type DueSet interface {
	Schedule(ctx context.Context, member string, at time.Time) error
	Unschedule(ctx context.Context, members ...string) error
}
