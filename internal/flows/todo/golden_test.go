package todo

import (
	"encoding/json"
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/botd/botd/internal/card"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/flowtest"
)

// TestCardGoldens renders each card of /todo, as the platform receives it,
// and compares it with testdata/<name>.golden. Run
// `go test ./internal/flows/todo -run Goldens -update` after a deliberate
// change.
func TestCardGoldens(t *testing.T) {
	tests := []struct {
		name   string
		render func(t *testing.T, v *env) any
	}{
		{"form_prefill", func(t *testing.T, v *env) any {
			return sentForm(t, v, "@_user_1 /todo Buy milk tomorrow @_user_2")
		}},
		{"form_prefill_zh", func(t *testing.T, v *env) any {
			return sentForm(t, v, "／todo，明天买牛奶")
		}},
		{"form_errors", func(t *testing.T, v *env) any {
			it := v.Start(t, "/todo Buy milk @_user_2")
			return v.Click(t, it, userID, flows.ActionSubmit, map[string]any{
				"title": "  ", "due_date": "2024-11-13 +0800", "notes": "Semi-skimmed, 2 l",
			}).Card
		}},
		{"final", func(t *testing.T, v *env) any {
			it := v.Start(t, "/todo Buy milk @_user_2")
			form := validForm()
			form["notes"] = "Semi-skimmed, 2 l.\n<at id=all></at> must stay text"
			v.Click(t, it, userID, flows.ActionSubmit, form)
			v.Run(t, flows.JobFinish, it.ID)
			return v.Sender.Only(t, "post")[0].Card
		}},
		{"todo_done", func(t *testing.T, v *env) any {
			v.Submit(t, "/todo Buy milk @_user_2", validForm())
			return v.CardClick(t, bobID, v.Sender.Only(t, "post")[0].Card, "todo_done_btn").Card
		}},
		{"todo_list", func(t *testing.T, v *env) any {
			v.Submit(t, "/todo Buy milk @_user_2", validForm())
			f := validForm()
			f["title"], f["assignee"], f["due_date"] = "Water plants", "", ""
			v.Submit(t, "/todo Water plants", f)
			return sentForm(t, v, "/todo list")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newEnv(t)
			c := tt.render(t, v)
			cc, ok := c.(*card.Card)
			if !ok {
				t.Fatalf("card is %T, want *card.Card", c)
			}
			// The platform's rules for JSON 2.0 and forms (§8.5): form at the
			// body root, unique names, a submit button inside, no action module.
			if err := card.Validate(cc); err != nil {
				t.Errorf("invalid card: %v", err)
			}
			got := flowtest.MarshalIndent(t, c)
			if strings.Contains(string(got), `"tag": "action"`) {
				t.Error(`card has an "action" module, which JSON 2.0 rejects`)
			}
			flowtest.CompareGolden(t, filepath.Join("testdata", tt.name+".golden"), got)
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

func TestCardsRespectTheSize(t *testing.T) {
	// The worst case: every field at its maximum, every error shown.
	v := newEnv(t)
	it := v.Start(t, "/todo x @_user_2")
	ans := v.Click(t, it, userID, flows.ActionSubmit, map[string]any{
		"title": strings.Repeat("长", 201), "due_date": "2020-01-01 +0800", "assignee": "x",
		"notes": strings.Repeat("长", 1001),
	})
	b, err := json.Marshal(ans.Card)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 30*1024 {
		t.Errorf("form card is %d bytes; the platform takes 30 KB", len(b))
	}
}

func TestGoldensAreCurrentJSON(t *testing.T) { flowtest.CheckGoldens(t) }

func TestMessages(t *testing.T) { flowtest.CheckMessages(t, "messages.go", 20) }

// Buttons already posted in groups carry the values botd has always
// posted: the encoder keeps those shapes exactly, so every old card keeps
// working.
func TestCallbackValuesKeepTheirShape(t *testing.T) {
	it := &flows.Interaction{ID: "itx_1", Flow: "todo"}
	tests := []struct {
		name string
		got  map[string]any
		want map[string]any
	}{
		{"form submit", flows.FormButtonValue(it, flows.ActionSubmit), map[string]any{"flow": "todo", "action": "submit", "iid": "itx_1"}},
		{"form cancel", flows.FormButtonValue(it, flows.ActionCancel), map[string]any{"flow": "todo", "action": "cancel", "iid": "itx_1"}},
		{"mark done", todoDoneButton.Value("td_1", nil), map[string]any{"flow": "todo", "action": "todo_done", "todo": "td_1"}},
		{"reopen", todoReopenButton.Value("td_1", nil), map[string]any{"flow": "todo", "action": "todo_reopen", "todo": "td_1"}},
		{"list page", todoPageButton.Value("itx_2", map[string]string{"page": "3"}),
			map[string]any{"flow": "todo", "action": "todo_page", "list": "itx_2", "page": "3"}},
	}
	for _, tt := range tests {
		if !maps.Equal(tt.got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("an undeclared argument did not panic")
		}
	}()
	todoDoneButton.Value("td_1", map[string]string{"page": "1"})
}
