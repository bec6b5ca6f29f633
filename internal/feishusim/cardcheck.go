package feishusim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Problem is one thing wrong with a card.
type Problem struct {
	// Path locates the offending value, e.g. "body.elements[2].name";
	// empty for the card as a whole.
	Path string `json:"path"`
	// Code is the platform's card error code when one is documented for this
	// rule (200861: action module in JSON 2.0; 200530: form component without
	// a name; 11310: invalid card, e.g. over 200 components), else 0.
	Code    int    `json:"code,omitempty"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	s := p.Message
	if p.Path != "" {
		s = p.Path + ": " + s
	}
	if p.Code != 0 {
		s = fmt.Sprintf("%s [%d]", s, p.Code)
	}
	return s
}

// maxCardBytes is the documented limit for card content on im/v1/messages
// (create and PATCH). The ephemeral limit is undocumented; the simulator
// applies the same figure there.
const maxCardBytes = 30 * 1024

// headerColours are the documented header.template values.
var headerColours = []string{
	"blue", "wathet", "turquoise", "green", "yellow", "orange", "red",
	"carmine", "violet", "purple", "indigo", "grey", "default",
}

// ValidateCard checks card JSON (1.0, 2.0 or a template reference) against
// the documented rules and returns every problem it finds, in document
// order; nil means the card is acceptable. ephemeral adds the rule of the
// ephemeral API: no component-level ("local") i18n. The size limit is not
// checked here because it belongs to the API carrying the card.
func ValidateCard(raw json.RawMessage, ephemeral bool) []Problem {
	c := &cardChecker{ephemeral: ephemeral, names: map[string]string{}, elementIDs: map[string]string{}}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return []Problem{{Message: "card is not valid JSON"}}
	}
	card, ok := v.(map[string]any)
	if !ok {
		return []Problem{{Message: "card must be a JSON object"}}
	}
	c.check(card)
	return c.problems
}

// cardChecker carries what the rules need across the whole card.
type cardChecker struct {
	ephemeral  bool
	v2         bool
	problems   []Problem
	names      map[string]string // component name -> path of its first use
	elementIDs map[string]string
	components int
}

func (c *cardChecker) add(path string, code int, format string, args ...any) {
	c.problems = append(c.problems, Problem{Path: path, Code: code, Message: fmt.Sprintf(format, args...)})
}

func (c *cardChecker) check(card map[string]any) {
	if t, ok := card["type"]; ok {
		c.checkTemplate(card, t)
		return
	}
	if schema, ok := card["schema"]; ok {
		if schema != "2.0" {
			c.add("schema", 0, `schema must be "2.0" (or absent for JSON 1.0), got %v`, jsonText(schema))
			return
		}
		c.v2 = true
	}
	c.checkConfig(card["config"])
	c.checkHeader(card["header"])
	if c.v2 {
		c.checkBodyV2(card)
	} else {
		c.checkBodyV1(card)
	}
	if c.ephemeral {
		c.scanLocalI18n("", card)
	}
	if c.v2 && c.components > 200 {
		c.add("body.elements", 11310, "a JSON 2.0 card holds at most 200 components, this one has %d", c.components)
	}
}

// checkTemplate accepts {"type":"template","data":{"template_id":...,
// "template_version_name"?:...,"template_variable"?:{...}}}.
func (c *cardChecker) checkTemplate(card map[string]any, t any) {
	if t != "template" {
		c.add("type", 0, `the only card type is "template", got %v`, jsonText(t))
		return
	}
	data, ok := card["data"].(map[string]any)
	if !ok {
		c.add("data", 0, "a template card needs a data object")
		return
	}
	if id, _ := data["template_id"].(string); id == "" {
		c.add("data.template_id", 0, "template_id is required")
	}
	if v, ok := data["template_version_name"]; ok {
		if _, isStr := v.(string); !isStr {
			c.add("data.template_version_name", 0, "template_version_name must be a string")
		}
	}
	if v, ok := data["template_variable"]; ok {
		if _, isObj := v.(map[string]any); !isObj {
			c.add("data.template_variable", 0, "template_variable must be an object")
		}
	}
}

func (c *cardChecker) checkConfig(v any) {
	if v == nil {
		return
	}
	cfg, ok := v.(map[string]any)
	if !ok {
		c.add("config", 0, "config must be an object")
		return
	}
	if um, present := cfg["update_multi"]; present {
		b, isBool := um.(bool)
		switch {
		case !isBool:
			c.add("config.update_multi", 0, "update_multi must be a boolean")
		case c.v2 && !b:
			c.add("config.update_multi", 0, "JSON 2.0 cards are always shared: update_multi may only be true")
		}
	}
}

func (c *cardChecker) checkHeader(v any) {
	if v == nil {
		return
	}
	h, ok := v.(map[string]any)
	if !ok {
		c.add("header", 0, "header must be an object")
		return
	}
	if _, ok := h["title"].(map[string]any); !ok {
		c.add("header.title", 0, `header.title must be a text object such as {"tag":"plain_text","content":"..."}`)
	}
	if t, ok := h["template"]; ok {
		if s, _ := t.(string); !slices.Contains(headerColours, s) {
			c.add("header.template", 0, "unknown header colour %v (allowed: %s)", jsonText(t), strings.Join(headerColours, ", "))
		}
	}
	if tags, ok := h["text_tag_list"].([]any); ok && len(tags) > 3 {
		c.add("header.text_tag_list", 0, "at most 3 text tags, got %d", len(tags))
	}
}

func (c *cardChecker) checkBodyV2(card map[string]any) {
	if _, ok := card["elements"]; ok {
		c.add("elements", 0, "JSON 2.0 puts components in body.elements, not top-level elements")
	}
	if _, ok := card["i18n_elements"]; ok {
		c.add("i18n_elements", 0, "i18n_elements (global i18n) exists only in JSON 1.0")
	}
	body, present := card["body"]
	if !present {
		if card["header"] == nil {
			c.add("body", 0, "the card has neither a header nor body.elements")
		}
		return
	}
	b, ok := body.(map[string]any)
	if !ok {
		c.add("body", 0, "body must be an object")
		return
	}
	if els, ok := b["elements"]; ok {
		c.walkList("body.elements", els, scope{root: true})
	}
}

func (c *cardChecker) checkBodyV1(card map[string]any) {
	if _, ok := card["body"]; ok {
		c.add("body", 0, `body is JSON 2.0 structure: add "schema": "2.0", or use top-level elements for JSON 1.0`)
	}
	els, hasEls := card["elements"]
	i18n, hasI18n := card["i18n_elements"]
	if !hasEls && !hasI18n {
		c.add("elements", 0, "a JSON 1.0 card needs elements or i18n_elements")
	}
	if hasEls {
		c.walkList("elements", els, scope{root: true})
	}
	if hasI18n {
		m, ok := i18n.(map[string]any)
		if !ok {
			c.add("i18n_elements", 0, "i18n_elements must map locales to element lists")
			return
		}
		// Each locale is a separate rendering of the same card, so names may
		// repeat across locales but not within one.
		for _, locale := range sortedKeys(m) {
			c.names = map[string]string{}
			c.elementIDs = map[string]string{}
			c.walkList("i18n_elements."+locale, m[locale], scope{root: true})
		}
	}
}

// globalI18n lists the i18n keys that are global (card-level), which the
// ephemeral API accepts; every other i18n field is local.
var globalI18n = map[string]bool{
	"i18n_elements":             true,
	"i18n_header":               true,
	"header.title.i18n":         true,
	"header.subtitle.i18n":      true,
	"header.i18n_text_tag_list": true,
}

// scanLocalI18n reports component-level i18n (i18n, i18n_content,
// i18n_placeholder, i18n_default_value, config.locales, ...) anywhere in the
// card: the ephemeral API supports only global i18n.
func (c *cardChecker) scanLocalI18n(path string, v any) {
	switch v := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(v) {
			p := joinPath(path, k)
			local := k == "i18n" || strings.HasPrefix(k, "i18n_") || p == "config.locales"
			if local && !globalI18n[p] {
				c.add(p, 0, "ephemeral cards accept only global i18n (JSON 1.0 i18n_elements, header.title.i18n), not component-level %s", k)
				continue
			}
			c.scanLocalI18n(p, v[k])
		}
	case []any:
		for i, e := range v {
			c.scanLocalI18n(fmt.Sprintf("%s[%d]", path, i), e)
		}
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// jsonText renders a decoded value for a message.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
