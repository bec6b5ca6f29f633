package builtin

import (
	"context"
	"testing"
	"time"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/flowtest"
	"github.com/botd/botd/internal/flows/remind"
	"github.com/botd/botd/internal/flows/todo"
)

// The names these tests have used since they lived in package flows, when
// every flow did: they run botd's whole registry on the fakes.

const (
	botID   = flowtest.BotID
	userID  = flowtest.UserID
	bobID   = flowtest.BobID
	chatID  = flowtest.ChatID
	otherID = flowtest.OtherID
)

// The forms' field names.
const (
	todoTitle    = "title"
	todoAssignee = "assignee"
	todoDue      = "due_date"
	todoNotes    = "notes"
	remindWhat   = "what"
	remindDate   = "date"
	remindTime   = "time"
	remindRepeat = "repeat"
	remindNotify = "notify"
	remindPeople = "people"
)

var testNow = flowtest.Now

type env = flowtest.Env

// newEnv runs the registry, Flows.
func newEnv(t *testing.T) *env { return flowtest.New(t, Flows()...) }

func validForm() map[string]any {
	return map[string]any{"title": "Buy milk", "due_date": "2024-11-15 +0800", "assignee": bobID, "notes": ""}
}

func remindForm(date, clock string) map[string]any {
	return map[string]any{"what": "standup", "date": date + " +0800", "time": clock + " +0800", "repeat": "once", "notify": "sender"}
}

// todoOf returns the todo an interaction created.
func todoOf(t *testing.T, v *env, it *flows.Interaction) *todo.Todo {
	t.Helper()
	td, err := todo.Records(v.E).Get(context.Background(), todo.ID(it.ID))
	if err != nil {
		t.Fatalf("todo of %s: %v", it.ID, err)
	}
	return td
}

// reminderOf returns the reminder an interaction created.
func reminderOf(t *testing.T, v *env, it *flows.Interaction) *remind.Reminder {
	t.Helper()
	r, err := remind.Records(v.E).Get(context.Background(), remind.ID(it.ID))
	if err != nil {
		t.Fatalf("reminder of %s: %v", it.ID, err)
	}
	return r
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("zone %s: %v", name, err)
	}
	return loc
}

// flowNamed is the registered flow called name.
func flowNamed(t *testing.T, name string) flows.Flow {
	t.Helper()
	for _, f := range Flows() {
		if f.Name() == name {
			return f
		}
	}
	t.Fatalf("no flow %q", name)
	return nil
}

// Todo states, under names no local variable called todo can shadow.
const (
	todoOpen = todo.Open
	todoDone = todo.Done
)

// The outbox's names for the effects of an interaction (flows/outbox.go).
const (
	effectSendForm  = "send_form"
	effectPostFinal = "post_final"
)

func effectDelete(messageID string) string { return "delete:" + messageID }
