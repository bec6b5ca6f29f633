package flows

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/botd/botd/internal/card"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestCardGoldens renders each card the flows send through the engine, as the
// platform would receive it, and compares it with testdata/<name>.golden.
// Run `go test ./internal/flows -run Goldens -update` after a deliberate change.
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
			it := v.start(t, "/todo Buy milk @_user_2")
			return v.click(t, it, userID, ActionSubmit, map[string]any{
				"title": "  ", "due_date": "2024-11-13 +0800", "notes": "Semi-skimmed, 2 l",
			}).Card
		}},
		{"final", func(t *testing.T, v *env) any {
			it := v.start(t, "/todo Buy milk @_user_2")
			form := validForm()
			form["notes"] = "Semi-skimmed, 2 l.\n<at id=all></at> must stay text"
			v.click(t, it, userID, ActionSubmit, form)
			v.run(t, JobFinish, it.ID)
			return v.sender.only(t, "post")[0].Card
		}},
		{"help", func(t *testing.T, v *env) any { return sentForm(t, v, "@_user_1 /help") }},
		{"unknown_command", func(t *testing.T, v *env) any { return sentForm(t, v, "/foo bar") }},
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
			got := marshalIndent(t, c)
			if strings.Contains(string(got), `"tag": "action"`) {
				t.Error(`card has an "action" module, which JSON 2.0 rejects`)
			}
			compareGolden(t, filepath.Join("testdata", tt.name+".golden"), got)
		})
	}
}

// sentForm handles text, runs send_form and returns the card sent.
func sentForm(t *testing.T, v *env, text string) any {
	t.Helper()
	it := v.start(t, text)
	v.run(t, JobSendForm, it.ID)
	sent := v.sender.only(t, "send")
	if len(sent) != 1 {
		t.Fatalf("sent %d forms", len(sent))
	}
	return sent[0].Card
}

// marshalIndent writes c as readable JSON: indented, and with <, > and &
// left as they are (the platform reads both spellings).
func marshalIndent(t *testing.T, c any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(c); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestCardsRespectTheSize(t *testing.T) {
	// The worst case: every field at its maximum, every error shown.
	v := newEnv(t)
	it := v.start(t, "/todo x @_user_2")
	ans := v.click(t, it, userID, ActionSubmit, map[string]any{
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

func TestGoldensAreCurrentJSON(t *testing.T) {
	// Every golden parses as JSON 2.0, so a hand edit cannot break them silently.
	files, err := filepath.Glob("testdata/*.golden")
	if err != nil || len(files) == 0 {
		t.Fatalf("no goldens: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c struct {
			Schema string `json:"schema"`
		}
		if err := json.Unmarshal(b, &c); err != nil || c.Schema != "2.0" {
			t.Errorf("%s: schema %q, %v", f, c.Schema, err)
		}
	}
}
