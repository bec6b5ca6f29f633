package flows

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/botd/botd/internal/card"
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

// todoFlow is /todo [title] [@person]: a form for a todo, and on submit a
// card for the group with its title, assignee, due date and notes, which
// members then mark done or reopen (todo_record.go). /todo list shows the
// chat's open todos (todo_list.go).
type todoFlow struct {
	e *Engine // for the records; nil in tests of the form alone
}

func (todoFlow) Name() string                  { return "todo" }
func (todoFlow) Describe(locale string) string { return msgTodoDescribe.In(locale) }
func (todoFlow) Submitted() Msg                { return msgTodoCreated }

// Start prefills the title from the arguments, the due date from a leading
// or trailing "today"/"tomorrow" ("/todo Buy milk tomorrow") and the
// assignee from the first member mentioned. "/todo list" is the list instead.
func (todoFlow) Start(it *Interaction, cmd Command, now time.Time) {
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
		it.Form[todoTitle] = truncate(title, todoTitleMax)
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
func (todoFlow) Form(it *Interaction, errs FieldErrors) *card.Card {
	loc, f := it.Locale, it.Form
	var fields []card.Element
	fields = append(fields, card.Input{
		Name:         todoTitle,
		Required:     true,
		Label:        card.Plain(msgTodoTitleLabel.In(loc)),
		Placeholder:  card.Plain(msgTodoTitlePlaceholder.In(loc)),
		DefaultValue: truncate(f[todoTitle], todoTitleMax),
		MaxLength:    todoTitleMax,
	})
	fields = append(fields, errorLine(errs, todoTitle, loc)...)

	if a := f[todoAssignee]; isOpenID(a) {
		fields = append(fields, card.Markdown{Content: msgTodoAssigneeCurrent.In(loc, mention(a))})
	}
	fields = append(fields, card.SelectPerson{
		Name:        todoAssignee,
		Placeholder: card.Plain(msgTodoAssigneePlaceholder.In(loc)),
	})
	fields = append(fields, errorLine(errs, todoAssignee, loc)...)

	due := card.DatePicker{Name: todoDue, Placeholder: card.Plain(msgTodoDuePlaceholder.In(loc))}
	if day, _, ok := parseDate(f[todoDue]); ok {
		due.InitialDate = card.Date(day)
	}
	fields = append(fields, due)
	fields = append(fields, errorLine(errs, todoDue, loc)...)

	fields = append(fields, card.Input{
		Name:         todoNotes,
		Label:        card.Plain(msgTodoNotesLabel.In(loc)),
		Placeholder:  card.Plain(msgTodoNotesPlaceholder.In(loc)),
		DefaultValue: truncate(f[todoNotes], todoNotesMax),
		MaxLength:    todoNotesMax,
		InputType:    card.InputMultiline,
		Rows:         3,
	})
	fields = append(fields, errorLine(errs, todoNotes, loc)...)

	fields = append(fields, card.Button{
		Name:           "submit_btn",
		Type:           card.ButtonPrimary,
		Text:           card.Plain(msgTodoSubmit.In(loc)),
		FormActionType: card.FormSubmit,
		Behaviors:      card.Callback(callbackValue(it, ActionSubmit)),
	})
	return card.New(
		card.Header{Title: card.Plain(msgTodoFormTitle.In(loc)), Template: card.Blue},
		card.Form{Name: todoFormName, Elements: fields},
		cancelButton(it, "cancel_btn", msgCancel),
	)
}

// Submit checks a submitted todo: a title (trimmed) of at most 200
// characters, an assignee that is an open_id, a due date from today (in the
// user's zone) to MaxAhead ahead, notes of at most 1000 characters. A value
// no component sends (formValue) is refused under its field.
func (todoFlow) Submit(it *Interaction, s Submission) (map[string]string, FieldErrors) {
	var errs FieldErrors
	values := map[string]string{}
	set := func(k, v string) {
		if v != "" {
			values[k] = v
		}
	}

	title, _ := formValue(s.Values, todoTitle) // unreadable is empty: "Title is required"
	title = strings.TrimSpace(title)
	switch {
	case title == "":
		errs.Add(todoTitle, msgTodoTitleRequired)
	case utf8.RuneCountInString(title) > todoTitleMax:
		errs.Add(todoTitle, msgTodoTitleTooLong, todoTitleMax)
	}
	set(todoTitle, title)

	assignee, ok := formValue(s.Values, todoAssignee)
	assignee = strings.TrimSpace(assignee)
	if ok && assignee == "" {
		assignee = it.Form[todoAssignee] // picker left empty: keep the prefill (see Form)
	}
	if !ok || assignee != "" && !isOpenID(assignee) {
		errs.Add(todoAssignee, msgTodoAssigneeInvalid)
	} else {
		set(todoAssignee, assignee)
	}

	raw, ok := formValue(s.Values, todoDue)
	if raw = strings.TrimSpace(raw); !ok || raw != "" {
		day, offset, parsed := parseDate(raw)
		today := civilDay(s.Now.In(userZone(s, offset)))
		switch {
		case !ok || !parsed:
			errs.Add(todoDue, msgTodoDueInvalid)
		case day.Before(today):
			errs.Add(todoDue, msgTodoDuePast)
			set(todoDue, card.Date(day))
		case day.After(today.Add(MaxAhead)):
			// The record, and the due-set entry of its nudge, must not
			// outlive state.RecordTTL (see MaxAhead).
			errs.Add(todoDue, msgTodoDueTooFar)
			set(todoDue, card.Date(day))
		default:
			set(todoDue, card.Date(day))
		}
	}

	notes, ok := formValue(s.Values, todoNotes)
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

// userZone is where "today" is judged: the callback's zone, else the UTC
// offset the date value carried, else the interaction's zone.
func userZone(s Submission, offset *time.Location) *time.Location {
	switch {
	case s.Zone != nil:
		return s.Zone
	case offset != nil:
		return offset
	case s.DefaultZone != nil:
		return s.DefaultZone
	}
	return time.UTC
}

// Final renders the todo card the group sees: the card of the record
// BeforePost created, with its Mark done button.
func (f todoFlow) Final(it *Interaction) *card.Card {
	return todoCard(todoFromInteraction(it), f.zone(it.Timezone))
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
			if rest := strings.TrimFunc(args[:len(args)-n], isArgTrim); rest != "" {
				return rest, w.days, true
			}
		}
		if strings.EqualFold(args[:n], w.word) && (!ascii || args[n] == ' ') {
			if rest := strings.TrimFunc(args[n:], isArgTrim); rest != "" {
				return rest, w.days, true
			}
		}
	}
	return args, 0, false
}
