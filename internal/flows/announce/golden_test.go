package announce

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/botd/botd/internal/card"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/flowtest"
)

// TestCardGoldens renders each card of /announce, as the platform receives
// it, and compares it with testdata/<name>.golden. Run
// `go test ./internal/flows/announce -run Goldens -update` after a
// deliberate change.
func TestCardGoldens(t *testing.T) {
	submitted := func(t *testing.T, v *flowtest.Env) any {
		v.Submit(t, "/announce", validForm(deadlineIn(2*time.Hour)))
		return v.Sender.Only(t, "post")[0].Card
	}
	lastUpdate := func(t *testing.T, v *flowtest.Env) any {
		ups := v.Sender.Only(t, "update")
		return ups[len(ups)-1].Card
	}
	tests := []struct {
		name   string
		render func(t *testing.T, v *flowtest.Env) any
	}{
		{"form", func(t *testing.T, v *flowtest.Env) any {
			v.Start(t, "@_user_1 /announce Office closed Friday")
			v.Drain(t)
			return v.Sender.Only(t, "send")[0].Card
		}},
		{"form_errors", func(t *testing.T, v *flowtest.Env) any {
			it := v.Start(t, "/announce")
			f := validForm(deadlineIn(-time.Hour))
			f["title"] = ""
			return v.Click(t, it, creator, flows.ActionSubmit, f).Card
		}},
		{"preview", func(t *testing.T, v *flowtest.Env) any {
			it := v.Start(t, "/announce")
			return v.Click(t, it, creator, actionPreview, validForm(deadlineIn(2*time.Hour))).Card
		}},
		{"final", submitted},
		{"acknowledged", func(t *testing.T, v *flowtest.Env) any {
			v.CardClick(t, bob, submitted(t, v), "ack_btn")
			v.Drain(t)
			return lastUpdate(t, v)
		}},
		{"closed", func(t *testing.T, v *flowtest.Env) any {
			v.CardClick(t, bob, submitted(t, v), "ack_btn")
			v.Clock.Advance(3 * time.Hour)
			v.RunDue(t)
			return lastUpdate(t, v)
		}},
		{"nudge", func(t *testing.T, v *flowtest.Env) any {
			v.CardClick(t, bob, submitted(t, v), "ack_btn")
			v.Clock.Advance(3 * time.Hour)
			v.RunDue(t)
			return v.Sender.Only(t, "post")[1].Card
		}},
		{"cancelled", func(t *testing.T, v *flowtest.Env) any {
			return v.CardClick(t, creator, submitted(t, v), "announce_cancel_btn").Card
		}},
		{"no_ack", func(t *testing.T, v *flowtest.Env) any {
			f := validForm("")
			f["ack"] = "no"
			v.Submit(t, "/announce", f)
			return v.Sender.Only(t, "post")[0].Card
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, _ := newEnv(t)
			c := tt.render(t, v)
			cc, ok := c.(*card.Card)
			if !ok {
				t.Fatalf("card is %T", c)
			}
			if err := card.Validate(cc); err != nil {
				t.Errorf("invalid card: %v", err)
			}
			flowtest.CompareGolden(t, filepath.Join("testdata", tt.name+".golden"), flowtest.MarshalIndent(t, cc))
		})
	}
}
