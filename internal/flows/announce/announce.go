// Package announce is /announce: an admin writes an announcement in a
// private form (title, markdown body, whether members should acknowledge
// it, an optional deadline), previews it as the group will see it, and
// posts it. Members acknowledge with "Got it", once each; the card counts
// them ("N of M acknowledged") in coalesced updates, and at the deadline
// one nudge mentions who has not, then the card shows the final tally.
// Announcements and acknowledgements are records in the host's record
// store (record.go); the deadline waits in the due set (actions.go).
package announce

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/botd/botd/internal/card"
	"github.com/botd/botd/internal/flows"
)

// The /announce form: its component names are the keys of Interaction.Form.
const (
	formName    = "announce_form"
	fieldTitle  = "title"
	fieldBody   = "body"
	fieldAck    = "ack"
	fieldDue    = "deadline"    // DatetimeLayout, in the member's zone, as shown
	fieldDueAt  = "deadline_at" // the instant (RFC 3339, UTC), set by Submit
	ackYes      = "yes"
	ackNo       = "no"
	titleMax    = 100
	bodyMax     = 2000
	bodyFormMax = 1000 // an input's max_length cannot exceed 1000 (§8.6)
)

// name is the flow's name and command.
const name = "announce"

// Flow is /announce [title]: a private form for an announcement, and on
// submit its card in the group.
type Flow struct{}

func (Flow) Name() string                  { return name }
func (Flow) Describe(locale string) string { return msgDescribe.In(locale) }
func (Flow) Submitted() flows.Msg          { return msgPosted }

// DefaultRule: only admins announce, unless the config opens it.
func (Flow) DefaultRule() flows.Rule { return flows.Rule{AdminsOnly: true} }

// Example is how /announce is typed, for demos.
func (Flow) Example() string { return "Office closed on Friday" }

// Start prefills the title from the arguments and asks for
// acknowledgements.
func (Flow) Start(it *flows.Interaction, cmd flows.Command, _ time.Time) {
	if cmd.Args != "" {
		it.Form[fieldTitle] = flows.Truncate(cmd.Args, titleMax)
	}
	it.Form[fieldAck] = ackYes
}

// Form renders the announcement form; Preview and Post both submit it.
func (f Flow) Form(it *flows.Interaction, errs flows.FieldErrors) *card.Card {
	return card.New(card.Header{Title: card.Plain(msgFormTitle.In(it.Locale)), Template: card.Blue}, f.formElements(it, errs)...)
}

func (Flow) formElements(it *flows.Interaction, errs flows.FieldErrors) []card.Element {
	loc, f := it.Locale, it.Form
	var fields []card.Element
	add := func(e card.Element, field string) {
		fields = append(fields, e)
		fields = append(fields, flows.ErrorLine(errs, field, loc)...)
	}
	add(card.Input{
		Name: fieldTitle, Required: true,
		Label:        card.Plain(msgTitleLabel.In(loc)),
		Placeholder:  card.Plain(msgTitlePlaceholder.In(loc)),
		DefaultValue: flows.Truncate(f[fieldTitle], titleMax),
		MaxLength:    titleMax,
	}, fieldTitle)
	add(card.Input{
		Name:         fieldBody,
		Label:        card.Plain(msgBodyLabel.In(loc)),
		Placeholder:  card.Plain(msgBodyPlaceholder.In(loc)),
		DefaultValue: flows.Truncate(f[fieldBody], bodyFormMax),
		MaxLength:    bodyFormMax,
		InputType:    card.InputMultiline,
		Rows:         5,
	}, fieldBody)
	ack := f[fieldAck]
	if ack != ackNo {
		ack = ackYes
	}
	add(card.SelectStatic{
		Name: fieldAck, Required: true, Placeholder: card.Plain(msgAckPlaceholder.In(loc)),
		Options: []card.Option{
			{Text: card.Plain(msgAckYes.In(loc)), Value: ackYes},
			{Text: card.Plain(msgAckNo.In(loc)), Value: ackNo},
		},
		InitialOption: ack,
	}, fieldAck)
	due := card.PickerDatetime{Name: fieldDue, Placeholder: card.Plain(msgDeadlinePlaceholder.In(loc))}
	if _, err := time.Parse(card.DatetimeLayout, f[fieldDue]); err == nil {
		due.InitialDatetime = f[fieldDue]
	}
	add(due, fieldDue)
	fields = append(fields,
		card.Button{
			Name: "preview_btn", Type: card.ButtonDefault, Text: card.Plain(msgPreview.In(loc)),
			FormActionType: card.FormSubmit,
			Behaviors:      card.Callback(previewButton.Value(it.ID, nil)),
		},
		card.Button{
			Name: "submit_btn", Type: card.ButtonPrimary, Text: card.Plain(msgPost.In(loc)),
			FormActionType: card.FormSubmit,
			Behaviors:      card.Callback(flows.FormButtonValue(it, flows.ActionSubmit)),
		})
	return []card.Element{
		card.Form{Name: formName, Elements: fields},
		flows.CancelButton(it, "cancel_btn", flows.MsgCancel),
	}
}

// Submit checks a submitted announcement: a title (trimmed) of at most
// 100 characters; a body of at most 2000; acknowledgement asked or not;
// and an optional deadline, only with acknowledgement, in the future and
// at most MaxAhead ahead, read in the member's zone. A value no component
// sends is refused under its field.
func (Flow) Submit(_ *flows.Interaction, s flows.Submission) (map[string]string, flows.FieldErrors) {
	var errs flows.FieldErrors
	values := map[string]string{}
	set := func(k, v string) {
		if v != "" {
			values[k] = v
		}
	}

	title := flows.RequiredText(s.Values, fieldTitle, titleMax, msgTitleRequired, msgTitleTooLong, &errs)
	if utf8.RuneCountInString(title) > titleMax {
		title = flows.Truncate(title, titleMax)
	}
	set(fieldTitle, title)

	body, ok := flows.FormValue(s.Values, fieldBody)
	body = strings.TrimSpace(body)
	switch {
	case !ok || !utf8.ValidString(body):
		errs.Add(fieldBody, msgBodyInvalid)
		body = ""
	case utf8.RuneCountInString(body) > bodyMax:
		errs.Add(fieldBody, msgBodyTooLong, bodyMax)
		body = flows.Truncate(body, bodyMax)
	}
	set(fieldBody, body)

	ack, ok := flows.FormValue(s.Values, fieldAck)
	if ack == "" {
		ack = ackYes
	}
	if !ok || (ack != ackYes && ack != ackNo) {
		errs.Add(fieldAck, msgAckInvalid)
		ack = ackYes
	}
	set(fieldAck, ack)

	raw, ok := flows.FormValue(s.Values, fieldDue)
	if raw = strings.TrimSpace(raw); !ok || raw != "" {
		at, parsed := parseDatetime(raw, s)
		switch {
		case !ok || !parsed:
			errs.Add(fieldDue, msgDeadlineInvalid)
		case !at.After(s.Now):
			errs.Add(fieldDue, msgDeadlinePast)
		case at.After(s.Now.Add(flows.MaxAhead)):
			// The record, and its entry in the due set, must not outlive
			// state.RecordTTL (see MaxAhead).
			errs.Add(fieldDue, msgDeadlineTooFar)
		case ack != ackYes:
			errs.Add(fieldDue, msgDeadlineNeedsAck)
		default:
			values[fieldDueAt] = at.UTC().Format(time.RFC3339)
		}
		if parsed {
			set(fieldDue, at.Format(card.DatetimeLayout))
		}
	}
	return values, errs
}

// parseDatetime reads a datetime picker value, "2024-11-15 18:00 +0800",
// in the member's zone (the callback's, else the value's offset), or
// "2024-11-15 18:00" as a form shown again carries it.
func parseDatetime(v string, s flows.Submission) (time.Time, bool) {
	if t, err := time.Parse(card.DatetimeValueLayout, v); err == nil {
		zone := s.UserZone(t.Location())
		return flows.WallTime(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), zone), true
	}
	if t, err := time.Parse(card.DatetimeLayout, v); err == nil {
		zone := s.UserZone(nil)
		return flows.WallTime(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), zone), true
	}
	return time.Time{}, false
}

// Final renders the card the group sees once the announcement is posted.
func (Flow) Final(it *flows.Interaction) *card.Card {
	a := fromInteraction(it)
	return groupCard(a, 0, flows.ZoneOf(a.Timezone))
}
