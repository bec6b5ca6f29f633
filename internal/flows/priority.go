package flows

import "context"

// Priority orders calls to the Open API when the platform's quota is short:
// a member waiting for their form goes ahead of a reminder storm at 9:00.
// The job queue sets it on the context of each job; the rate limiter reads it.
type Priority int

const (
	// PriorityInteractive is work a member is waiting for: forms, final
	// cards, deletes. It is the default.
	PriorityInteractive Priority = iota
	// PriorityBulk is work nobody is watching live: scheduled reminders,
	// due-date nudges. It may use only part of the quota.
	PriorityBulk
)

func (p Priority) String() string {
	if p == PriorityBulk {
		return "bulk"
	}
	return "interactive"
}

type priorityKey struct{}

// WithPriority returns ctx carrying p.
func WithPriority(ctx context.Context, p Priority) context.Context {
	return context.WithValue(ctx, priorityKey{}, p)
}

// PriorityFrom returns the priority carried by ctx, or PriorityInteractive.
func PriorityFrom(ctx context.Context) Priority {
	p, _ := ctx.Value(priorityKey{}).(Priority)
	return p
}
