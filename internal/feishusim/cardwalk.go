package feishusim

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"time"
	"unicode/utf8"
)

// Component tags the simulator accepts. Containers hold other components;
// interactive components can send callbacks and, inside a form, need a name.
var (
	containerTags = []string{"column_set", "column", "form", "collapsible_panel", "interactive_container"}
	contentTags   = []string{
		"markdown", "div", "plain_text", "lark_md", "hr", "img", "img_combination", "note",
		"person", "person_list", "avatar", "chart", "table", "audio",
	}
	interactiveTags = []string{
		"button", "input", "date_picker", "picker_time", "picker_datetime",
		"select_static", "multi_select_static", "select_person", "multi_select_person",
		"select_img", "overflow", "checker",
	}
	formOnlyTags = []string{"multi_select_static", "multi_select_person"}
	buttonTypes  = []string{
		"default", "primary", "danger", "text", "primary_text", "danger_text",
		"primary_filled", "danger_filled", "laser",
	}
	elementIDPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,19}$`)
)

// maxNesting is the documented limit on container nesting.
const maxNesting = 5

// scope is where an element sits.
type scope struct {
	root     bool       // directly in body.elements (2.0) or elements (1.0)
	depth    int        // containers around it
	form     *formState // the enclosing form, if any
	inAction bool       // inside a JSON 1.0 action module
}

type formState struct{ hasSubmit bool }

func (c *cardChecker) walkList(path string, v any, sc scope) {
	list, ok := v.([]any)
	if !ok {
		c.add(path, 0, "must be an array of components")
		return
	}
	for i, e := range list {
		c.walkElement(fmt.Sprintf("%s[%d]", path, i), e, sc)
	}
}

func (c *cardChecker) walkElement(path string, v any, sc scope) {
	el, ok := v.(map[string]any)
	if !ok {
		c.add(path, 0, "a component must be an object")
		return
	}
	tag, _ := el["tag"].(string)
	if tag == "" {
		c.add(path+".tag", 0, "a component needs a tag")
		return
	}
	c.components++
	c.checkIdentity(path, el)
	switch {
	case tag == "action":
		c.walkAction(path, el, sc)
	case slices.Contains(containerTags, tag):
		c.walkContainer(path, el, tag, sc)
	case slices.Contains(interactiveTags, tag):
		c.checkInteractive(path, el, tag, sc)
	case slices.Contains(contentTags, tag):
		if (tag == "table" || tag == "chart") && sc.form != nil {
			c.add(path, 0, "a form may not contain a %s", tag)
		}
	default:
		c.add(path+".tag", 0, "unknown component tag %q", tag)
	}
}

// checkIdentity enforces unique names and element_ids across the card.
func (c *cardChecker) checkIdentity(path string, el map[string]any) {
	if n, ok := el["name"]; ok {
		name, isStr := n.(string)
		switch {
		case !isStr:
			c.add(path+".name", 0, "name must be a string")
		case name == "":
		case c.names[name] != "":
			c.add(path+".name", 0, "name %q is already used at %s; names must be unique in the card", name, c.names[name])
		default:
			c.names[name] = path
		}
	}
	if v, ok := el["element_id"]; ok {
		id, _ := v.(string)
		switch {
		case !elementIDPattern.MatchString(id):
			c.add(path+".element_id", 0, "element_id must start with a letter and hold at most 20 letters, digits or underscores")
		case c.elementIDs[id] != "":
			c.add(path+".element_id", 0, "element_id %q is already used at %s", id, c.elementIDs[id])
		default:
			c.elementIDs[id] = path
		}
	}
}

// walkAction handles the JSON 1.0 action module, which JSON 2.0 refuses.
func (c *cardChecker) walkAction(path string, el map[string]any, sc scope) {
	if c.v2 {
		c.add(path+".tag", 200861, "the action module does not exist in JSON 2.0; put buttons directly in body.elements or a container")
		return
	}
	if sc.inAction {
		c.add(path, 0, "an action module cannot contain another")
		return
	}
	inner := sc
	inner.root, inner.inAction = false, true
	c.walkList(path+".actions", el["actions"], inner)
}

func (c *cardChecker) walkContainer(path string, el map[string]any, tag string, sc scope) {
	inner := sc
	inner.root = false
	if tag != "column" { // a column is part of its column_set, not a level of its own
		inner.depth++
	}
	if inner.depth > maxNesting {
		c.add(path, 0, "containers nest at most %d levels deep", maxNesting)
		return
	}
	switch tag {
	case "form":
		if sc.form != nil {
			c.add(path, 0, "a form may not contain another form")
			return
		}
		if !sc.root {
			c.add(path, 0, "a form may only sit at the root of the card body")
		}
		if name, _ := el["name"].(string); name == "" {
			c.add(path+".name", 200530, "a form needs a name")
		}
		inner.form = &formState{}
		c.walkList(path+".elements", el["elements"], inner)
		if !inner.form.hasSubmit {
			c.add(path, 0, `a form needs at least one button with form_action_type "submit"`)
		}
	case "column_set":
		cols, ok := el["columns"]
		if !ok {
			return
		}
		list, ok := cols.([]any)
		if !ok {
			c.add(path+".columns", 0, "columns must be an array")
			return
		}
		for i, col := range list {
			p := fmt.Sprintf("%s.columns[%d]", path, i)
			if m, ok := col.(map[string]any); !ok || m["tag"] != "column" {
				c.add(p, 0, `a column_set holds only {"tag":"column"} objects`)
				continue
			}
			c.walkElement(p, col, inner)
		}
	default:
		if els, ok := el["elements"]; ok {
			c.walkList(path+".elements", els, inner)
		}
	}
}

func (c *cardChecker) checkInteractive(path string, el map[string]any, tag string, sc scope) {
	if sc.form != nil {
		if name, _ := el["name"].(string); name == "" {
			c.add(path+".name", 200530, "every interactive component in a form needs a name")
		}
	}
	if sc.form == nil && slices.Contains(formOnlyTags, tag) {
		c.add(path, 0, "%s is only allowed inside a form", tag)
	}
	if !c.v2 && sc.root {
		c.add(path, 0, "in JSON 1.0 interactive components go in an action module or a form")
	}
	if p, ok := el["placeholder"]; ok {
		c.checkText(path+".placeholder", p, 100)
	}
	if v, ok := el["value"]; ok {
		if _, isObj := v.(map[string]any); !isObj {
			c.add(path+".value", 0, "a callback value must be a JSON object")
		}
	}
	if b, ok := el["behaviors"]; ok {
		c.checkBehaviors(path+".behaviors", b)
	}
	switch tag {
	case "button":
		c.checkButton(path, el, sc)
	case "input":
		if v, ok := el["max_length"]; ok {
			if n, ok := intValue(v); !ok || n < 1 || n > 1000 {
				c.add(path+".max_length", 0, "max_length must be an integer from 1 to 1000")
			}
		}
	case "date_picker":
		c.checkTime(path, el, "initial_date", "2006-01-02", "yyyy-MM-dd")
	case "picker_time":
		c.checkTime(path, el, "initial_time", "15:04", "HH:mm")
	case "picker_datetime":
		c.checkTime(path, el, "initial_datetime", "2006-01-02 15:04", "yyyy-MM-dd HH:mm")
	case "select_static", "multi_select_static":
		c.checkOptions(path, el)
	}
}

func (c *cardChecker) checkButton(path string, el map[string]any, sc scope) {
	if t, ok := el["text"]; ok {
		c.checkText(path+".text", t, 100)
	} else {
		c.add(path+".text", 0, "a button needs a text")
	}
	if t, ok := el["type"]; ok {
		if s, _ := t.(string); !slices.Contains(buttonTypes, s) {
			c.add(path+".type", 0, "unknown button type %v", jsonText(t))
		}
	}
	fat, _ := el["form_action_type"].(string)
	if fat == "" {
		// The historical spelling, still accepted.
		switch at, _ := el["action_type"].(string); at {
		case "form_submit":
			fat = "submit"
		case "form_reset":
			fat = "reset"
		}
	}
	switch {
	case fat == "":
	case fat != "submit" && fat != "reset":
		c.add(path+".form_action_type", 0, `form_action_type must be "submit" or "reset"`)
	case sc.form == nil:
		c.add(path+".form_action_type", 0, "form_action_type only makes sense inside a form")
	case fat == "submit":
		sc.form.hasSubmit = true
	}
}

func (c *cardChecker) checkBehaviors(path string, v any) {
	list, ok := v.([]any)
	if !ok {
		c.add(path, 0, "behaviors must be an array")
		return
	}
	for i, b := range list {
		p := fmt.Sprintf("%s[%d]", path, i)
		m, ok := b.(map[string]any)
		if !ok {
			c.add(p, 0, "a behavior must be an object")
			continue
		}
		switch m["type"] {
		case "callback":
			if _, isObj := m["value"].(map[string]any); !isObj {
				c.add(p+".value", 0, "a callback value must be a JSON object")
			}
		case "open_url":
			if u, _ := m["default_url"].(string); u == "" {
				c.add(p+".default_url", 0, "an open_url behavior needs default_url")
			}
		default:
			c.add(p+".type", 0, `behavior type must be "callback" or "open_url", got %v`, jsonText(m["type"]))
		}
	}
}

// checkText checks a text object ({"tag":"plain_text","content":...}) and
// the length of its content in characters.
func (c *cardChecker) checkText(path string, v any, maxLen int) {
	m, ok := v.(map[string]any)
	if !ok {
		c.add(path, 0, `must be a text object such as {"tag":"plain_text","content":"..."}`)
		return
	}
	if s, ok := m["content"].(string); ok && utf8.RuneCountInString(s) > maxLen {
		c.add(path+".content", 0, "at most %d characters, got %d", maxLen, utf8.RuneCountInString(s))
	}
}

// checkTime requires zero-padded initial values: the components document
// yyyy-MM-dd and HH:mm, although an old Lark sample shows "2002-2-22".
func (c *cardChecker) checkTime(path string, el map[string]any, key, layout, human string) {
	v, ok := el[key]
	if !ok {
		return
	}
	s, _ := v.(string)
	if _, err := time.Parse(layout, s); err != nil || len(s) != len(layout) {
		c.add(path+"."+key, 0, "must be %s, zero-padded; got %v", human, jsonText(v))
	}
}

func (c *cardChecker) checkOptions(path string, el map[string]any) {
	opts, ok := el["options"]
	if !ok {
		return
	}
	list, ok := opts.([]any)
	if !ok {
		c.add(path+".options", 0, "options must be an array")
		return
	}
	seen := map[string]bool{}
	for i, o := range list {
		p := fmt.Sprintf("%s.options[%d]", path, i)
		m, _ := o.(map[string]any)
		val, isStr := m["value"].(string)
		if !isStr {
			c.add(p+".value", 0, "an option needs a string value")
			continue
		}
		if seen[val] {
			c.add(p+".value", 0, "option value %q repeats; values must be unique", val)
		}
		seen[val] = true
	}
}

func intValue(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}
