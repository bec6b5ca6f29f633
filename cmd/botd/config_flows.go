package main

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/builtin"
	"github.com/botd/botd/internal/platformid"
)

// registry is the flows botd runs (internal/flows/builtin): the only names
// a flows: block may use, so that a misspelt name is an error rather than a
// rule that silently never applies, and the source of each flow's default
// rule and of whether it has a final card to template.
var registry = builtin.Flows

// flowNamed is the registered flow called name, or nil.
func flowNamed(reg []flows.Flow, name string) flows.Flow {
	for _, f := range reg {
		if f.Name() == name {
			return f
		}
	}
	return nil
}

// FlowConfig is one entry of the flows: block: who may start the flow and,
// optionally, a card-builder template for its final card.
type FlowConfig struct {
	Allow    Allow           `yaml:"allow"`
	Template *TemplateConfig `yaml:"template,omitempty"`
}

// TemplateConfig names a card built in the platform's card builder.
type TemplateConfig struct {
	ID          string `yaml:"template_id"`
	VersionName string `yaml:"template_version_name,omitempty"`
}

// Allow is who may start a flow: "anyone" (the default), "admins", or a
// list of open_ids (a YAML sequence or a comma-separated string). Admins
// may start every flow whatever the rule.
type Allow struct{ flows.Rule }

// UnmarshalYAML reads anyone, admins, or a list of open_ids.
func (a *Allow) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		switch v := strings.TrimSpace(n.Value); v {
		case "", "anyone":
			a.Rule = flows.Rule{}
			return nil
		case "admins":
			a.Rule = flows.Rule{AdminsOnly: true}
			return nil
		}
	}
	var ids List
	if err := ids.UnmarshalYAML(n); err != nil {
		return fmt.Errorf("allow: want anyone, admins or a list of open_ids: %w", err)
	}
	a.Rule = flows.Rule{Members: ids}
	return nil
}

// MarshalYAML prints the rule as it is written.
func (a Allow) MarshalYAML() (any, error) {
	if len(a.Members) > 0 {
		return a.Members, nil
	}
	return a.Rule.String(), nil
}

// validateFlows reports the problems of the flows: block.
func (c Config) validateFlows(bad func(string, ...any)) {
	names := make([]string, 0, len(c.Flows))
	for name := range c.Flows {
		names = append(names, name)
	}
	sort.Strings(names)
	reg := registry()
	known := make([]string, len(reg))
	for i, f := range reg {
		known[i] = f.Name()
	}
	for _, name := range names {
		fc := c.Flows[name]
		f := flowNamed(reg, name)
		if f == nil {
			bad("flows: unknown flow %q: want one of %s", name, strings.Join(known, ", "))
		}
		for _, id := range fc.Allow.Members {
			if !platformid.IsOpenID(id) {
				bad("flows.%s.allow: %q is not an open_id (ou_ and letters, digits, _ or -)", name, id)
			}
		}
		if t := fc.Template; t != nil {
			_, final := f.(flows.Submitter)
			switch {
			case f != nil && !final:
				bad("flows.%s.template: /%s has no final card", name, name)
			case t.ID == "":
				bad("flows.%s.template: template_id is required", name)
			}
		}
	}
}

// rules and templates turn the flows: block into what the engine takes. A
// rule is passed on when it is not the flow's default (anyone, unless the
// flow says otherwise), so "allow: anyone" opens an admins-only flow.
func (c Config) rules() map[string]flows.Rule {
	reg := registry()
	out := map[string]flows.Rule{}
	for name, fc := range c.Flows {
		def := flows.Rule{}
		if f := flowNamed(reg, name); f != nil {
			def = flows.DefaultRule(f)
		}
		if fc.Allow.AdminsOnly != def.AdminsOnly || !slices.Equal(fc.Allow.Members, def.Members) {
			out[name] = fc.Allow.Rule
		}
	}
	return out
}

func (c Config) templates() map[string]flows.Template {
	out := map[string]flows.Template{}
	for name, fc := range c.Flows {
		if fc.Template != nil {
			out[name] = flows.Template{ID: fc.Template.ID, VersionName: fc.Template.VersionName}
		}
	}
	return out
}
