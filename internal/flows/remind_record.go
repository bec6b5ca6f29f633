package flows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/botd/botd/internal/card"
)

// A reminder's occurrences are named by a key: the due time in Unix ms for
// the series, "s" and the ms for a snooze. The due set holds them as
// "rem:{reminder id}:{key}", and the card each posts carries the key in its
// buttons' values.
const remindDuePrefix = "rem:"

func occurrenceKey(due time.Time, snooze bool) string {
	k := strconv.FormatInt(due.UnixMilli(), 10)
	if snooze {
		return "s" + k
	}
	return k
}

func parseOccurrenceKey(key string) (due time.Time, snooze bool, ok bool) {
	ms, snooze := strings.CutPrefix(key, "s")
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return time.Time{}, false, false
	}
	return time.UnixMilli(n).UTC(), snooze, true
}

func remindMember(id, key string) string { return remindDuePrefix + id + ":" + key }

func parseRemindMember(member string) (id, key string, ok bool) {
	rest, ok := strings.CutPrefix(member, remindDuePrefix)
	if !ok {
		return "", "", false
	}
	return strings.Cut(rest, ":")
}

// fireUUID makes the post of one occurrence idempotent at the platform for
// an hour: "rm_" and 26 characters, "-", "s" and 13 digits is 44 of the 50
// characters a uuid may have. LastFired covers the time beyond.
func fireUUID(id, key string) string { return id + "-" + key }

// reminderID is the id of the reminder an interaction creates, derived so a
// retried finish job finds the one its first run created.
func reminderID(interactionID string) string {
	return "rm_" + strings.TrimPrefix(interactionID, "itx_")
}

// maxPosts bounds Reminder.Posts: a daily reminder would otherwise grow
// forever. Buttons on older cards answer "no longer works".
const maxPosts = 10

// reminderFromInteraction is the reminder a submitted interaction describes,
// as it is first created.
func reminderFromInteraction(it *Interaction) *Reminder {
	f := it.Form
	at, _ := time.Parse(time.RFC3339, f[remindAt])
	at = at.UTC()
	return &Reminder{
		ID: reminderID(it.ID), TenantKey: it.TenantKey, ChatID: it.ChatID, CreatorID: it.UserID,
		What: f[remindWhat], Locale: it.Locale, Timezone: it.Timezone,
		First: at, NextDue: at, Repeat: Repeat(orDefault(f[remindRepeat], string(RepeatOnce))),
		Notify: Notify(orDefault(f[remindNotify], string(NotifySender))), People: splitPeople(f[remindPeople]),
		Status: ReminderActive, InteractionID: it.ID,
	}
}

func (f remindFlow) zone(name string) *time.Location {
	if f.e == nil {
		return time.UTC
	}
	return f.e.zoneOrDefault(name)
}

// BeforePost creates the reminder record, once, and puts its first
// occurrence in the due set.
func (f remindFlow) BeforePost(ctx context.Context, it *Interaction) error {
	r := reminderFromInteraction(it)
	if r.First.IsZero() {
		return permanent(fmt.Errorf("interaction %s has no due time", it.ID))
	}
	err := f.e.deps.Reminders.CreateReminder(ctx, r)
	if errors.Is(err, ErrExists) {
		if r, err = f.e.deps.Reminders.Reminder(ctx, r.ID); err != nil {
			return fmt.Errorf("load reminder: %w", err)
		}
	} else if err != nil {
		return fmt.Errorf("create reminder: %w", err)
	}
	if err := f.ensureScheduled(ctx, r); err != nil {
		return err
	}
	f.e.logReminder(r).Info("reminder scheduled", zap.Time("due", r.NextDue), zap.String("repeat", string(r.Repeat)))
	return nil
}

// AfterPost records the group card's message id. If the reminder changed
// before that (a one-off due in a minute has fired), the card is synced.
func (f remindFlow) AfterPost(ctx context.Context, it *Interaction, messageID string) error {
	r, err := f.e.deps.Reminders.Reminder(ctx, reminderID(it.ID))
	if err != nil {
		return fmt.Errorf("load reminder: %w", err)
	}
	r, changed, err := f.e.updateReminder(ctx, r, func(r *Reminder) bool {
		if r.MessageID != "" {
			return false
		}
		r.MessageID = messageID
		return true
	})
	if err != nil {
		return fmt.Errorf("record the card of reminder: %w", err)
	}
	if changed && r.Status != ReminderActive {
		return f.e.deps.Jobs.Enqueue(ctx, JobRemindCard, cardJobID(r.ID, r.Version))
	}
	return nil
}

// ensureScheduled puts the series' next occurrence in the due set. Adding
// a member already there changes nothing, and the fire job ignores an
// occurrence that is no longer due, so this is safe to call at any time.
func (f remindFlow) ensureScheduled(ctx context.Context, r *Reminder) error {
	if r.Status != ReminderActive || r.NextDue.IsZero() {
		return nil
	}
	if err := f.e.deps.Due.Schedule(ctx, remindMember(r.ID, occurrenceKey(r.NextDue, false)), r.NextDue); err != nil {
		return fmt.Errorf("schedule reminder %s: %w", r.ID, err)
	}
	return nil
}

// mayCancel: the member who set it and the chat's admins.
func (f remindFlow) mayCancel(ctx context.Context, r *Reminder, openID string) bool {
	return openID != "" && (openID == r.CreatorID || f.e.isAdmin(ctx, r.ChatID, openID))
}

// mayAnswer says who may press Done or Snooze on a fired reminder: those
// it is for, its creator and admins.
func (f remindFlow) mayAnswer(ctx context.Context, r *Reminder, openID string) bool {
	return f.mayCancel(ctx, r, openID) || r.Notify == NotifyGroup ||
		(r.Notify == NotifyPeople && slices.Contains(r.People, openID))
}

func (r *Reminder) post(key string) (int, bool) {
	i := slices.IndexFunc(r.Posts, func(p Post) bool { return p.Key == key })
	return i, i >= 0
}

// audience is the markdown that mentions whom r notifies.
func (r *Reminder) audience() string {
	switch r.Notify {
	case NotifyGroup:
		return "<at id=all></at>"
	case NotifyPeople:
		if m := mentions(r.People); m != "" {
			return m
		}
	}
	return mention(r.CreatorID)
}

// reminderCard is the card the group sees when a reminder is set, kept up
// to date: when it is next due, or who cancelled it, or when it was sent.
func reminderCard(r *Reminder, loc *time.Location) *card.Card {
	return everyLocale(r.Locale, func(lang string) *card.Card { return reminderCardIn(r, loc, lang) })
}

func reminderCardIn(r *Reminder, loc *time.Location, lang string) *card.Card {
	lines := []string{msgRemindWhen.In(lang, fmtWhen(r.First, loc, lang))}
	if r.Repeat != RepeatOnce {
		lines = append(lines, msgRemindRepeats.In(lang, repeatLabel(r.Repeat, lang)))
	}
	who := msgRemindEveryone.In(lang)
	if r.Notify != NotifyGroup {
		who = r.audience() // never <at id=all> here: setting it must not notify everyone
	}
	lines = append(lines, msgRemindNotifies.In(lang, who))
	header := card.Header{Title: card.Plain(msgRemindTitle.In(lang)), Template: card.Blue}
	elements := []card.Element{
		card.PlainText(r.What), // the user's words: never markdown
		card.Markdown{Content: strings.Join(lines, "\n")},
		card.Markdown{Content: msgRemindSetBy.In(lang, mention(r.CreatorID)), TextSize: "notation"},
	}
	switch r.Status {
	case ReminderCancelled:
		header.Template = card.Grey
		elements = append(elements, card.Markdown{Content: msgRemindCancelledBy.In(lang, mention(r.CancelledBy), fmtStamp(r.CancelledAt, loc))})
	case ReminderDone:
		header.Template = card.Green
		elements = append(elements, card.Markdown{Content: msgRemindSentAt.In(lang, fmtStamp(r.LastFired, loc))})
	default:
		elements = append(elements, card.Button{
			Name: "remind_cancel_btn", Type: card.ButtonDanger, Text: card.Plain(msgRemindCancel.In(lang)),
			Behaviors: card.Callback(map[string]any{"flow": "remind", "action": actionRemindCancel, "reminder": r.ID}),
		})
	}
	return card.New(header, elements...)
}

func repeatLabel(r Repeat, locale string) string {
	for _, c := range repeatChoices {
		if c.value == string(r) {
			return c.label.In(locale)
		}
	}
	return string(r)
}

// lateAfter is how late a reminder may fire and still be on time: beyond
// it (botd was down, or the queue far behind) its card says it is late.
const lateAfter = 2 * time.Minute

// firedCard is the reminder itself, posted at the due time: it mentions
// whom it is for, and has Done and Snooze until someone presses Done.
func firedCard(r *Reminder, p Post, loc *time.Location) *card.Card {
	return everyLocale(r.Locale, func(lang string) *card.Card { return firedCardIn(r, p, loc, lang) })
}

func firedCardIn(r *Reminder, p Post, loc *time.Location, lang string) *card.Card {
	elements := []card.Element{
		card.Markdown{Content: r.audience()},
		card.PlainText(r.What),
		card.Markdown{Content: msgRemindDueSetBy.In(lang, fmtWhen(p.Due, loc, lang), mention(r.CreatorID)), TextSize: "notation"},
	}
	if p.FiredAt.Sub(p.Due) > lateAfter {
		elements = append(elements, card.Markdown{Content: "<font color='red'>" + msgRemindLate.In(lang, fmtStamp(p.Due, loc)) + "</font>"})
	}
	header := card.Header{Title: card.Plain(msgRemindTitle.In(lang)), Template: card.Orange}
	if p.DoneBy != "" {
		header.Template = card.Green
		elements = append(elements, card.Markdown{Content: msgRemindDoneBy.In(lang, mention(p.DoneBy), fmtStamp(p.DoneAt, loc))})
		return card.New(header, elements...)
	}
	if p.SnoozedBy != "" {
		elements = append(elements, card.Markdown{Content: msgRemindSnoozedBy.In(lang, mention(p.SnoozedBy), fmtClock(p.SnoozedUntil, loc))})
	}
	value := func(action string, minutes int) map[string]any {
		v := map[string]any{"flow": "remind", "action": action, "reminder": r.ID, "occurrence": p.Key}
		if minutes > 0 {
			v["minutes"] = strconv.Itoa(minutes)
		}
		return v
	}
	button := func(name string, typ string, label Msg, v map[string]any) card.Column {
		return card.Column{Width: "auto", Elements: []card.Element{card.Button{
			Name: name, Type: typ, Text: card.Plain(label.In(lang)), Behaviors: card.Callback(v)}}}
	}
	elements = append(elements, card.ColumnSet{Columns: []card.Column{
		button("remind_done_btn", card.ButtonPrimary, msgRemindDone, value(actionRemindDone, 0)),
		button("remind_snooze10_btn", card.ButtonDefault, msgRemindSnooze10, value(actionRemindSnooze, 10)),
		button("remind_snooze60_btn", card.ButtonDefault, msgRemindSnooze60, value(actionRemindSnooze, 60)),
	}})
	return card.New(header, elements...)
}

// logReminder is the engine's logger with the ids of r.
func (e *Engine) logReminder(r *Reminder) *zap.Logger {
	return e.log.With(zap.String("reminder_id", r.ID), zap.String("chat_id", r.ChatID))
}
