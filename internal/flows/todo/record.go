package todo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/botd/botd/internal/card"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/platformid"
)

// Status is where a todo stands; Reopen takes it back to open.
type Status string

const (
	Open Status = "open"
	Done Status = "done"
)

// Todo is a /todo once its card is in the group.
type Todo struct {
	ID            string    `json:"id"` // "td_" + the interaction's random part
	TenantKey     string    `json:"tenant_key"`
	ChatID        string    `json:"chat_id"`
	Title         string    `json:"title"`
	Assignee      string    `json:"assignee,omitempty"`
	Due           string    `json:"due,omitempty"` // calendar date, DateLayout
	Notes         string    `json:"notes,omitempty"`
	CreatorID     string    `json:"creator_id"`
	Locale        string    `json:"locale"`
	Timezone      string    `json:"timezone"`
	Status        Status    `json:"status"`
	ClosedBy      string    `json:"closed_by,omitempty"`
	ClosedAt      time.Time `json:"closed_at,omitzero"`
	MessageID     string    `json:"message_id,omitempty"`
	InteractionID string    `json:"interaction_id"`
	Nudged        bool      `json:"nudged,omitempty"` // the due-date reminder was posted

	flows.RecordMeta
}

// kind is the store's name for todos: botd:todo:{id}, where todos have
// always been kept, so todos saved by an older botd load.
const kind = "todo"

// RecordID implements flows.Record.
func (t *Todo) RecordID() string { return t.ID }

// Indexes implements flows.Record: an open todo is in its chat's list of
// open todos, newest first, and in its creator's and assignee's member
// indexes (flows.MemberIndex, the web app's "my items") whatever its status.
func (t *Todo) Indexes() []flows.Index {
	score := float64(t.CreatedAt.UnixMilli())
	ix := []flows.Index{{Name: openTodosIndex(t.ChatID), Score: score, In: t.Status == Open}}
	return append(ix, flows.MemberIndexes(t.TenantKey, score, t.CreatorID, t.Assignee)...)
}

// Kind is the store's kind of todos (flows.StoredRecord.Kind).
const Kind = kind

// openTodosIndex is the index of a chat's open todos.
func openTodosIndex(chatID string) string { return "open:" + chatID }

// Records is the view of the todos h keeps.
func Records(h flows.Host) flows.Records[Todo, *Todo] { return flows.RecordsOf[Todo](h, kind) }

func todos(h flows.Host) flows.Records[Todo, *Todo] { return Records(h) }

// The todo lifecycle: the finish job creates a Todo record before it posts
// the card (so the card's buttons can name it), the buttons close and
// reopen it, and every change is written to the card for everyone.

// Jobs and callback actions of the todo records.
const (
	JobCard flows.JobKind = "todo_card" // PATCH a todo's group card to its latest state
	JobDue  flows.JobKind = "todo_due"  // the due-date reminder; id is a due-set member

	actionTodoDone   = "todo_done"
	actionTodoReopen = "todo_reopen"
	actionTodoPage   = "todo_page"

	todoDuePrefix = "tododue:"
)

// ID is the id of the todo an interaction creates: derived, so that a
// retried finish job finds the todo its first run created.
func ID(interactionID string) string {
	return "td_" + strings.TrimPrefix(interactionID, "itx_")
}

// todoFromInteraction is the todo a submitted interaction describes, as it
// is first created.
func todoFromInteraction(it *flows.Interaction) *Todo {
	f := it.Form
	return &Todo{
		ID: ID(it.ID), TenantKey: it.TenantKey, ChatID: it.ChatID,
		Title: f[todoTitle], Assignee: f[todoAssignee], Due: f[todoDue], Notes: f[todoNotes],
		CreatorID: it.UserID, Locale: it.Locale, Timezone: it.Timezone,
		Status: Open, InteractionID: it.ID,
	}
}

// BeforePost creates the todo record, once, and schedules its due-date
// reminder.
func (Flow) BeforePost(ctx context.Context, h flows.Host, it *flows.Interaction) error {
	t := todoFromInteraction(it)
	err := todos(h).Create(ctx, t)
	if errors.Is(err, flows.ErrExists) {
		if t, err = todos(h).Get(ctx, t.ID); err != nil {
			return fmt.Errorf("load todo: %w", err)
		}
	} else if err != nil {
		return fmt.Errorf("create todo: %w", err)
	}
	if at, ok := dueNudgeAt(t, h.Zone(t.Timezone)); ok && at.After(h.Now()) {
		if err := h.Schedule(ctx, todoDueMember(t.ID, at), at); err != nil {
			return fmt.Errorf("schedule due reminder of %s: %w", t.ID, err)
		}
	}
	return nil
}

// AfterPost records the card's message id on the todo. A click that came
// before (the card was visible for a moment without its id recorded)
// changed the record but could not PATCH the card: sync it now.
func (Flow) AfterPost(ctx context.Context, h flows.Host, it *flows.Interaction, messageID string) error {
	t, err := todos(h).Get(ctx, ID(it.ID))
	if err != nil {
		return fmt.Errorf("load todo: %w", err)
	}
	created := t.Version == 1
	t, changed, err := todos(h).Update(ctx, t, func(t *Todo) bool {
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
		return h.Enqueue(ctx, JobCard, flows.CardJobID(t.ID, t.Version))
	}
	return nil
}

// dueNudgeAt is when the assignee is reminded of a todo: 09:00 on its due
// date, in its zone.
func dueNudgeAt(t *Todo, loc *time.Location) (time.Time, bool) {
	day, _, ok := flows.ParseDate(t.Due)
	if t.Due == "" || !ok {
		return time.Time{}, false
	}
	return flows.WallTime(day.Year(), day.Month(), day.Day(), 9, 0, loc), true
}

func todoDueMember(id string, at time.Time) string {
	return fmt.Sprintf("%s%s:%d", todoDuePrefix, id, at.UnixMilli())
}

// todoCard renders a todo for the group. The title and notes are the
// user's words, so they go in plain text, never markdown: a title of
// "<at id=all></at>" must not notify the whole chat.
// It carries every locale (everyLocale).
func todoCard(t *Todo, loc *time.Location) *card.Card {
	return flows.EveryLocale(t.Locale, func(lang string) *card.Card { return todoCardIn(t, loc, lang) })
}

func todoCardIn(t *Todo, loc *time.Location, lang string) *card.Card {
	var lines []string
	if platformid.IsOpenID(t.Assignee) {
		lines = append(lines, msgTodoAssignee.In(lang, flows.AtMention(t.Assignee)))
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
	elements = append(elements, card.Markdown{Content: msgTodoCreatedBy.In(lang, flows.AtMention(t.CreatorID)), TextSize: "notation"})
	header := card.Header{Title: card.Plain(t.Title), Template: card.Blue}
	button := card.Button{
		Name: "todo_done_btn", Type: card.ButtonPrimary, Text: card.Plain(msgTodoMarkDone.In(lang)),
		Behaviors: card.Callback(todoDoneButton.Value(t.ID, nil)),
	}
	if t.Status == Done {
		header.Template = card.Green
		elements = append(elements, card.Markdown{Content: msgTodoDoneBy.In(lang, flows.AtMention(t.ClosedBy), flows.FormatStamp(t.ClosedAt, loc))})
		button = card.Button{
			Name: "todo_reopen_btn", Type: card.ButtonDefault, Text: card.Plain(msgTodoReopen.In(lang)),
			Behaviors: card.Callback(todoReopenButton.Value(t.ID, nil)),
		}
	}
	elements = append(elements, button)
	return card.New(header, elements...)
}

// logTodo is the host's logger with the ids of t.
func logTodo(h flows.Host, t *Todo) *zap.Logger {
	return h.Logger().With(zap.String("todo_id", t.ID), zap.String("chat_id", t.ChatID))
}
