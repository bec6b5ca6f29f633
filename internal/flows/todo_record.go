package flows

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/botd/botd/internal/card"
)

// The todo lifecycle: the finish job creates a Todo record before it posts
// the card (so the card's buttons can name it), the buttons close and
// reopen it, and every change is written to the card for everyone.

// Jobs and callback actions of the todo records.
const (
	JobTodoCard JobKind = "todo_card" // PATCH a todo's group card to its latest state
	JobTodoDue  JobKind = "todo_due"  // the due-date reminder; id is a due-set member

	actionTodoDone   = "todo_done"
	actionTodoReopen = "todo_reopen"
	actionTodoPage   = "todo_page"

	todoDuePrefix = "tododue:"
)

// todoID is the id of the todo an interaction creates: derived, so that a
// retried finish job finds the todo its first run created.
func todoID(interactionID string) string {
	return "td_" + strings.TrimPrefix(interactionID, "itx_")
}

// todoFromInteraction is the todo a submitted interaction describes, as it
// is first created.
func todoFromInteraction(it *Interaction) *Todo {
	f := it.Form
	return &Todo{
		ID: todoID(it.ID), TenantKey: it.TenantKey, ChatID: it.ChatID,
		Title: f[todoTitle], Assignee: f[todoAssignee], Due: f[todoDue], Notes: f[todoNotes],
		CreatorID: it.UserID, Locale: it.Locale, Timezone: it.Timezone,
		Status: TodoOpen, InteractionID: it.ID,
	}
}

func (f todoFlow) zone(name string) *time.Location {
	if f.e == nil {
		return time.UTC
	}
	return f.e.zoneOrDefault(name)
}

// BeforePost creates the todo record, once, and schedules its due-date
// reminder.
func (f todoFlow) BeforePost(ctx context.Context, it *Interaction) error {
	t := todoFromInteraction(it)
	err := f.e.deps.Todos.CreateTodo(ctx, t)
	if errors.Is(err, ErrExists) {
		if t, err = f.e.deps.Todos.Todo(ctx, t.ID); err != nil {
			return fmt.Errorf("load todo: %w", err)
		}
	} else if err != nil {
		return fmt.Errorf("create todo: %w", err)
	}
	if at, ok := f.dueNudgeAt(t); ok && at.After(f.e.deps.Clock()) {
		if err := f.e.deps.Due.Schedule(ctx, todoDueMember(t.ID, at), at); err != nil {
			return fmt.Errorf("schedule due reminder of %s: %w", t.ID, err)
		}
	}
	return nil
}

// AfterPost records the card's message id on the todo. A click that came
// before (the card was visible for a moment without its id recorded)
// changed the record but could not PATCH the card: sync it now.
func (f todoFlow) AfterPost(ctx context.Context, it *Interaction, messageID string) error {
	t, err := f.e.deps.Todos.Todo(ctx, todoID(it.ID))
	if err != nil {
		return fmt.Errorf("load todo: %w", err)
	}
	created := t.Version == 1
	t, changed, err := f.e.updateTodo(ctx, t, func(t *Todo) bool {
		if t.MessageID != "" {
			return false
		}
		t.MessageID = messageID
		return true
	})
	if err != nil {
		return fmt.Errorf("record the card of todo: %w", err)
	}
	if changed && !created {
		return f.e.deps.Jobs.Enqueue(ctx, JobTodoCard, cardJobID(t.ID, t.Version))
	}
	return nil
}

// dueNudgeAt is when the assignee is reminded of a todo: 09:00 on its due
// date, in its zone.
func (f todoFlow) dueNudgeAt(t *Todo) (time.Time, bool) {
	day, _, ok := parseDate(t.Due)
	if t.Due == "" || !ok {
		return time.Time{}, false
	}
	return wallTime(day.Year(), day.Month(), day.Day(), 9, 0, f.zone(t.Timezone)), true
}

func todoDueMember(id string, at time.Time) string {
	return fmt.Sprintf("%s%s:%d", todoDuePrefix, id, at.UnixMilli())
}

// todoCard renders a todo for the group. The title and notes are the
// user's words, so they go in plain text, never markdown: a title of
// "<at id=all></at>" must not notify the whole chat.
// It carries every locale (everyLocale).
func todoCard(t *Todo, loc *time.Location) *card.Card {
	return everyLocale(t.Locale, func(lang string) *card.Card { return todoCardIn(t, loc, lang) })
}

func todoCardIn(t *Todo, loc *time.Location, lang string) *card.Card {
	var lines []string
	if isOpenID(t.Assignee) {
		lines = append(lines, msgTodoAssignee.In(lang, mention(t.Assignee)))
	}
	if t.Due != "" {
		lines = append(lines, msgTodoDue.In(lang, t.Due))
	}
	var elements []card.Element
	if len(lines) > 0 {
		elements = append(elements, card.Markdown{Content: strings.Join(lines, "\n")})
	}
	if t.Notes != "" {
		elements = append(elements, card.PlainText(t.Notes))
	}
	elements = append(elements, card.Markdown{Content: msgTodoCreatedBy.In(lang, mention(t.CreatorID)), TextSize: "notation"})
	header := card.Header{Title: card.Plain(t.Title), Template: card.Blue}
	button := card.Button{
		Name: "todo_done_btn", Type: card.ButtonPrimary, Text: card.Plain(msgTodoMarkDone.In(lang)),
		Behaviors: card.Callback(map[string]any{"flow": "todo", "action": actionTodoDone, "todo": t.ID}),
	}
	if t.Status == TodoDone {
		header.Template = card.Green
		elements = append(elements, card.Markdown{Content: msgTodoDoneBy.In(lang, mention(t.ClosedBy), fmtStamp(t.ClosedAt, loc))})
		button = card.Button{
			Name: "todo_reopen_btn", Type: card.ButtonDefault, Text: card.Plain(msgTodoReopen.In(lang)),
			Behaviors: card.Callback(map[string]any{"flow": "todo", "action": actionTodoReopen, "todo": t.ID}),
		}
	}
	elements = append(elements, button)
	return card.New(header, elements...)
}

// logTodo is the engine's logger with the ids of t.
func (e *Engine) logTodo(t *Todo) *zap.Logger {
	return e.log.With(zap.String("todo_id", t.ID), zap.String("chat_id", t.ChatID))
}
