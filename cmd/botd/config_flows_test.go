package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/botd/botd/internal/card"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/builtin"
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

// pollFlow is a flow botd does not have: admins-only by default, with a
// final card. noticeFlow has no final card.
type pollFlow struct{ noticeFlow }

func (pollFlow) Name() string { return "poll" }
func (pollFlow) DefaultRule() flows.Rule {
	return flows.Rule{AdminsOnly: true}
}
func (pollFlow) Submit(*flows.Interaction, flows.Submission) (map[string]string, flows.FieldErrors) {
	return nil, nil
}
func (pollFlow) Final(*flows.Interaction) *card.Card { return nil }
func (pollFlow) Submitted() flows.Msg                { return flows.Msg{} }

type noticeFlow struct{}

func (noticeFlow) Name() string                                          { return "notice" }
func (noticeFlow) Describe(string) string                                { return "" }
func (noticeFlow) Start(*flows.Interaction, flows.Command, time.Time)    {}
func (noticeFlow) Form(*flows.Interaction, flows.FieldErrors) *card.Card { return nil }

// The flows: block is checked against the registry, not a list of its own:
// a flow the registry has is accepted, one it lacks refused, naming what
// it has; a template only for a flow with a final card. A rule reaches the
// engine when it differs from the flow's default, so "anyone" opens an
// admins-only flow and "admins" on it is no rule at all.
func TestConfigFlowsFollowTheRegistry(t *testing.T) {
	saved := registry
	t.Cleanup(func() { registry = saved })
	registry = func() []flows.Flow { return []flows.Flow{pollFlow{}, noticeFlow{}} }

	cfg := Default()
	cfg.AppID, cfg.AppSecret, cfg.VerificationToken = "cli_x", "s", "t"
	cfg.Flows = map[string]FlowConfig{"poll": {}, "notice": {Allow: Allow{flows.Rule{AdminsOnly: true}}}}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("flows the registry has refused: %v", err)
	}
	rules := cfg.App().Rules
	if r, ok := rules["poll"]; !ok || !r.Anyone() {
		t.Errorf(`"allow: anyone" on an admins-only flow: rules %+v, want poll opened`, rules)
	}
	if !rules["notice"].AdminsOnly {
		t.Errorf("rules %+v, want notice for admins", rules)
	}
	cfg.Flows = map[string]FlowConfig{"poll": {Allow: Allow{flows.Rule{AdminsOnly: true}}}}
	if rules := cfg.App().Rules; len(rules) != 0 {
		t.Errorf("the default restated is a rule: %+v", rules)
	}

	cfg.Flows = map[string]FlowConfig{
		"todo":   {},
		"notice": {Template: &TemplateConfig{ID: "AAqk1"}},
		"poll":   {Template: &TemplateConfig{ID: "AAqk1"}},
	}
	err := cfg.Validate()
	for _, want := range []string{`unknown flow "todo": want one of poll, notice`, "flows.notice.template: /notice has no final card"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "flows.poll") {
		t.Errorf("a template for a flow with a final card refused: %v", err)
	}
}

// botd's own registry: every flow it runs may be named, in /help's order.
func TestConfigFlowsKnowTheBuiltins(t *testing.T) {
	cfg := Default()
	cfg.AppID, cfg.AppSecret, cfg.VerificationToken = "cli_x", "s", "t"
	cfg.Flows = map[string]FlowConfig{"frobnicate": {}}
	err := cfg.Validate()
	var names []string // the registry's: a new flow is one line there, not here
	for _, f := range builtin.Flows() {
		names = append(names, f.Name())
	}
	if err == nil || !strings.Contains(err.Error(), "want one of "+strings.Join(names, ", ")) || !strings.Contains(err.Error(), "todo, remind") {
		t.Fatalf("error %v, want the registry's names", err)
	}
}
