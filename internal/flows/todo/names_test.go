package todo

import (
	"context"
	"testing"
	"time"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/flowtest"
)

// The names these tests have used since they lived in package flows.

const (
	botID   = flowtest.BotID
	userID  = flowtest.UserID
	bobID   = flowtest.BobID
	chatID  = flowtest.ChatID
	otherID = flowtest.OtherID
)

var testNow = flowtest.Now

type env = flowtest.Env

// newEnv runs /todo alone on the fakes.
func newEnv(t *testing.T) *env { return flowtest.New(t, Flow{}) }

func validForm() map[string]any {
	return map[string]any{"title": "Buy milk", "due_date": "2024-11-15 +0800", "assignee": bobID, "notes": ""}
}

// todoOf returns the todo an interaction created.
func todoOf(t *testing.T, v *env, it *flows.Interaction) *Todo {
	t.Helper()
	td, err := Records(v.E).Get(context.Background(), ID(it.ID))
	if err != nil {
		t.Fatalf("todo of %s: %v", it.ID, err)
	}
	return td
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("zone %s: %v", name, err)
	}
	return loc
}
