package flows

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/botd/botd/internal/card"
	"github.com/botd/botd/internal/platformid"
)

// MaxAhead is how far ahead a todo may be due or a reminder set: a year and
// a day. Records live state.RecordTTL (400 days) after their last change,
// so a record created now outlives its furthest due date, and the due-set
// entry that names it, by a month (TestMaxAheadWithinRecordTTL). Raising it
// means raising RecordTTL too.
const MaxAhead = 366 * 24 * time.Hour

// FieldError is what is wrong with one form field, in words for the user.
type FieldError struct {
	Field string // the component's name
	Msg   Msg    // names the field: "Title is required"
	Args  []any
}

// FieldErrors lists what is wrong with a submitted form, in form order.
type FieldErrors []FieldError

// Add records a problem with field.
func (e *FieldErrors) Add(field string, m Msg, args ...any) {
	*e = append(*e, FieldError{Field: field, Msg: m, Args: args})
}

// For returns the problem with field, if any, in locale.
func (e FieldErrors) For(field, locale string) (string, bool) {
	for _, fe := range e {
		if fe.Field == field {
			return fe.Msg.In(locale, fe.Args...), true
		}
	}
	return "", false
}

// Fields returns the names of the fields with problems, for logs.
func (e FieldErrors) Fields() []string {
	names := make([]string, len(e))
	for i, fe := range e {
		names[i] = fe.Field
	}
	return names
}

// text joins every problem, so a toast alone tells the user what to fix.
func (e FieldErrors) text(locale string) string {
	parts := make([]string, len(e))
	for i, fe := range e {
		parts[i] = fe.Msg.In(locale, fe.Args...)
	}
	return strings.Join(parts, msgErrorSep.In(locale))
}

// NewToast is the error toast for a refused submit, in locale and in every
// locale. It matters more than the card re-rendered with the errors: whether
// a callback answer's card replaces an ephemeral card is unconfirmed.
func (e FieldErrors) toast(locale string) *Toast {
	return &Toast{
		Type:    ToastError,
		Content: e.text(locale),
		I18n:    map[string]string{LocaleEnUS: e.text(LocaleEnUS), LocaleZhCN: e.text(LocaleZhCN)},
	}
}

// ErrorLine is the red line shown right under a field with a problem, or nil.
func ErrorLine(errs FieldErrors, field, locale string) []card.Element {
	text, ok := errs.For(field, locale)
	if !ok {
		return nil
	}
	return []card.Element{card.Markdown{Content: "<font color='red'>" + text + "</font>"}}
}

// FormString reads a form value that should be one string, "" when it is
// missing or cannot be read as one (formValue).
func FormString(form map[string]any, name string) string {
	v, _ := FormValue(form, name)
	return v
}

// FormValue reads a form value that should be one string. Missing and
// empty are the same (the platform does not say which an unfilled optional
// field gives); a one-element array, as a multi-select would send, counts as
// its element, so a component swap does not silently drop the value; a
// number or a boolean counts as its text. Anything else (an object, an
// array of another length or of something else) is not a value any
// component sends: ok is false, and Submit refuses the field rather than
// read it as empty and fall back to a default the user did not pick.
func FormValue(form map[string]any, name string) (v string, ok bool) {
	switch v := form[name].(type) {
	case nil:
		return "", true
	case string:
		return v, true
	case []any:
		if len(v) == 1 {
			if s, ok := v[0].(string); ok {
				return s, true
			}
		}
		return "", len(v) == 0
	case float64, bool, json.Number:
		return fmt.Sprint(v), true
	default:
		return "", false
	}
}

// RequiredText reads a form's required one-line text field: trimmed, not
// empty, at most max characters. A problem is added to errs under name
// (required, or tooLong with max as its argument). The trimmed value is
// returned either way, to be shown again in the form. A value no component
// sends reads as empty, so it is refused as missing.
func RequiredText(values map[string]any, name string, max int, required, tooLong Msg, errs *FieldErrors) string {
	v, _ := FormValue(values, name)
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		errs.Add(name, required)
	case utf8.RuneCountInString(v) > max:
		errs.Add(name, tooLong, max)
	}
	return v
}

// ParseDate reads a date picker value: "2024-11-15 +0800" as the platform
// sends it, or "2024-11-15" as the engine stores it. It returns the calendar
// day (midnight UTC, a date rather than an instant) and, when the value
// carried one, the user's UTC offset as a zone.
func ParseDate(v string) (day time.Time, offset *time.Location, ok bool) {
	if t, err := time.Parse(card.DateValueLayout, v); err == nil {
		return CivilDay(t), t.Location(), true
	}
	if t, err := time.Parse(card.DateLayout, v); err == nil {
		return t, nil, true
	}
	return time.Time{}, nil, false
}

// CivilDay is t's calendar day in t's own zone, at midnight UTC.
func CivilDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// isOpenID reports whether s is an open_id (platformid.IsOpenID: "ou_" and
// letters, digits, '_' or '-'). It keeps anything else out of the
// <at id=...> markdown of cards.
func isOpenID(s string) bool { return platformid.IsOpenID(s) }

// Truncate cuts s to at most n runes.
func Truncate(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// FormStrings reads a form value that should be a list of strings (a
// multi-select); one string counts as a list of one. Blanks are dropped and
// repeats kept once. ok is false when the value is neither a string nor an
// array of strings.
func FormStrings(form map[string]any, name string) (_ []string, ok bool) {
	var out []string
	seen := map[string]bool{} // not slices.Contains: a forged list may be long
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	switch v := form[name].(type) {
	case nil:
	case string:
		add(v)
	case []any:
		for _, e := range v {
			s, isString := e.(string)
			if !isString {
				return nil, false
			}
			add(s)
		}
	default:
		return nil, false
	}
	return out, true
}

// ParseClock reads a time picker value: "09:05 +0800" as the platform sends
// it, or "09:05" as the engine stores it, with the UTC offset when the value
// carried one.
func ParseClock(v string) (hour, min int, offset *time.Location, ok bool) {
	if t, err := time.Parse(card.TimeValueLayout, v); err == nil {
		return t.Hour(), t.Minute(), t.Location(), true
	}
	if t, err := time.Parse(card.TimeLayout, v); err == nil {
		return t.Hour(), t.Minute(), nil, true
	}
	return 0, 0, nil, false
}

// AtMentions is card markdown mentioning each of ids.
func AtMentions(ids []string) string {
	parts := make([]string, 0, len(ids))
	for _, id := range ids {
		if isOpenID(id) {
			parts = append(parts, AtMention(id))
		}
	}
	return strings.Join(parts, " ")
}
