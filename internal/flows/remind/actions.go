package remind

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/botd/botd/internal/flows"
)

// Callback actions on reminder cards.
const (
	actionRemindCancel = "remind_cancel" // the set card: cancel the whole reminder
	actionRemindDone   = "remind_done"   // a fired card: this occurrence is dealt with
	actionRemindSnooze = "remind_snooze" // a fired card: post it again in N minutes
)

// The buttons of the reminder's cards. Their values are the ones posted
// since reminders existed.
var (
	remindCancelButton = flows.CallbackSpec{Flow: "remind", Action: actionRemindCancel, Target: "reminder"}
	remindDoneButton   = flows.CallbackSpec{Flow: "remind", Action: actionRemindDone, Target: "reminder", Args: []string{"occurrence"}}
	remindSnoozeButton = flows.CallbackSpec{Flow: "remind", Action: actionRemindSnooze, Target: "reminder", Args: []string{"occurrence", "minutes"}}
)

// Routes are Cancel reminder, Done and Snooze.
func (f Flow) Routes() []flows.Route {
	return []flows.Route{
		{Spec: remindCancelButton, Handle: f.onCard(f.cancel)},
		{Spec: remindDoneButton, Handle: f.onCard(f.answerOccurrence)},
		{Spec: remindSnoozeButton, Handle: f.onCard(f.answerOccurrence)},
	}
}

// onCard loads the reminder a click names and lets only members of its
// chat through (RefuseNonMember) to do; do then checks who may (mayCancel,
// mayAnswer).
func (Flow) onCard(do func(context.Context, flows.Host, *Reminder, flows.Click, *zap.Logger) (flows.Answer, error)) func(context.Context, flows.Host, flows.Click) (flows.Answer, error) {
	return func(ctx context.Context, h flows.Host, c flows.Click) (flows.Answer, error) {
		r, err := reminders(h).Get(ctx, c.Target)
		if errors.Is(err, flows.ErrNotFound) {
			return flows.ToastAnswer(flows.ToastError, h.DefaultLocale(), flows.MsgUnknownAction), nil
		}
		if err != nil {
			return flows.Answer{}, fmt.Errorf("load reminder %s: %w", c.Target, err)
		}
		log := logReminder(h, r).With(zap.String("action", c.Action), zap.String("operator_id", c.OperatorID))
		if refusal := h.RefuseNonMember(ctx, r.ChatID, c.OperatorID, r.CreatorID, r.Locale, log); refusal != nil {
			return *refusal, nil
		}
		return do(ctx, h, r, c, log)
	}
}

// cancel stops a reminder: its series and pending snoozes never fire, and
// its set card says who cancelled it.
func (Flow) cancel(ctx context.Context, h flows.Host, r *Reminder, a flows.Click, log *zap.Logger) (flows.Answer, error) {
	if !mayCancel(ctx, h, r, a.OperatorID) {
		log.Info("cancel refused: not the creator or an admin")
		return flows.ToastAnswer(flows.ToastError, r.Locale, msgRemindCancelNotAllowed), nil
	}
	now := h.Now()
	var pending []string // due-set members to remove
	r, changed, err := reminders(h).Update(ctx, r, func(r *Reminder) bool {
		if r.Status != Active && len(r.Snoozes) == 0 {
			return false
		}
		pending = pending[:0]
		if r.Status == Active {
			pending = append(pending, remindMember(r.ID, occurrenceKey(r.NextDue, false)))
		}
		for _, ms := range r.Snoozes {
			pending = append(pending, remindMember(r.ID, occurrenceKey(time.UnixMilli(ms), true)))
		}
		r.Status, r.Snoozes = Cancelled, nil
		r.CancelledBy, r.CancelledAt = a.OperatorID, now
		return true
	})
	if err != nil {
		return flows.Answer{}, fmt.Errorf("cancel %s: %w", r.ID, err)
	}
	ans := flows.Answer{Card: reminderCard(r, h.Zone(r.Timezone))}
	if !changed {
		msg := msgRemindAlreadySent
		if r.Status == Cancelled {
			msg = msgRemindAlreadyCancelled
		}
		ans.Toast = flows.NewToast(flows.ToastInfo, r.Locale, msg)
		return ans, nil
	}
	// The record already stops them; removing them keeps the due set small.
	// A failure here is harmless: the fire job skips a cancelled reminder.
	if err := h.Unschedule(ctx, pending...); err != nil {
		log.Warn("cannot remove the cancelled occurrences from the due set", zap.Error(err))
	}
	if err := h.Enqueue(ctx, JobCard, flows.CardJobID(r.ID, r.Version)); err != nil {
		return flows.Answer{}, fmt.Errorf("cancel %s: enqueue %s: %w", r.ID, JobCard, err)
	}
	log.Info("reminder cancelled", zap.Int("occurrences_removed", len(pending)))
	ans.Toast = flows.NewToast(flows.ToastSuccess, r.Locale, msgRemindCancelled)
	return ans, nil
}

// answerOccurrence handles Done and Snooze on a fired card. Snooze posts the
// same reminder again later as a one-off occurrence; the series is left as
// it is. Done also drops a pending snooze of that card.
func (Flow) answerOccurrence(ctx context.Context, h flows.Host, r *Reminder, a flows.Click, log *zap.Logger) (flows.Answer, error) {
	action, key := a.Action, a.Args["occurrence"]
	log = log.With(zap.String("occurrence", key))
	if _, ok := r.post(key); !ok {
		log.Info("action on an occurrence no longer kept")
		return flows.ToastAnswer(flows.ToastError, r.Locale, flows.MsgUnknownAction), nil
	}
	if !mayAnswer(ctx, h, r, a.OperatorID) {
		log.Info("action refused: the reminder is not for this member")
		return flows.ToastAnswer(flows.ToastError, r.Locale, msgRemindNotAllowed), nil
	}
	now := h.Now()
	minutes, _ := strconv.Atoi(a.Args["minutes"])
	if action == actionRemindSnooze && (minutes < 1 || minutes > 24*60) {
		return flows.ToastAnswer(flows.ToastError, r.Locale, flows.MsgUnknownAction), nil
	}
	until := now.Add(time.Duration(minutes) * time.Minute).Truncate(time.Millisecond)

	var dropped []string // snooze members no longer wanted
	var refusal flows.Msg
	r, changed, err := reminders(h).Update(ctx, r, func(r *Reminder) bool {
		dropped, refusal = dropped[:0], flows.Msg{}
		i, ok := r.post(key)
		switch {
		case !ok:
			refusal = flows.MsgUnknownAction
			return false
		case r.Posts[i].DoneBy != "":
			refusal = msgRemindAlreadyDone
			return false
		case r.Status == Cancelled:
			refusal = msgRemindAlreadyCancelled
			return false
		}
		p := &r.Posts[i]
		if !p.SnoozedUntil.IsZero() {
			old := p.SnoozedUntil.UnixMilli()
			r.Snoozes = slices.DeleteFunc(r.Snoozes, func(ms int64) bool { return ms == old })
			dropped = append(dropped, remindMember(r.ID, occurrenceKey(p.SnoozedUntil, true)))
		}
		if action == actionRemindDone {
			p.DoneBy, p.DoneAt = a.OperatorID, now
			p.SnoozedBy, p.SnoozedUntil = "", time.Time{}
			return true
		}
		p.SnoozedBy, p.SnoozedUntil = a.OperatorID, until
		r.Snoozes = append(r.Snoozes, until.UnixMilli())
		return true
	})
	if err != nil {
		return flows.Answer{}, fmt.Errorf("%s %s: %w", action, r.ID, err)
	}
	loc := h.Zone(r.Timezone)
	i, _ := r.post(key)
	ans := flows.Answer{Card: firedCard(r, r.Posts[i], loc)}
	if !changed {
		ans.Toast = flows.NewToast(flows.ToastInfo, r.Locale, refusal)
		return ans, nil
	}
	if len(dropped) > 0 {
		if err := h.Unschedule(ctx, dropped...); err != nil {
			log.Warn("cannot remove a replaced snooze from the due set", zap.Error(err))
		}
	}
	if action == actionRemindSnooze {
		if err := h.Schedule(ctx, remindMember(r.ID, occurrenceKey(until, true)), until); err != nil {
			return flows.Answer{}, fmt.Errorf("snooze %s: %w", r.ID, err)
		}
	}
	if err := h.Enqueue(ctx, JobCard, flows.CardJobID(r.ID+"/"+key, r.Version)); err != nil {
		return flows.Answer{}, fmt.Errorf("%s %s: enqueue %s: %w", action, r.ID, JobCard, err)
	}
	log.Info("occurrence answered")
	if action == actionRemindSnooze {
		ans.Toast = flows.NewToast(flows.ToastSuccess, r.Locale, msgRemindSnoozed, fmtClock(until, loc))
	} else {
		ans.Toast = flows.NewToast(flows.ToastSuccess, r.Locale, msgRemindMarkedDone)
	}
	return ans, nil
}
