package flows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"go.uber.org/zap"
)

// Callback actions on reminder cards.
const (
	actionRemindCancel = "remind_cancel" // the set card: cancel the whole reminder
	actionRemindDone   = "remind_done"   // a fired card: this occurrence is dealt with
	actionRemindSnooze = "remind_snooze" // a fired card: post it again in N minutes
)

// HandleCardAction answers Cancel reminder, Done and Snooze. Only members
// of the reminder's chat may use them (refuseNonMember), and then only as
// mayCancel and mayAnswer allow.
func (f remindFlow) HandleCardAction(ctx context.Context, a Action) (Answer, error) {
	action, _ := a.Value["action"].(string)
	id, _ := a.Value["reminder"].(string)
	locale := f.e.deps.DefaultLocale
	if id == "" {
		return answer(ToastError, locale, msgUnknownAction), nil
	}
	r, err := f.e.deps.Reminders.Reminder(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return answer(ToastError, locale, msgUnknownAction), nil
	}
	if err != nil {
		return Answer{}, fmt.Errorf("load reminder %s: %w", id, err)
	}
	log := f.e.logReminder(r).With(zap.String("action", action), zap.String("operator_id", a.OperatorID))
	if refusal := f.e.refuseNonMember(ctx, r.ChatID, a.OperatorID, r.CreatorID, r.Locale, log); refusal != nil {
		return *refusal, nil
	}
	switch action {
	case actionRemindCancel:
		return f.cancel(ctx, r, a, log)
	case actionRemindDone, actionRemindSnooze:
		return f.answerOccurrence(ctx, r, a, action, log)
	}
	return answer(ToastError, r.Locale, msgUnknownAction), nil
}

// cancel stops a reminder: its series and pending snoozes never fire, and
// its set card says who cancelled it.
func (f remindFlow) cancel(ctx context.Context, r *Reminder, a Action, log *zap.Logger) (Answer, error) {
	if !f.mayCancel(ctx, r, a.OperatorID) {
		log.Info("cancel refused: not the creator or an admin")
		return answer(ToastError, r.Locale, msgRemindCancelNotAllowed), nil
	}
	now := f.e.deps.Clock()
	var pending []string // due-set members to remove
	r, changed, err := f.e.updateReminder(ctx, r, func(r *Reminder) bool {
		if r.Status != ReminderActive && len(r.Snoozes) == 0 {
			return false
		}
		pending = pending[:0]
		if r.Status == ReminderActive {
			pending = append(pending, remindMember(r.ID, occurrenceKey(r.NextDue, false)))
		}
		for _, ms := range r.Snoozes {
			pending = append(pending, remindMember(r.ID, occurrenceKey(time.UnixMilli(ms), true)))
		}
		r.Status, r.Snoozes = ReminderCancelled, nil
		r.CancelledBy, r.CancelledAt = a.OperatorID, now
		return true
	})
	if err != nil {
		return Answer{}, fmt.Errorf("cancel %s: %w", r.ID, err)
	}
	ans := Answer{Card: reminderCard(r, f.zone(r.Timezone))}
	if !changed {
		msg := msgRemindAlreadySent
		if r.Status == ReminderCancelled {
			msg = msgRemindAlreadyCancelled
		}
		ans.Toast = toast(ToastInfo, r.Locale, msg)
		return ans, nil
	}
	// The record already stops them; removing them keeps the due set small.
	// A failure here is harmless: the fire job skips a cancelled reminder.
	if err := f.e.deps.Due.Unschedule(ctx, pending...); err != nil {
		log.Warn("cannot remove the cancelled occurrences from the due set", zap.Error(err))
	}
	if err := f.e.deps.Jobs.Enqueue(ctx, JobRemindCard, cardJobID(r.ID, r.Version)); err != nil {
		return Answer{}, fmt.Errorf("cancel %s: enqueue %s: %w", r.ID, JobRemindCard, err)
	}
	log.Info("reminder cancelled", zap.Int("occurrences_removed", len(pending)))
	ans.Toast = toast(ToastSuccess, r.Locale, msgRemindCancelled)
	return ans, nil
}

// answerOccurrence handles Done and Snooze on a fired card. Snooze posts the
// same reminder again later as a one-off occurrence; the series is left as
// it is. Done also drops a pending snooze of that card.
func (f remindFlow) answerOccurrence(ctx context.Context, r *Reminder, a Action, action string, log *zap.Logger) (Answer, error) {
	key, _ := a.Value["occurrence"].(string)
	log = log.With(zap.String("occurrence", key))
	if _, ok := r.post(key); !ok {
		log.Info("action on an occurrence no longer kept")
		return answer(ToastError, r.Locale, msgUnknownAction), nil
	}
	if !f.mayAnswer(ctx, r, a.OperatorID) {
		log.Info("action refused: the reminder is not for this member")
		return answer(ToastError, r.Locale, msgRemindNotAllowed), nil
	}
	now := f.e.deps.Clock()
	minutes, _ := strconv.Atoi(fmt.Sprint(a.Value["minutes"]))
	if action == actionRemindSnooze && (minutes < 1 || minutes > 24*60) {
		return answer(ToastError, r.Locale, msgUnknownAction), nil
	}
	until := now.Add(time.Duration(minutes) * time.Minute).Truncate(time.Millisecond)

	var dropped []string // snooze members no longer wanted
	var refusal Msg
	r, changed, err := f.e.updateReminder(ctx, r, func(r *Reminder) bool {
		dropped, refusal = dropped[:0], Msg{}
		i, ok := r.post(key)
		switch {
		case !ok:
			refusal = msgUnknownAction
			return false
		case r.Posts[i].DoneBy != "":
			refusal = msgRemindAlreadyDone
			return false
		case r.Status == ReminderCancelled:
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
		return Answer{}, fmt.Errorf("%s %s: %w", action, r.ID, err)
	}
	loc := f.zone(r.Timezone)
	i, _ := r.post(key)
	ans := Answer{Card: firedCard(r, r.Posts[i], loc)}
	if !changed {
		ans.Toast = toast(ToastInfo, r.Locale, refusal)
		return ans, nil
	}
	if len(dropped) > 0 {
		if err := f.e.deps.Due.Unschedule(ctx, dropped...); err != nil {
			log.Warn("cannot remove a replaced snooze from the due set", zap.Error(err))
		}
	}
	if action == actionRemindSnooze {
		if err := f.e.deps.Due.Schedule(ctx, remindMember(r.ID, occurrenceKey(until, true)), until); err != nil {
			return Answer{}, fmt.Errorf("snooze %s: %w", r.ID, err)
		}
	}
	if err := f.e.deps.Jobs.Enqueue(ctx, JobRemindCard, cardJobID(r.ID+"/"+key, r.Version)); err != nil {
		return Answer{}, fmt.Errorf("%s %s: enqueue %s: %w", action, r.ID, JobRemindCard, err)
	}
	log.Info("occurrence answered")
	if action == actionRemindSnooze {
		ans.Toast = toast(ToastSuccess, r.Locale, msgRemindSnoozed, fmtClock(until, loc))
	} else {
		ans.Toast = toast(ToastSuccess, r.Locale, msgRemindMarkedDone)
	}
	return ans, nil
}
