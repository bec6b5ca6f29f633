package remind

import (
	"maps"
	"path/filepath"
	"testing"
	"time"

	"github.com/botd/botd/internal/card"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/flowtest"
)

// TestRecordCardGoldens renders the cards of /remind, as the platform
// receives them, against testdata/<name>.golden (go test
// ./internal/flows/remind -run Goldens -update after a deliberate change).
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
			v.Submit(t, "/remind standup", daily())
			return v.Sender.Only(t, "post")[0].Card
		}},
		{"remind_cancelled", func(t *testing.T, v *env) any {
			v.Submit(t, "/remind standup", daily())
			return v.CardClick(t, userID, v.Sender.Only(t, "post")[0].Card, "remind_cancel_btn").Card
		}},
		{"remind_fired_late", func(t *testing.T, v *env) any {
			v.Submit(t, "/remind standup", daily())
			v.Clock.Advance(3 * time.Hour)
			v.RunDue(t)
			return v.Sender.Only(t, "post")[1].Card
		}},
		{"remind_fired_done", func(t *testing.T, v *env) any {
			v.Submit(t, "/remind standup", remindForm("2024-11-14", "16:30"))
			v.Clock.Advance(30 * time.Minute)
			v.RunDue(t)
			return v.CardClick(t, userID, v.Sender.Only(t, "post")[1].Card, "remind_done_btn").Card
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
			flowtest.CompareGolden(t, filepath.Join("testdata", tt.name+".golden"), flowtest.MarshalIndent(t, cc))
		})
	}
}

// sentForm handles text, runs send_form and returns the card sent.
func sentForm(t *testing.T, v *env, text string) any {
	t.Helper()
	it := v.Start(t, text)
	v.Run(t, flows.JobSendForm, it.ID)
	sent := v.Sender.Only(t, "send")
	if len(sent) != 1 {
		t.Fatalf("sent %d forms", len(sent))
	}
	return sent[0].Card
}

func TestGoldensAreCurrentJSON(t *testing.T) { flowtest.CheckGoldens(t) }

func TestMessages(t *testing.T) { flowtest.CheckMessages(t, "messages.go", 20) }

// Buttons already posted in groups carry the values botd has always
// posted: the encoder keeps those shapes exactly, so every old card keeps
// working.
func TestCallbackValuesKeepTheirShape(t *testing.T) {
	tests := []struct {
		name string
		got  map[string]any
		want map[string]any
	}{
		{"cancel reminder", remindCancelButton.Value("rm_1", nil), map[string]any{"flow": "remind", "action": "remind_cancel", "reminder": "rm_1"}},
		{"done", remindDoneButton.Value("rm_1", map[string]string{"occurrence": "1731654000000"}),
			map[string]any{"flow": "remind", "action": "remind_done", "reminder": "rm_1", "occurrence": "1731654000000"}},
		{"snooze", remindSnoozeButton.Value("rm_1", map[string]string{"occurrence": "s1", "minutes": "10"}),
			map[string]any{"flow": "remind", "action": "remind_snooze", "reminder": "rm_1", "occurrence": "s1", "minutes": "10"}},
		{"empty argument left out", remindSnoozeButton.Value("rm_1", map[string]string{"occurrence": "s1", "minutes": ""}),
			map[string]any{"flow": "remind", "action": "remind_snooze", "reminder": "rm_1", "occurrence": "s1"}},
	}
	for _, tt := range tests {
		if !maps.Equal(tt.got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}
