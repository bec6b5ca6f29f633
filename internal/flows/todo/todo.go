// Package todo is /todo: a private form for a todo, prefilled from the
// command; on submit a card in the group that its assignee, its creator
// and the chat's admins mark done and reopen; a nudge on its due date; and
// /todo list, the chat's open todos. The todos themselves are records in
// the host's record store (record.go).
package todo

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/botd/botd/internal/card"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/platformid"
)

// The /todo form: its component names are the keys of Interaction.Form.
const (
	todoFormName = "todo_form"
	todoTitle    = "title"
	todoAssignee = "assignee"
	todoDue      = "due_date"
	todoNotes    = "notes"

	todoTitleMax = 200
	todoNotesMax = 1000

	// todoMode is the Form key that marks a /todo list interaction.
	todoMode     = "mode"
	todoModeList = "list"
)

// Flow is /todo [title] [@person]: a form for a todo, and on submit a
// card for the group with its title, assignee, due date and notes, which
// members then mark done or reopen (record.go, actions.go). /todo list shows
// the chat's open todos (list.go).
type Flow struct{}

func (Flow) Name() string                  { return "todo" }
func (Flow) Describe(locale string) string { return msgTodoDescribe.In(locale) }
func (Flow) Submitted() flows.Msg          { return msgTodoCreated }

// Start prefills the title from the arguments, the due date from a leading
// or trailing "today"/"tomorrow" ("/todo Buy milk tomorrow") and the
// assignee from the first member mentioned. "/todo list" is the list instead.
func (Flow) Start(it *flows.Interaction, cmd flows.Command, now time.Time) {
	if isListWord(cmd.Args) {
		it.Form[todoMode] = todoModeList
		return
	}
	title := cmd.Args
	if rest, days, ok := cutDueWord(title); ok {
		title = rest
		it.Form[todoDue] = card.Date(now.AddDate(0, 0, days))
	}
	if title != "" {
		it.Form[todoTitle] = flows.Truncate(title, todoTitleMax)
	}
	if len(cmd.People) > 0 {
		it.Form[todoAssignee] = cmd.People[0].OpenID
	}
}

// Form renders the todo form.
//
// The assignee: a select_person with empty options offers every member of
// the chat, but its initial_option only works for an id listed in options
// (§8.6), so a prefill would shrink the choice to that one person. Instead
// the current assignee (from the command, or picked before a refused
// submit) is shown as a line above an empty picker, and Submit keeps it when
// the picker is left empty. The cost: an assignee once set cannot be
// cleared, only replaced.
func (Flow) Form(it *flows.Interaction, errs flows.FieldErrors) *card.Card {
	loc, f := it.Locale, it.Form
	var fields []card.Element
	fields = append(fields, card.Input{
		Name:         todoTitle,
		Required:     true,
		Label:        card.Plain(msgTodoTitleLabel.In(loc)),
		Placeholder:  card.Plain(msgTodoTitlePlaceholder.In(loc)),
		DefaultValue: flows.Truncate(f[todoTitle], todoTitleMax),
		MaxLength:    todoTitleMax,
	})
	fields = append(fields, flows.ErrorLine(errs, todoTitle, loc)...)

	if a := f[todoAssignee]; platformid.IsOpenID(a) {
		fields = append(fields, card.Markdown{Content: msgTodoAssigneeCurrent.In(loc, flows.AtMention(a))})
	}
	fields = append(fields, card.SelectPerson{
		Name:        todoAssignee,
		Placeholder: card.Plain(msgTodoAssigneePlaceholder.In(loc)),
	})
	fields = append(fields, flows.ErrorLine(errs, todoAssignee, loc)...)

	due := card.DatePicker{Name: todoDue, Placeholder: card.Plain(msgTodoDuePlaceholder.In(loc))}
	if day, _, ok := flows.ParseDate(f[todoDue]); ok {
		due.InitialDate = card.Date(day)
	}
	fields = append(fields, due)
	fields = append(fields, flows.ErrorLine(errs, todoDue, loc)...)

	fields = append(fields, card.Input{
		Name:         todoNotes,
		Label:        card.Plain(msgTodoNotesLabel.In(loc)),
		Placeholder:  card.Plain(msgTodoNotesPlaceholder.In(loc)),
		DefaultValue: flows.Truncate(f[todoNotes], todoNotesMax),
		MaxLength:    todoNotesMax,
		InputType:    card.InputMultiline,
		Rows:         3,
	})
	fields = append(fields, flows.ErrorLine(errs, todoNotes, loc)...)

	fields = append(fields, card.Button{
		Name:           "submit_btn",
		Type:           card.ButtonPrimary,
		Text:           card.Plain(msgTodoSubmit.In(loc)),
		FormActionType: card.FormSubmit,
		Behaviors:      card.Callback(flows.FormButtonValue(it, flows.ActionSubmit)),
	})
	return card.New(
		card.Header{Title: card.Plain(msgTodoFormTitle.In(loc)), Template: card.Blue},
		card.Form{Name: todoFormName, Elements: fields},
		flows.CancelButton(it, "cancel_btn", flows.MsgCancel),
	)
}

// Submit checks a submitted todo: a title (trimmed) of at most 200
// characters, an assignee that is an open_id, a due date from today (in the
// user's zone) to MaxAhead ahead, notes of at most 1000 characters. A value
// no component sends (formValue) is refused under its field.
func (Flow) Submit(it *flows.Interaction, s flows.Submission) (map[string]string, flows.FieldErrors) {
	var errs flows.FieldErrors
	values := map[string]string{}
	set := func(k, v string) {
		if v != "" {
			values[k] = v
		}
	}

	title := flows.RequiredText(s.Values, todoTitle, todoTitleMax, msgTodoTitleRequired, msgTodoTitleTooLong, &errs)
	set(todoTitle, title)

	assignee, ok := flows.FormValue(s.Values, todoAssignee)
	assignee = strings.TrimSpace(assignee)
	if ok && assignee == "" {
		assignee = it.Form[todoAssignee] // picker left empty: keep the prefill (see Form)
	}
	if !ok || assignee != "" && !platformid.IsOpenID(assignee) {
		errs.Add(todoAssignee, msgTodoAssigneeInvalid)
	} else {
		set(todoAssignee, assignee)
	}

	raw, ok := flows.FormValue(s.Values, todoDue)
	if raw = strings.TrimSpace(raw); !ok || raw != "" {
		day, offset, parsed := flows.ParseDate(raw)
		today := flows.CivilDay(s.Now.In(s.UserZone(offset)))
		switch {
		case !ok || !parsed:
			errs.Add(todoDue, msgTodoDueInvalid)
		case day.Before(today):
			errs.Add(todoDue, msgTodoDuePast)
			set(todoDue, card.Date(day))
		case day.After(today.Add(flows.MaxAhead)):
			// The record, and the due-set entry of its nudge, must not
			// outlive state.RecordTTL (see MaxAhead).
			errs.Add(todoDue, msgTodoDueTooFar)
			set(todoDue, card.Date(day))
		default:
			set(todoDue, card.Date(day))
		}
	}

	notes, ok := flows.FormValue(s.Values, todoNotes)
	notes = strings.TrimSpace(notes)
	switch {
	case !ok:
		errs.Add(todoNotes, msgTodoNotesInvalid)
	case utf8.RuneCountInString(notes) > todoNotesMax:
		errs.Add(todoNotes, msgTodoNotesTooLong, todoNotesMax)
	}
	set(todoNotes, notes)
	return values, errs
}

// Final renders the todo card the group sees: the card of the record
// BeforePost created, with its Mark done button.
func (Flow) Final(it *flows.Interaction) *card.Card {
	return todoCard(todoFromInteraction(it), flows.ZoneOf(it.Timezone))
}

// dueWords are the words Start reads as a due date, in days from today.
var dueWords = []struct {
	word string
	days int
}{
	{"today", 0}, {"tomorrow", 1},
	{"今天", 0}, {"明天", 1}, {"后天", 2},
}

// cutDueWord cuts a due word from the start or end of args ("Buy milk
// tomorrow", "明天买牛奶"), as long as some title is left. English words must
// stand alone ("Tomorrowland" is a title); Chinese needs no space.
func cutDueWord(args string) (string, int, bool) {
	for _, w := range dueWords {
		n := len(w.word)
		if len(args) <= n {
			continue
		}
		ascii := w.word[0] < utf8.RuneSelf
		if strings.EqualFold(args[len(args)-n:], w.word) && (!ascii || args[len(args)-n-1] == ' ') {
			if rest := strings.TrimFunc(args[:len(args)-n], flows.IsArgTrim); rest != "" {
				return rest, w.days, true
			}
		}
		if strings.EqualFold(args[:n], w.word) && (!ascii || args[n] == ' ') {
			if rest := strings.TrimFunc(args[n:], flows.IsArgTrim); rest != "" {
				return rest, w.days, true
			}
		}
	}
	return args, 0, false
}

// Example is how /todo is typed, for demos.
func (Flow) Example() string { return "Buy milk tomorrow @Bob" }
