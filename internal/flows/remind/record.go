package remind

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
	"github.com/botd/botd/internal/flows"
)

// Repeat is how a reminder recurs.
type Repeat string

const (
	RepeatOnce     Repeat = "once"
	RepeatDaily    Repeat = "daily"
	RepeatWeekdays Repeat = "weekdays" // Monday to Friday
	RepeatWeekly   Repeat = "weekly"
)

// Notify is who a reminder mentions when it fires.
type Notify string

const (
	NotifySender Notify = "sender" // the member who set it
	NotifyGroup  Notify = "group"  // everyone (<at id=all>)
	NotifyPeople Notify = "people" // Reminder.People
)

// Status is where a reminder stands: active until a one-off has
// fired (done) or someone cancels it (cancelled).
type Status string

const (
	Active    Status = "active"
	Done      Status = "done"
	Cancelled Status = "cancelled"
)

// Reminder is a /remind once submitted: its series of occurrences and the
// state of the cards it posted.
type Reminder struct {
	ID        string    `json:"id"` // "rm_" + the interaction's random part
	TenantKey string    `json:"tenant_key"`
	ChatID    string    `json:"chat_id"`
	CreatorID string    `json:"creator_id"`
	What      string    `json:"what"`
	Locale    string    `json:"locale"`
	Timezone  string    `json:"timezone"` // IANA; recurrences follow its wall clock
	First     time.Time `json:"first"`    // first due instant (UTC)
	Repeat    Repeat    `json:"repeat"`
	Notify    Notify    `json:"notify"`
	People    []string  `json:"people,omitempty"` // open_ids, with NotifyPeople
	Status    Status    `json:"status"`

	// NextDue is the occurrence the due set holds for the series. An
	// occurrence that is not NextDue (the reminder was rescheduled or
	// cancelled since it was queued) never fires.
	NextDue time.Time `json:"next_due"`
	// LastFired is the latest series occurrence posted; a fire job for an
	// occurrence at or before it has already run.
	LastFired time.Time `json:"last_fired"`
	// Snoozes are the pending snoozed occurrences (Unix ms), outside the series.
	Snoozes []int64 `json:"snoozes,omitempty"`
	// Posts are the latest fired cards, newest last (at most maxPosts), so
	// their Done and Snooze buttons can update them.
	Posts []Post `json:"posts,omitempty"`

	MessageID     string    `json:"message_id,omitempty"` // the group card set by the form
	InteractionID string    `json:"interaction_id"`
	CancelledBy   string    `json:"cancelled_by,omitempty"`
	CancelledAt   time.Time `json:"cancelled_at,omitzero"`

	flows.RecordMeta
}

// Post is one fired reminder card.
type Post struct {
	Key          string    `json:"key"` // occurrence key: Unix ms, "s" + ms for a snooze
	Due          time.Time `json:"due"`
	FiredAt      time.Time `json:"fired_at"`
	MessageID    string    `json:"message_id"`
	DoneBy       string    `json:"done_by,omitempty"`
	DoneAt       time.Time `json:"done_at,omitzero"`
	SnoozedBy    string    `json:"snoozed_by,omitempty"`
	SnoozedUntil time.Time `json:"snoozed_until,omitzero"`
}

// kind is the store's name for reminders: botd:rem:{id}, where reminders
// have always been kept, so reminders saved by an older botd load.
const kind = "rem"

// RecordID implements flows.Record.
func (r *Reminder) RecordID() string { return r.ID }

// Kind is the store's kind of reminders (flows.StoredRecord.Kind).
const Kind = kind

// Indexes implements flows.Record: a reminder is in the member indexes
// (flows.MemberIndex, the web app's "my items") of the member who set it
// and of the people it mentions, whatever its status.
func (r *Reminder) Indexes() []flows.Index {
	return flows.MemberIndexes(r.TenantKey, float64(r.CreatedAt.UnixMilli()), append([]string{r.CreatorID}, r.People...)...)
}

// Records is the view of the reminders h keeps.
func Records(h flows.Host) flows.Records[Reminder, *Reminder] {
	return flows.RecordsOf[Reminder](h, kind)
}

func reminders(h flows.Host) flows.Records[Reminder, *Reminder] { return Records(h) }

// Times on group cards are read by members in other zones too, so the
// moment a reminder is due carries its UTC offset; times of actions (done
// at, cancelled at) are short and in the record's zone.

var zhWeekdays = [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

// fmtWhen is a due time: "Fri 2024-11-15 09:00 UTC+08:00", "2024-11-15 周五 09:00 UTC+08:00".
func fmtWhen(t time.Time, loc *time.Location, locale string) string {
	t = t.In(loc)
	zone := flows.UTCOffset(t)
	if locale == flows.LocaleZhCN {
		return t.Format("2006-01-02 ") + zhWeekdays[t.Weekday()] + t.Format(" 15:04 ") + zone
	}
	return t.Format("Mon 2006-01-02 15:04 ") + zone
}

// fmtClock is a time of day: "09:42".
func fmtClock(t time.Time, loc *time.Location) string { return t.In(loc).Format("15:04") }

// splitPeople reads the comma-separated open_ids the engine stores.
func splitPeople(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

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

// ID is the id of the reminder an interaction creates, derived so a
// retried finish job finds the one its first run created.
func ID(interactionID string) string {
	return "rm_" + strings.TrimPrefix(interactionID, "itx_")
}

// maxPosts bounds Reminder.Posts: a daily reminder would otherwise grow
// forever. Buttons on older cards answer "no longer works".
const maxPosts = 10

// reminderFromInteraction is the reminder a submitted interaction describes,
// as it is first created.
func reminderFromInteraction(it *flows.Interaction) *Reminder {
	f := it.Form
	at, _ := time.Parse(time.RFC3339, f[remindAt])
	at = at.UTC()
	return &Reminder{
		ID: ID(it.ID), TenantKey: it.TenantKey, ChatID: it.ChatID, CreatorID: it.UserID,
		What: f[remindWhat], Locale: it.Locale, Timezone: it.Timezone,
		First: at, NextDue: at, Repeat: Repeat(orDefault(f[remindRepeat], string(RepeatOnce))),
		Notify: Notify(orDefault(f[remindNotify], string(NotifySender))), People: splitPeople(f[remindPeople]),
		Status: Active, InteractionID: it.ID,
	}
}

// BeforePost creates the reminder record, once, and puts its first
// occurrence in the due set.
func (Flow) BeforePost(ctx context.Context, h flows.Host, it *flows.Interaction) error {
	r := reminderFromInteraction(it)
	if r.First.IsZero() {
		return flows.Permanent(fmt.Errorf("interaction %s has no due time", it.ID))
	}
	err := reminders(h).Create(ctx, r)
	if errors.Is(err, flows.ErrExists) {
		if r, err = reminders(h).Get(ctx, r.ID); err != nil {
			return fmt.Errorf("load reminder: %w", err)
		}
	} else if err != nil {
		return fmt.Errorf("create reminder: %w", err)
	}
	if err := ensureScheduled(ctx, h, r); err != nil {
		return err
	}
	logReminder(h, r).Info("reminder scheduled", zap.Time("due", r.NextDue), zap.String("repeat", string(r.Repeat)))
	return nil
}

// AfterPost records the group card's message id. If the reminder changed
// before that (a one-off due in a minute has fired), the card is synced.
func (Flow) AfterPost(ctx context.Context, h flows.Host, it *flows.Interaction, messageID string) error {
	r, err := reminders(h).Get(ctx, ID(it.ID))
	if err != nil {
		return fmt.Errorf("load reminder: %w", err)
	}
	r, changed, err := reminders(h).Update(ctx, r, func(r *Reminder) bool {
		if r.MessageID != "" {
			return false
		}
		r.MessageID = messageID
		return true
	})
	if err != nil {
		return fmt.Errorf("record the card of reminder: %w", err)
	}
	if changed && r.Status != Active {
		return h.Enqueue(ctx, JobCard, flows.CardJobID(r.ID, r.Version))
	}
	return nil
}

// ensureScheduled puts the series' next occurrence in the due set. Adding
// a member already there changes nothing, and the fire job ignores an
// occurrence that is no longer due, so this is safe to call at any time.
func ensureScheduled(ctx context.Context, h flows.Host, r *Reminder) error {
	if r.Status != Active || r.NextDue.IsZero() {
		return nil
	}
	if err := h.Schedule(ctx, remindMember(r.ID, occurrenceKey(r.NextDue, false)), r.NextDue); err != nil {
		return fmt.Errorf("schedule reminder %s: %w", r.ID, err)
	}
	return nil
}

// mayCancel: the member who set it and the chat's admins.
func mayCancel(ctx context.Context, h flows.Host, r *Reminder, openID string) bool {
	return mayCancelBy(r, openID, func() bool { return h.IsAdmin(ctx, r.ChatID, openID) })
}

// mayAnswer says who may press Done or Snooze on a fired reminder: those
// it is for, its creator and admins.
func mayAnswer(ctx context.Context, h flows.Host, r *Reminder, openID string) bool {
	return mayAnswerBy(r, openID, func() bool { return h.IsAdmin(ctx, r.ChatID, openID) })
}

// mayCancelBy and mayAnswerBy are mayCancel and mayAnswer with the admin
// check as a function, asked only when nothing else decides (the web app
// lists many reminders and asks them for each).
func mayCancelBy(r *Reminder, openID string, isAdmin func() bool) bool {
	return openID != "" && (openID == r.CreatorID || isAdmin())
}

func mayAnswerBy(r *Reminder, openID string, isAdmin func() bool) bool {
	return openID != "" && (openID == r.CreatorID || r.Notify == NotifyGroup ||
		(r.Notify == NotifyPeople && slices.Contains(r.People, openID)) || isAdmin())
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
		if m := flows.AtMentions(r.People); m != "" {
			return m
		}
	}
	return flows.AtMention(r.CreatorID)
}

// reminderCard is the card the group sees when a reminder is set, kept up
// to date: when it is next due, or who cancelled it, or when it was sent.
func reminderCard(r *Reminder, loc *time.Location) *card.Card {
	return flows.EveryLocale(r.Locale, func(lang string) *card.Card { return reminderCardIn(r, loc, lang) })
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
		card.Markdown{Content: msgRemindSetBy.In(lang, flows.AtMention(r.CreatorID)), TextSize: "notation"},
	}
	switch r.Status {
	case Cancelled:
		header.Template = card.Grey
		elements = append(elements, card.Markdown{Content: msgRemindCancelledBy.In(lang, flows.AtMention(r.CancelledBy), flows.FormatStamp(r.CancelledAt, loc))})
	case Done:
		header.Template = card.Green
		elements = append(elements, card.Markdown{Content: msgRemindSentAt.In(lang, flows.FormatStamp(r.LastFired, loc))})
	default:
		elements = append(elements, card.Button{
			Name: "remind_cancel_btn", Type: card.ButtonDanger, Text: card.Plain(msgRemindCancel.In(lang)),
			Behaviors: card.Callback(remindCancelButton.Value(r.ID, nil)),
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
	return flows.EveryLocale(r.Locale, func(lang string) *card.Card { return firedCardIn(r, p, loc, lang) })
}

func firedCardIn(r *Reminder, p Post, loc *time.Location, lang string) *card.Card {
	elements := []card.Element{
		card.Markdown{Content: r.audience()},
		card.PlainText(r.What),
		card.Markdown{Content: msgRemindDueSetBy.In(lang, fmtWhen(p.Due, loc, lang), flows.AtMention(r.CreatorID)), TextSize: "notation"},
	}
	if p.FiredAt.Sub(p.Due) > lateAfter {
		elements = append(elements, card.Markdown{Content: "<font color='red'>" + msgRemindLate.In(lang, flows.FormatStamp(p.FiredAt, loc)) + "</font>"})
	}
	header := card.Header{Title: card.Plain(msgRemindTitle.In(lang)), Template: card.Orange}
	if p.DoneBy != "" {
		header.Template = card.Green
		elements = append(elements, card.Markdown{Content: msgRemindDoneBy.In(lang, flows.AtMention(p.DoneBy), flows.FormatStamp(p.DoneAt, loc))})
		return card.New(header, elements...)
	}
	if p.SnoozedBy != "" {
		elements = append(elements, card.Markdown{Content: msgRemindSnoozedBy.In(lang, flows.AtMention(p.SnoozedBy), fmtClock(p.SnoozedUntil, loc))})
	}
	value := func(b flows.CallbackSpec, minutes int) map[string]any {
		args := map[string]string{"occurrence": p.Key}
		if minutes > 0 {
			args["minutes"] = strconv.Itoa(minutes)
		}
		return b.Value(r.ID, args)
	}
	button := func(name string, typ string, label flows.Msg, v map[string]any) card.Column {
		return card.Column{Width: "auto", Elements: []card.Element{card.Button{
			Name: name, Type: typ, Text: card.Plain(label.In(lang)), Behaviors: card.Callback(v)}}}
	}
	elements = append(elements, card.ColumnSet{Columns: []card.Column{
		button("remind_done_btn", card.ButtonPrimary, msgRemindDone, value(remindDoneButton, 0)),
		button("remind_snooze10_btn", card.ButtonDefault, msgRemindSnooze10, value(remindSnoozeButton, 10)),
		button("remind_snooze60_btn", card.ButtonDefault, msgRemindSnooze60, value(remindSnoozeButton, 60)),
	}})
	return card.New(header, elements...)
}

// logReminder is the host's logger with the ids of r.
func logReminder(h flows.Host, r *Reminder) *zap.Logger {
	return h.Logger().With(zap.String("reminder_id", r.ID), zap.String("chat_id", r.ChatID))
}
