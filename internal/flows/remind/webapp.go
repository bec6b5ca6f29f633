package remind

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/botd/botd/internal/flows"
)

// What the web app (internal/webapp) may do with reminders: press Cancel
// reminder on the set card and Snooze 10 min on the latest fired card
// (flows.WebActor), share the set card (flows.Sharer, share.go), and find
// reminders older than member indexes (flows.Reindexer).

var (
	_ flows.WebActor  = Flow{}
	_ flows.Sharer    = Flow{}
	_ flows.Reindexer = Flow{}
)

// webSnoozeMinutes is the snooze the web app's Snooze presses: the fired
// card's first snooze button.
const webSnoozeMinutes = "10"

// RecordKind implements flows.Sharer and flows.Reindexer.
func (Flow) RecordKind() string { return kind }

// RecordIndexes implements flows.Reindexer.
func (Flow) RecordIndexes(data []byte) ([]flows.Index, error) {
	var r Reminder
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("decode reminder: %w", err)
	}
	return r.Indexes(), nil
}

// WebButton implements flows.WebActor. cancel is the set card's Cancel
// reminder, whatever the reminder's state; snooze is Snooze 10 min on the
// latest fired card no one has marked done, and is refused with a toast
// when there is none.
func (Flow) WebButton(ctx context.Context, h flows.Host, id, action string) (map[string]any, *flows.Answer, error) {
	switch action {
	case flows.WebCancel:
		return remindCancelButton.Value(id, nil), nil, nil
	case flows.WebSnooze:
		r, err := reminders(h).Get(ctx, id)
		if err != nil {
			return nil, nil, fmt.Errorf("load reminder: %w", err)
		}
		p, ok := r.snoozable()
		if !ok {
			ans := flows.ToastAnswer(flows.ToastInfo, r.Locale, msgRemindNothingToSnooze)
			return nil, &ans, nil
		}
		return remindSnoozeButton.Value(id, map[string]string{"occurrence": p.Key, "minutes": webSnoozeMinutes}), nil, nil
	}
	return nil, nil, fmt.Errorf("remind: action %q: %w", action, flows.ErrUnknownWebAction)
}

// snoozable is the fired card the web app's Snooze acts on: the latest one
// no one has marked done.
func (r *Reminder) snoozable() (Post, bool) {
	for i := len(r.Posts) - 1; i >= 0; i-- {
		if r.Posts[i].DoneBy == "" {
			return r.Posts[i], true
		}
	}
	return Post{}, false
}

// WebActions lists what openID may do to r from the web app now, as its
// cards show it and the flow allows: cancel while it is active, for its
// creator and the chat's admins; snooze while a fired card awaits Done and
// the reminder is not cancelled, for those it is for, its creator and
// admins. isAdmin is asked only when the others do not decide. Membership
// of the chat is checked when a button is pressed, as on the card.
func WebActions(r *Reminder, openID string, isAdmin func() bool) []string {
	var out []string
	if r.Status == Active && mayCancelBy(r, openID, isAdmin) {
		out = append(out, flows.WebCancel)
	}
	if _, ok := r.snoozable(); ok && r.Status != Cancelled && mayAnswerBy(r, openID, isAdmin) {
		out = append(out, flows.WebSnooze)
	}
	return out
}

// CardMessages implements flows.Sharer: the set card and the fired cards
// still kept.
func (Flow) CardMessages(ctx context.Context, h flows.Host, id string) ([]string, error) {
	r, err := reminders(h).Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("load reminder: %w", err)
	}
	var out []string
	if r.MessageID != "" {
		out = append(out, r.MessageID)
	}
	for _, p := range r.Posts {
		if p.MessageID != "" {
			out = append(out, p.MessageID)
		}
	}
	return out, nil
}
