package flows

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"
)

// Jobs of the reminder records.
const (
	JobRemindFire JobKind = "remind_fire" // post one occurrence; id is its due-set member
	JobRemindCard JobKind = "remind_card" // PATCH the set card or a fired card to the latest state
)

// Jobs are the reminders' own jobs.
func (f remindFlow) Jobs() []JobSpec {
	return []JobSpec{
		{Kind: JobRemindFire, DuePrefix: remindDuePrefix, Run: f.fire},
		{Kind: JobRemindCard, Run: f.syncCard},
	}
}

// skipReason says why an occurrence must not be posted, or "" when it
// must. It is the fire job's guard: the due set and the queue deliver an
// occurrence at least once, and may deliver one that is no longer wanted.
func (r *Reminder) skipReason(key string, due time.Time, snooze bool) string {
	switch {
	case r.Status == ReminderCancelled:
		return "cancelled"
	case snooze && !slices.Contains(r.Snoozes, due.UnixMilli()):
		return "snooze no longer pending"
	case snooze:
		return ""
	case r.Status != ReminderActive:
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
func (f remindFlow) fire(ctx context.Context, member string) error {
	id, key, ok := parseRemindMember(member)
	due, snooze, ok2 := parseOccurrenceKey(key)
	if !ok || !ok2 {
		return permanent(fmt.Errorf("bad due member %q", member))
	}
	r, err := f.e.deps.Reminders.Reminder(ctx, id)
	if err != nil {
		return fmt.Errorf("load reminder: %w", err)
	}
	log := f.e.logReminder(r).With(zap.String("occurrence", key))
	if why := r.skipReason(key, due, snooze); why != "" {
		log.Info("occurrence skipped", zap.String("reason", why))
		return f.ensureScheduled(ctx, r) // a run that recorded the fire may have died before scheduling the next
	}

	loc := f.zone(r.Timezone)
	now := f.e.deps.Clock()
	p := Post{Key: key, Due: due, FiredAt: now}
	msgID, err := f.e.deps.Sender.PostCard(ctx, r.ChatID, firedCard(r, p, loc), fireUUID(r.ID, key))
	if err != nil {
		return fmt.Errorf("post occurrence: %w", err)
	}
	p.MessageID = msgID

	r, changed, err := f.e.updateReminder(ctx, r, func(r *Reminder) bool {
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
			r.Status = ReminderDone
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("record occurrence: %w", err)
	}
	if !changed {
		log.Info("occurrence recorded by another run")
		return f.ensureScheduled(ctx, r)
	}
	late := now.Sub(due)
	f.e.deps.ObserveLateness("reminder", late)
	log.Info("reminder fired", zap.String("message_id", msgID), zap.Duration("lateness", late),
		zap.Bool("late", late > lateAfter), zap.Time("next_due", r.NextDue), zap.String("status", string(r.Status)))
	if err := f.ensureScheduled(ctx, r); err != nil {
		return err
	}
	if r.Status == ReminderDone {
		// The set card loses its Cancel button and says it was sent.
		return f.e.deps.Jobs.Enqueue(ctx, JobRemindCard, cardJobID(r.ID, r.Version))
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
func (f remindFlow) syncCard(ctx context.Context, jobID string) error {
	target, ok := splitCardJobID(jobID)
	if !ok {
		return permanent(fmt.Errorf("bad job id %q", jobID))
	}
	id, key, _ := strings.Cut(target, "/")
	return f.e.syncCard(ctx, func(ctx context.Context) (rendered, error) {
		r, err := f.e.deps.Reminders.Reminder(ctx, id)
		if err != nil {
			return rendered{}, fmt.Errorf("load reminder: %w", err)
		}
		loc := f.zone(r.Timezone)
		if key == "" {
			return rendered{version: r.Version, messageID: r.MessageID, card: reminderCard(r, loc)}, nil
		}
		i, ok := r.post(key)
		if !ok {
			return rendered{version: r.Version}, nil // trimmed: nothing to update
		}
		p := r.Posts[i]
		return rendered{version: r.Version, messageID: p.MessageID, card: firedCard(r, p, loc)}, nil
	})
}
