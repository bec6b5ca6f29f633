package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/botd/botd/internal/flows"
)

func TestLoadConfigFlows(t *testing.T) {
	path := writeFile(t, `
app_id: cli_a
app_secret: s
verification_token: tok
flows:
  todo: {allow: anyone}
  remind:
    allow: admins
    template: {template_id: AAqk1, template_version_name: "1.0.2"}
  help: {allow: [ou_a, ou_b]}
`)
	cfg, err := LoadConfig(path, envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.App()
	if _, ok := a.Rules["todo"]; ok {
		t.Errorf("anyone should need no rule: %+v", a.Rules)
	}
	if !a.Rules["remind"].AdminsOnly || !slices.Equal(a.Rules["help"].Members, []string{"ou_a", "ou_b"}) {
		t.Errorf("rules = %+v", a.Rules)
	}
	if a.Templates["remind"] != (flows.Template{ID: "AAqk1", VersionName: "1.0.2"}) || len(a.Templates) != 1 {
		t.Errorf("templates = %+v", a.Templates)
	}
}

func TestLoadConfigFlowsRefusesMistakes(t *testing.T) {
	_, err := LoadConfig(writeFile(t, `
app_id: cli_a
app_secret: s
verification_token: tok
flows:
  todos: {allow: anyone}
  remind: {allow: [bob], template: {template_version_name: "1"}}
  help: {template: {template_id: X}}
`), envOf(nil))
	if err == nil {
		t.Fatal("a bad flows block was accepted")
	}
	for _, want := range []string{`unknown flow "todos"`, `"bob" is not an open_id`, "template_id is required", "/help has no final card"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

// Open ids in the config (admins, flows.*.allow) are checked as the engine
// checks ids from the platform (platformid.IsOpenID): any id with the
// prefix and safe characters passes, one that could break out of card
// markdown is refused.
func TestValidateOpenIDsInConfig(t *testing.T) {
	cases := []struct {
		id string
		ok bool
	}{
		{"ou_a-b", true},
		{"ou_a_b", true},
		{"ou_AbC123", true},
		{`ou_a"b`, false},
		{"ou_a<b>", false},
		{"ou_a b", false},
		{"ou_", false},
		{"ou_a\x00", false},
		{"ou_" + strings.Repeat("a", 200), false},
		{"bob", false},
	}
	for _, c := range cases {
		for _, where := range []string{"admins", "flows.todo.allow"} {
			cfg := Default()
			cfg.AppID, cfg.AppSecret, cfg.VerificationToken = "cli_x", "s", "t"
			if where == "admins" {
				cfg.Admins = List{c.id}
			} else {
				cfg.Flows = map[string]FlowConfig{"todo": {Allow: Allow{flows.Rule{Members: []string{c.id}}}}}
			}
			err := cfg.Validate()
			switch {
			case c.ok && err != nil:
				t.Errorf("%s %q refused: %v", where, c.id, err)
			case !c.ok && err == nil:
				t.Errorf("%s %q accepted", where, c.id)
			case !c.ok && (!strings.Contains(err.Error(), where+": ") || !strings.Contains(err.Error(), "not an open_id")):
				t.Errorf("%s %q: error %q does not name it", where, c.id, err)
			}
		}
	}
}
