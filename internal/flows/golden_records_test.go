package flows

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/botd/botd/internal/card"
)

// TestRecordCardGoldens renders the cards of /remind and of the todo
// lifecycle, as the platform receives them, against testdata/<name>.golden
// (go test ./internal/flows -run Goldens -update after a deliberate change).
func TestRecordCardGoldens(t *testing.T) {
	daily := func() map[string]any {
		f := remindForm("2024-11-14", "16:30")
		f["repeat"], f["notify"], f["people"] = "weekdays", "people", []any{bobID}
		return f
	}
	tests := []struct {
		name   string
		render func(t *testing.T, v *env) any
	}{
		{"remind_form_prefill", func(t *testing.T, v *env) any {
			return sentForm(t, v, "/remind fri 17:00 @_user_2 send report")
		}},
		{"remind_form_prefill_zh", func(t *testing.T, v *env) any { return sentForm(t, v, "/remind 每天 9点 站会") }},
		{"remind_set", func(t *testing.T, v *env) any {
			v.submit(t, "/remind standup", daily())
			return v.sender.only(t, "post")[0].Card
		}},
		{"remind_cancelled", func(t *testing.T, v *env) any {
			v.submit(t, "/remind standup", daily())
			return v.cardClick(t, userID, v.sender.only(t, "post")[0].Card, "remind_cancel_btn").Card
		}},
		{"remind_fired_late", func(t *testing.T, v *env) any {
			v.submit(t, "/remind standup", daily())
			v.clock.Advance(3 * time.Hour)
			v.runDue(t)
			return v.sender.only(t, "post")[1].Card
		}},
		{"remind_fired_done", func(t *testing.T, v *env) any {
			v.submit(t, "/remind standup", remindForm("2024-11-14", "16:30"))
			v.clock.Advance(30 * time.Minute)
			v.runDue(t)
			return v.cardClick(t, userID, v.sender.only(t, "post")[1].Card, "remind_done_btn").Card
		}},
		{"todo_done", func(t *testing.T, v *env) any {
			v.submit(t, "/todo Buy milk @_user_2", validForm())
			return v.cardClick(t, bobID, v.sender.only(t, "post")[0].Card, "todo_done_btn").Card
		}},
		{"todo_list", func(t *testing.T, v *env) any {
			v.submit(t, "/todo Buy milk @_user_2", validForm())
			f := validForm()
			f["title"], f["assignee"], f["due_date"] = "Water plants", "", ""
			v.submit(t, "/todo Water plants", f)
			return sentForm(t, v, "/todo list")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newEnv(t)
			cc, ok := tt.render(t, v).(*card.Card)
			if !ok {
				t.Fatal("not a *card.Card")
			}
			if err := card.Validate(cc); err != nil {
				t.Errorf("invalid card: %v", err)
			}
			compareGolden(t, filepath.Join("testdata", tt.name+".golden"), marshalIndent(t, cc))
		})
	}
}
