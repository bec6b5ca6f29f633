package remind

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/botd/botd/internal/flows"
)

// Jobs of the reminder records.
const (
	JobFire flows.JobKind = "remind_fire" // post one occurrence; id is its due-set member
	JobCard flows.JobKind = "remind_card" // PATCH the set card or a fired card to the latest state
)

// Jobs are the reminders' own jobs.
func (f Flow) Jobs() []flows.JobSpec {
	return []flows.JobSpec{
		// Scheduled posts: nobody is watching them live, so they use the
		// bulk share of the quota and queue behind forms; pacing defers
		// them without using up retries, and failures retry for over an
		// hour: a 9:00 storm goes out late rather than not at all.
		{Kind: JobFire, Priority: flows.PriorityBulk, MaxRetry: 25, DuePrefix: remindDuePrefix, Run: f.fire},
		// Card updates after a click: the member who clicked is watching.
		{Kind: JobCard, Priority: flows.PriorityInteractive, MaxRetry: 15, Run: f.syncCard},
	}
}

// skipReason says why an occurrence must not be posted, or "" when it
// must. It is the fire job's guard: the due set and the queue deliver an
// occurrence at least once, and may deliver one that is no longer wanted.
func (r *Reminder) skipReason(key string, due time.Time, snooze bool) string {
	switch {
	case r.Status == Cancelled:
		return "cancelled"
	case snooze && !slices.Contains(r.Snoozes, due.UnixMilli()):
		return "snooze no longer pending"
	case snooze:
		return ""
	case r.Status != Active:
		return "reminder " + string(r.Status)
	case !due.Equal(r.NextDue):
		return "not the next occurrence (rescheduled)"
	case !r.LastFired.Before(due):
		return "already fired"
	}
	return ""
}

// fire posts one occurrence of a reminder to the group, then records it and
// moves the series on. The post comes first and carries a uuid per
// occurrence, so a run repeated after a crash between post and record
// posts nothing new; the record then makes every later run skip it.
func (Flow) fire(ctx context.Context, h flows.Host, member string) error {
	id, key, ok := parseRemindMember(member)
	due, snooze, ok2 := parseOccurrenceKey(key)
	if !ok || !ok2 {
		return flows.Permanent(fmt.Errorf("bad due member %q", member))
	}
	r, err := reminders(h).Get(ctx, id)
	if err != nil {
		return fmt.Errorf("load reminder: %w", err)
	}
	log := logReminder(h, r).With(zap.String("occurrence", key))
	if why := r.skipReason(key, due, snooze); why != "" {
		log.Info("occurrence skipped", zap.String("reason", why))
		return ensureScheduled(ctx, h, r) // a run that recorded the fire may have died before scheduling the next
	}

	loc := h.Zone(r.Timezone)
	now := h.Now()
	p := Post{Key: key, Due: due, FiredAt: now}
	msgID, err := h.PostCard(ctx, r.ChatID, firedCard(r, p, loc), fireUUID(r.ID, key))
	if err != nil {
		return fmt.Errorf("post occurrence: %w", err)
	}
	p.MessageID = msgID

	r, changed, err := reminders(h).Update(ctx, r, func(r *Reminder) bool {
		if r.skipReason(key, due, snooze) != "" {
			return false
		}
		if i, ok := r.post(key); ok {
			r.Posts = slices.Delete(r.Posts, i, i+1)
		}
		r.Posts = append(r.Posts, p)
		if len(r.Posts) > maxPosts {
			r.Posts = slices.Delete(r.Posts, 0, len(r.Posts)-maxPosts)
		}
		if snooze {
			r.Snoozes = slices.DeleteFunc(r.Snoozes, func(ms int64) bool { return ms == due.UnixMilli() })
			return true
		}
		r.LastFired = due
		// From now, not from due: occurrences missed while botd was down
		// are skipped, and this late one stands for them all.
		if next, ok := nextOccurrence(r.First, r.Repeat, loc, maxTime(due, now)); ok {
			r.NextDue = next
		} else {
			r.Status = Done
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("record occurrence: %w", err)
	}
	if !changed {
		log.Info("occurrence recorded by another run")
		return ensureScheduled(ctx, h, r)
	}
	late := now.Sub(due)
	h.ObserveLateness("reminder", late)
	log.Info("reminder fired", zap.String("message_id", msgID), zap.Duration("lateness", late),
		zap.Bool("late", late > lateAfter), zap.Time("next_due", r.NextDue), zap.String("status", string(r.Status)))
	if err := ensureScheduled(ctx, h, r); err != nil {
		return err
	}
	if r.Status == Done {
		// The set card loses its Cancel button and says it was sent.
		return h.Enqueue(ctx, JobCard, flows.CardJobID(r.ID, r.Version))
	}
	return nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// syncCard writes a reminder's latest state to one of its cards: the set
// card (job id "rm_x@v") or a fired card ("rm_x/{key}@v").
func (Flow) syncCard(ctx context.Context, h flows.Host, jobID string) error {
	target, ok := flows.SplitCardJobID(jobID)
	if !ok {
		return flows.Permanent(fmt.Errorf("bad job id %q", jobID))
	}
	id, key, _ := strings.Cut(target, "/")
	return flows.SyncCard(ctx, h, func(ctx context.Context) (flows.Rendered, error) {
		r, err := reminders(h).Get(ctx, id)
		if err != nil {
			return flows.Rendered{}, fmt.Errorf("load reminder: %w", err)
		}
		loc := h.Zone(r.Timezone)
		if key == "" {
			return flows.Rendered{Version: r.Version, MessageID: r.MessageID, Card: reminderCard(r, loc)}, nil
		}
		i, ok := r.post(key)
		if !ok {
			return flows.Rendered{Version: r.Version}, nil // trimmed: nothing to update
		}
		p := r.Posts[i]
		return flows.Rendered{Version: r.Version, MessageID: p.MessageID, Card: firedCard(r, p, loc)}, nil
	})
}
