// Package remind is /remind: a private form for a reminder, prefilled
// from what the command says ("tomorrow 9:00 standup", "每天 9点 站会");
// on submit a card in the group, and at the due time (and each recurrence)
// the reminder itself, with Done and Snooze. Reminders are records in the
// host's record store (record.go); their occurrences wait in the due set
// (fire.go).
package remind

import (
	"slices"
	"strings"
	"time"

	"github.com/botd/botd/internal/card"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/nltime"
	"github.com/botd/botd/internal/platformid"
)

// The /remind form: its component names are the keys of Interaction.Form.
const (
	remindFormName = "remind_form"
	remindWhat     = "what"
	remindDate     = "date"
	remindTime     = "time"
	remindRepeat   = "repeat"
	remindNotify   = "notify"
	remindPeople   = "people" // comma-separated open_ids in Interaction.Form
	remindAt       = "at"     // the due instant (RFC 3339, UTC), set by Submit

	remindWhatMax   = 200
	remindPeopleMax = 20
	// remindGrace lets a time picked for "now" through: the picker has
	// minute precision and filling in the form takes a while.
	remindGrace = time.Minute
)

// Flow is /remind [when] [what]: a form for a reminder, prefilled from
// the command; on submit a card in the group, and at the due time (and each
// recurrence) the reminder itself (record.go, fire.go).
type Flow struct{}

func (Flow) Name() string                  { return "remind" }
func (Flow) Describe(locale string) string { return msgRemindDescribe.In(locale) }
func (Flow) Submitted() flows.Msg          { return msgRemindCreated }

// Start prefills the form from "/remind [repeat] [when] [what] [@people]":
// "/remind tomorrow 9:00 standup", "/remind 每天 9点 站会". now is in the
// default zone: a message does not carry the user's.
func (Flow) Start(it *flows.Interaction, cmd flows.Command, now time.Time) {
	repeat, args := cutRepeat(cmd.Args)
	it.Form[remindRepeat] = string(repeat)
	what := args
	if r, ok := nltime.Parse(args, now); ok {
		what = r.Rest
		at := r.At
		if at.Second() != 0 || at.Nanosecond() != 0 {
			at = at.Truncate(time.Minute).Add(time.Minute) // "in 30m": never before
		}
		it.Form[remindDate] = card.Date(at)
		it.Form[remindTime] = at.Format(card.TimeLayout)
	}
	what = cutLeadingWords(what, "to ", "提醒我", "提醒")
	if what != "" {
		it.Form[remindWhat] = flows.Truncate(what, remindWhatMax)
	}
	it.Form[remindNotify] = string(NotifySender)
	if len(cmd.People) > 0 {
		ids := make([]string, 0, len(cmd.People))
		for _, p := range cmd.People {
			ids = append(ids, p.OpenID)
		}
		it.Form[remindNotify] = string(NotifyPeople)
		it.Form[remindPeople] = strings.Join(ids, ",")
	}
}

// repeatWords start a command that repeats; "每周五" and "every fri" keep
// their weekday for the time parser.
var repeatWords = []struct {
	word   string
	repeat Repeat
	keep   string // what stays in front of the rest
}{
	{"every weekday", RepeatWeekdays, ""}, {"weekdays", RepeatWeekdays, ""},
	{"every day", RepeatDaily, ""}, {"daily", RepeatDaily, ""},
	{"every week", RepeatWeekly, ""}, {"weekly", RepeatWeekly, ""},
	{"每个工作日", RepeatWeekdays, ""}, {"工作日", RepeatWeekdays, ""},
	{"每天", RepeatDaily, ""}, {"每日", RepeatDaily, ""},
	{"每个星期", RepeatWeekly, "星期"}, {"每星期", RepeatWeekly, "星期"}, {"每周", RepeatWeekly, "周"},
}

// cutRepeat reads a leading repeat word.
func cutRepeat(args string) (Repeat, string) {
	lower := strings.ToLower(args)
	for _, w := range repeatWords {
		if strings.HasPrefix(lower, w.word) {
			rest := w.keep + strings.TrimSpace(args[len(w.word):])
			return w.repeat, strings.TrimSpace(rest)
		}
	}
	// "every fri 17:00": weekly, on the day the time parser reads.
	if rest, ok := strings.CutPrefix(lower, "every "); ok && len(rest) >= 3 {
		switch rest[:3] {
		case "mon", "tue", "wed", "thu", "fri", "sat", "sun":
			return RepeatWeekly, strings.TrimSpace(args[len("every "):])
		}
	}
	return RepeatOnce, args
}

func cutLeadingWords(s string, words ...string) string {
	for _, w := range words {
		if rest, ok := strings.CutPrefix(s, w); ok && strings.TrimSpace(rest) != "" {
			return strings.TrimSpace(rest)
		}
	}
	return s
}

// Form renders the reminder form. People named in the command are shown as
// a line above an empty picker, as /todo does with its assignee (see
// todoFlow.Form): a prefilled picker would offer only them.
func (Flow) Form(it *flows.Interaction, errs flows.FieldErrors) *card.Card {
	loc, f := it.Locale, it.Form
	var fields []card.Element
	add := func(e card.Element, field string) {
		fields = append(fields, e)
		fields = append(fields, flows.ErrorLine(errs, field, loc)...)
	}
	add(card.Input{
		Name: remindWhat, Required: true, MaxLength: remindWhatMax,
		Label:        card.Plain(msgRemindWhatLabel.In(loc)),
		Placeholder:  card.Plain(msgRemindWhatPlaceholder.In(loc)),
		DefaultValue: flows.Truncate(f[remindWhat], remindWhatMax),
	}, remindWhat)
	date := card.DatePicker{Name: remindDate, Required: true, Placeholder: card.Plain(msgRemindDatePlaceholder.In(loc))}
	if day, _, ok := flows.ParseDate(f[remindDate]); ok {
		date.InitialDate = card.Date(day)
	}
	add(date, remindDate)
	clock := card.PickerTime{Name: remindTime, Required: true, Placeholder: card.Plain(msgRemindTimePlaceholder.In(loc))}
	if h, m, _, ok := flows.ParseClock(f[remindTime]); ok {
		clock.InitialTime = time.Date(2000, 1, 1, h, m, 0, 0, time.UTC).Format(card.TimeLayout)
	}
	add(clock, remindTime)
	label := func(m flows.Msg) { fields = append(fields, card.Markdown{Content: m.In(loc)}) }
	label(msgRemindRepeatLabel)
	add(card.SelectStatic{
		Name: remindRepeat, Required: true, Placeholder: card.Plain(msgRemindRepeatPlaceholder.In(loc)),
		Options:       options(loc, repeatChoices),
		InitialOption: orDefault(f[remindRepeat], string(RepeatOnce)),
	}, remindRepeat)
	label(msgRemindNotifyLabel)
	add(card.SelectStatic{
		Name: remindNotify, Required: true, Placeholder: card.Plain(msgNotifyPlaceholder.In(loc)),
		Options:       options(loc, notifyChoices),
		InitialOption: orDefault(f[remindNotify], string(NotifySender)),
	}, remindNotify)
	label(msgRemindPeopleLabel)
	if people := splitPeople(f[remindPeople]); len(people) > 0 {
		fields = append(fields, card.Markdown{Content: msgRemindPeopleCurrent.In(loc, flows.AtMentions(people))})
	}
	add(card.MultiSelectPerson{Name: remindPeople, Placeholder: card.Plain(msgRemindPeoplePlaceholder.In(loc))}, remindPeople)
	fields = append(fields, card.Button{
		Name: "submit_btn", Type: card.ButtonPrimary, Text: card.Plain(msgRemindSubmit.In(loc)),
		FormActionType: card.FormSubmit, Behaviors: card.Callback(flows.FormButtonValue(it, flows.ActionSubmit)),
	})
	return card.New(
		card.Header{Title: card.Plain(msgRemindFormTitle.In(loc)), Template: card.Blue},
		card.Form{Name: remindFormName, Elements: fields},
		flows.CancelButton(it, "cancel_btn", flows.MsgCancel),
	)
}

type choice struct {
	value string
	label flows.Msg
}

var repeatChoices = []choice{
	{string(RepeatOnce), msgRepeatOnce}, {string(RepeatDaily), msgRepeatDaily},
	{string(RepeatWeekdays), msgRepeatWeekdays}, {string(RepeatWeekly), msgRepeatWeekly},
}

var notifyChoices = []choice{
	{string(NotifySender), msgNotifySender}, {string(NotifyGroup), msgNotifyGroup}, {string(NotifyPeople), msgNotifyPeople},
}

func options(locale string, choices []choice) []card.Option {
	out := make([]card.Option, len(choices))
	for i, c := range choices {
		out[i] = card.Option{Text: card.Plain(c.label.In(locale)), Value: c.value}
	}
	return out
}

func isChoice(v string, choices []choice) bool {
	return slices.ContainsFunc(choices, func(c choice) bool { return c.value == v })
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// Submit checks a submitted reminder: a text of at most 200 characters; a
// date and time that, read in the user's zone, are not past (by more than
// remindGrace) nor more than MaxAhead ahead; a known repeat and audience;
// and for chosen people, one to twenty valid members. People are read,
// checked and kept only when the audience is the chosen people: with any
// other audience the picker's value is ignored, so it can neither refuse
// the submit nor grow the record. It stores the instant under remindAt, so
// the reminder does not depend on reading the date again. A value no
// component sends (formValue) is refused under its field.
func (Flow) Submit(it *flows.Interaction, s flows.Submission) (map[string]string, flows.FieldErrors) {
	var errs flows.FieldErrors
	values := map[string]string{}
	set := func(k, v string) {
		if v != "" {
			values[k] = v
		}
	}

	what := flows.RequiredText(s.Values, remindWhat, remindWhatMax, msgRemindWhatRequired, msgRemindWhatTooLong, &errs)
	set(remindWhat, what)

	day, dayOffset, dayOK := flows.ParseDate(strings.TrimSpace(flows.FormString(s.Values, remindDate)))
	h, m, clockOffset, clockOK := flows.ParseClock(strings.TrimSpace(flows.FormString(s.Values, remindTime)))
	if dayOK {
		set(remindDate, card.Date(day))
	} else {
		errs.Add(remindDate, msgRemindDateInvalid)
	}
	if clockOK {
		set(remindTime, time.Date(2000, 1, 1, h, m, 0, 0, time.UTC).Format(card.TimeLayout))
	} else {
		errs.Add(remindTime, msgRemindTimeInvalid)
	}
	if dayOK && clockOK {
		zone := s.UserZone(firstZone(dayOffset, clockOffset))
		at := flows.WallTime(day.Year(), day.Month(), day.Day(), h, m, zone)
		switch {
		case day.Before(flows.CivilDay(s.Now.In(zone))):
			errs.Add(remindDate, msgRemindDatePast)
		case at.Before(s.Now.Add(-remindGrace)):
			errs.Add(remindTime, msgRemindTimePast)
		case at.After(s.Now.Add(flows.MaxAhead)):
			// The record, and its entry in the due set, must not outlive
			// state.RecordTTL (see MaxAhead).
			errs.Add(remindDate, msgRemindDateTooFar)
		default:
			values[remindAt] = at.UTC().Format(time.RFC3339)
		}
	}

	repeat, ok := flows.FormValue(s.Values, remindRepeat)
	if repeat = orDefault(repeat, string(RepeatOnce)); !ok || !isChoice(repeat, repeatChoices) {
		errs.Add(remindRepeat, msgRemindRepeatInvalid)
	} else {
		set(remindRepeat, repeat)
	}

	notify, ok := flows.FormValue(s.Values, remindNotify)
	if notify = orDefault(notify, string(NotifySender)); !ok || !isChoice(notify, notifyChoices) {
		errs.Add(remindNotify, msgRemindNotifyInvalid)
		// Keep the people on the form shown again: the audience may
		// well be meant to be them.
		set(remindPeople, it.Form[remindPeople])
		return values, errs
	}
	set(remindNotify, notify)
	if notify != string(NotifyPeople) {
		return values, errs
	}

	people, ok := flows.FormStrings(s.Values, remindPeople)
	if ok && len(people) == 0 {
		people = splitPeople(it.Form[remindPeople]) // picker left empty: keep the prefill
	}
	switch {
	case !ok || !all(people, platformid.IsOpenID):
		errs.Add(remindPeople, msgRemindPeopleNotUser)
	case len(people) == 0:
		errs.Add(remindPeople, msgRemindPeopleRequired)
	case len(people) > remindPeopleMax:
		errs.Add(remindPeople, msgRemindPeopleTooMany, remindPeopleMax)
	default:
		set(remindPeople, strings.Join(people, ","))
	}
	return values, errs
}

// Final renders the card the group sees once the reminder is set.
func (Flow) Final(it *flows.Interaction) *card.Card {
	r := reminderFromInteraction(it)
	return reminderCard(r, flows.ZoneOf(r.Timezone))
}

func firstZone(a, b *time.Location) *time.Location {
	if a != nil {
		return a
	}
	return b
}

func all(xs []string, ok func(string) bool) bool {
	for _, x := range xs {
		if !ok(x) {
			return false
		}
	}
	return true
}

// Example is how /remind is typed, for demos.
func (Flow) Example() string { return "tomorrow 9:00 Stand-up" }
