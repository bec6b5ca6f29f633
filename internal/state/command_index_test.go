package state_test

import (
	"context"
	"testing"
	"time"

	"github.com/botd/botd/internal/state"
	"github.com/botd/botd/internal/state/statetest"
)

// The first interaction a command's message started is remembered; a
// second one (a redelivery after a crash) does not replace it, and an
// interaction with no message records nothing.
func TestFirstInteractionOfCommand(t *testing.T) {
	ctx := context.Background()
	s := state.New(statetest.Client(t), time.Hour, nil)
	for _, id := range []string{"itx_first", "itx_second"} {
		it := newInteraction(id)
		it.SourceMessageID = "om_cmd"
		if err := s.CreateInteraction(ctx, it); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateInteraction(ctx, newInteraction("itx_nomsg")); err != nil {
		t.Fatal(err)
	}
	for msg, want := range map[string]string{"om_cmd": "itx_first", "om_other": ""} {
		got, err := s.FirstInteraction(ctx, msg)
		if err != nil || got != want {
			t.Errorf("FirstInteraction(%s) = %q, %v; want %q", msg, got, err, want)
		}
	}
}
