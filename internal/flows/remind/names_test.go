package remind

import (
	"context"
	"testing"

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

// newEnv runs /remind alone on the fakes.
func newEnv(t *testing.T) *env { return flowtest.New(t, Flow{}) }

// reminderOf returns the reminder an interaction created.
func reminderOf(t *testing.T, v *env, it *flows.Interaction) *Reminder {
	t.Helper()
	r, err := Records(v.E).Get(context.Background(), ID(it.ID))
	if err != nil {
		t.Fatalf("reminder of %s: %v", it.ID, err)
	}
	return r
}
