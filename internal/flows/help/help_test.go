package help_test

import (
	"path/filepath"
	"testing"

	"github.com/botd/botd/internal/card"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/flowtest"
	"github.com/botd/botd/internal/flows/help"
	"github.com/botd/botd/internal/flows/remind"
	"github.com/botd/botd/internal/flows/todo"
)

// TestCardGoldens renders /help (every command botd runs: the registry)
// and the hint for an unknown command, as the platform receives them, and
// compares them with testdata/<name>.golden (-update to accept a
// deliberate change).
func TestCardGoldens(t *testing.T) {
	for name, text := range map[string]string{"help": "@_user_1 /help", "unknown_command": "/foo bar"} {
		t.Run(name, func(t *testing.T) {
			// The commands of the registry when this golden was made: a
			// flow added to the registry changes /help, not this golden.
			var list []flows.Flow
			list = []flows.Flow{todo.Flow{}, remind.Flow{}, help.New(func() []flows.Flow { return list })}
			v := flowtest.New(t, list...)
			it := v.Start(t, text)
			v.Run(t, flows.JobSendForm, it.ID)
			sent := v.Sender.Only(t, "send")
			if len(sent) != 1 {
				t.Fatalf("sent %d forms", len(sent))
			}
			cc, ok := sent[0].Card.(*card.Card)
			if !ok {
				t.Fatalf("card is %T, want *card.Card", sent[0].Card)
			}
			if err := card.Validate(cc); err != nil {
				t.Errorf("invalid card: %v", err)
			}
			flowtest.CompareGolden(t, filepath.Join("testdata", name+".golden"), flowtest.MarshalIndent(t, cc))
		})
	}
}

func TestMessages(t *testing.T) { flowtest.CheckMessages(t, "messages.go", 4) }
