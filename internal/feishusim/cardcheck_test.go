package feishusim

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// todoForm is the ephemeral form of §14.2.
const todoForm = `{
  "schema": "2.0",
  "config": {"update_multi": true},
  "header": {"title": {"tag": "plain_text", "content": "New todo"}, "template": "blue"},
  "body": {"elements": [
    {"tag": "form", "name": "todo_form", "elements": [
      {"tag": "input", "name": "title", "required": true, "max_length": 200,
       "placeholder": {"tag": "plain_text", "content": "What needs doing?"}, "default_value": "Buy milk"},
      {"tag": "date_picker", "name": "due_date", "placeholder": {"tag": "plain_text", "content": "Due date"}, "initial_date": "2024-11-15"},
      {"tag": "picker_time", "name": "due_time", "initial_time": "09:05"},
      {"tag": "picker_datetime", "name": "remind_at", "initial_datetime": "2024-11-15 09:05"},
      {"tag": "select_person", "name": "assignee", "options": []},
      {"tag": "multi_select_static", "name": "tags", "options": [
        {"text": {"tag": "plain_text", "content": "a"}, "value": "a"},
        {"text": {"tag": "plain_text", "content": "b"}, "value": "b"}]},
      {"tag": "checker", "name": "urgent", "checked": false, "text": {"tag": "plain_text", "content": "Urgent"}},
      {"tag": "button", "name": "submit_btn", "type": "primary", "form_action_type": "submit",
       "text": {"tag": "plain_text", "content": "Create todo"},
       "behaviors": [{"type": "callback", "value": {"flow": "todo", "action": "submit", "iid": "itx_1"}}]}
    ]},
    {"tag": "button", "name": "cancel_btn", "type": "default", "text": {"tag": "plain_text", "content": "Cancel"},
     "behaviors": [{"type": "callback", "value": {"flow": "todo", "action": "cancel", "iid": "itx_1"}}]}
  ]}
}`

// legacyI18n is a JSON 1.0 card with global i18n only.
const legacyI18n = `{
  "config": {"update_multi": true},
  "header": {"title": {"tag": "plain_text", "content": "Todo", "i18n": {"zh_cn": "待办", "en_us": "Todo"}}, "template": "green"},
  "i18n_elements": {
    "zh_cn": [{"tag": "div", "text": {"tag": "lark_md", "content": "买牛奶"}},
              {"tag": "action", "actions": [{"tag": "button", "name": "done", "text": {"tag": "plain_text", "content": "完成"}, "type": "primary", "value": {"k": "v"}}]}],
    "en_us": [{"tag": "div", "text": {"tag": "lark_md", "content": "Buy milk"}},
              {"tag": "action", "actions": [{"tag": "button", "name": "done", "text": {"tag": "plain_text", "content": "Done"}, "type": "primary", "value": {"k": "v"}}]}]
  }
}`

func TestValidateCardAccepts(t *testing.T) {
	for _, tc := range []struct {
		name      string
		card      string
		ephemeral bool
	}{
		{"§14.2 form, ephemeral", todoForm, true},
		{"§8.3 JSON 1.0", `{"config":{"enable_forward":true,"update_multi":true},"header":{"title":{"tag":"plain_text","content":"Todo"},"template":"blue"},
			"elements":[{"tag":"div","text":{"tag":"lark_md","content":"**Buy milk**"}},{"tag":"hr"},
			{"tag":"action","actions":[{"tag":"button","text":{"tag":"plain_text","content":"Done"},"type":"primary","value":{"k":"v"}}]},
			{"tag":"note","elements":[{"tag":"plain_text","content":"created by"}]}]}`, false},
		{"1.0 global i18n, ephemeral", legacyI18n, true},
		{"2.0 local i18n, not ephemeral", `{"schema":"2.0","config":{"locales":["en_us"]},"body":{"elements":[{"tag":"markdown","content":"x","i18n_content":{"en_us":"x"}}]}}`, false},
		{"historical form_submit", `{"schema":"2.0","body":{"elements":[{"tag":"form","name":"f","elements":[
			{"tag":"button","name":"s","action_type":"form_submit","text":{"tag":"plain_text","content":"Go"}}]}]}}`, true},
		{"columns", `{"schema":"2.0","body":{"elements":[{"tag":"column_set","columns":[{"tag":"column","elements":[{"tag":"markdown","content":"x"}]}]}]}}`, true},
		{"template", `{"type":"template","data":{"template_id":"AAq","template_variable":{"a":1}}}`, true},
		{"exactly 200 components", manyComponents(200), false},
		{"5 levels of nesting", `{"schema":"2.0","body":{"elements":[` + nested(5) + `]}}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if ps := ValidateCard(json.RawMessage(tc.card), tc.ephemeral); len(ps) != 0 {
				t.Fatalf("problems: %v", ps)
			}
		})
	}
}

func TestValidateCardRules(t *testing.T) {
	v2 := func(elements string) string { return `{"schema":"2.0","body":{"elements":[` + elements + `]}}` }
	btn := func(name, extra string) string {
		return `{"tag":"button","name":"` + name + `","text":{"tag":"plain_text","content":"x"}` + extra + `}`
	}
	form := func(inner string) string {
		return `{"tag":"form","name":"f","elements":[` + inner + `,` + btn("submit", `,"form_action_type":"submit"`) + `]}`
	}
	for _, tc := range []struct {
		name      string
		card      string
		ephemeral bool
		path      string // a problem must have exactly this path
		code      int
	}{
		{"not an object", `[1]`, false, "", 0},
		{"not JSON", `{"schema":`, false, "", 0},
		{"unknown schema", `{"schema":"1.0","elements":[]}`, false, "schema", 0},
		{"action module in 2.0", v2(`{"tag":"action","actions":[]}`), false, "body.elements[0].tag", 200861},
		{"over 200 components", manyComponents(201), false, "body.elements", 11310},
		{"update_multi false in 2.0", `{"schema":"2.0","config":{"update_multi":false},"body":{"elements":[]}}`, false, "config.update_multi", 0},
		{"2.0 top-level elements", `{"schema":"2.0","elements":[]}`, false, "elements", 0},
		{"2.0 i18n_elements", `{"schema":"2.0","i18n_elements":{}}`, false, "i18n_elements", 0},
		{"1.0 with body", `{"body":{"elements":[]}}`, false, "body", 0},
		{"1.0 without elements", `{"header":{"title":{"tag":"plain_text","content":"x"}}}`, false, "elements", 0},
		{"unknown tag", v2(`{"tag":"blink"}`), false, "body.elements[0].tag", 0},
		{"form not at root", v2(`{"tag":"column_set","columns":[{"tag":"column","elements":[` + form(`{"tag":"markdown","content":"x"}`) + `]}]}`), false,
			"body.elements[0].columns[0].elements[0]", 0},
		{"form in form", v2(`{"tag":"form","name":"outer","elements":[` + form(`{"tag":"markdown","content":"x"}`) + `]}`), false, "body.elements[0].elements[0]", 0},
		{"table in form", v2(form(`{"tag":"table"}`)), false, "body.elements[0].elements[0]", 0},
		{"chart in form", v2(form(`{"tag":"chart"}`)), false, "body.elements[0].elements[0]", 0},
		{"form without name", v2(`{"tag":"form","elements":[` + btn("s", `,"form_action_type":"submit"`) + `]}`), false, "body.elements[0].name", 200530},
		{"form without submit", v2(`{"tag":"form","name":"f","elements":[{"tag":"input","name":"i"}]}`), false, "body.elements[0]", 0},
		{"unnamed input in form", v2(form(`{"tag":"input"}`)), false, "body.elements[0].elements[0].name", 200530},
		{"unnamed checker in form", v2(form(`{"tag":"checker","text":{"tag":"plain_text","content":"x"}}`)), false, "body.elements[0].elements[0].name", 200530},
		{"duplicate names across the card", v2(form(`{"tag":"input","name":"dup"}`) + `,` + btn("dup", "")), false, "body.elements[1].name", 0},
		{"form name clashes with a field", v2(form(`{"tag":"input","name":"f"}`)), false, "body.elements[0].elements[0].name", 0},
		{"submit outside a form", v2(btn("b", `,"form_action_type":"submit"`)), false, "body.elements[0].form_action_type", 0},
		{"multi select outside a form", v2(`{"tag":"multi_select_static","name":"m","options":[]}`), false, "body.elements[0]", 0},
		{"callback value a string", v2(btn("b", `,"behaviors":[{"type":"callback","value":"x"}]`)), false, "body.elements[0].behaviors[0].value", 0},
		{"unknown behavior", v2(btn("b", `,"behaviors":[{"type":"teleport"}]`)), false, "body.elements[0].behaviors[0].type", 0},
		{"open_url without url", v2(btn("b", `,"behaviors":[{"type":"open_url"}]`)), false, "body.elements[0].behaviors[0].default_url", 0},
		{"historical value a string", v2(btn("b", `,"value":"x"`)), false, "body.elements[0].value", 0},
		{"placeholder over 100", v2(`{"tag":"input","name":"i","placeholder":{"tag":"plain_text","content":"` + strings.Repeat("字", 101) + `"}}`), false,
			"body.elements[0].placeholder.content", 0},
		{"placeholder a string", v2(`{"tag":"input","name":"i","placeholder":"x"}`), false, "body.elements[0].placeholder", 0},
		{"max_length 0", v2(`{"tag":"input","name":"i","max_length":0}`), false, "body.elements[0].max_length", 0},
		{"max_length 1001", v2(`{"tag":"input","name":"i","max_length":1001}`), false, "body.elements[0].max_length", 0},
		{"button text over 100", v2(`{"tag":"button","name":"b","text":{"tag":"plain_text","content":"` + strings.Repeat("x", 101) + `"}}`), false,
			"body.elements[0].text.content", 0},
		{"button without text", v2(`{"tag":"button","name":"b"}`), false, "body.elements[0].text", 0},
		{"button type", v2(btn("b", `,"type":"shiny"`)), false, "body.elements[0].type", 0},
		{"unpadded date", v2(`{"tag":"date_picker","name":"d","initial_date":"2002-2-22"}`), false, "body.elements[0].initial_date", 0},
		{"impossible date", v2(`{"tag":"date_picker","name":"d","initial_date":"2024-02-30"}`), false, "body.elements[0].initial_date", 0},
		{"unpadded time", v2(`{"tag":"picker_time","name":"t","initial_time":"9:05"}`), false, "body.elements[0].initial_time", 0},
		{"unpadded datetime", v2(`{"tag":"picker_datetime","name":"t","initial_datetime":"2002-2-22 18:00"}`), false, "body.elements[0].initial_datetime", 0},
		{"header colour", `{"schema":"2.0","header":{"title":{"tag":"plain_text","content":"x"},"template":"pink"}}`, false, "header.template", 0},
		{"header without title", `{"schema":"2.0","header":{"template":"blue"}}`, false, "header.title", 0},
		{"four header tags", `{"schema":"2.0","header":{"title":{"tag":"plain_text","content":"x"},"text_tag_list":[{},{},{},{}]}}`, false, "header.text_tag_list", 0},
		{"nesting over 5", v2(nested(6)), false, "body.elements[0]" + strings.Repeat(".elements[0]", 5), 0},
		{"repeated option values", v2(`{"tag":"select_static","name":"s","options":[{"value":"a"},{"value":"a"}]}`), false, "body.elements[0].options[1].value", 0},
		{"bad element_id", v2(`{"tag":"markdown","content":"x","element_id":"1abc"}`), false, "body.elements[0].element_id", 0},
		{"1.0 button at the root", `{"elements":[` + btn("b", "") + `]}`, false, "elements[0]", 0},
		{"ephemeral: 2.0 i18n_content", v2(`{"tag":"markdown","content":"x","i18n_content":{"en_us":"x"}}`), true, "body.elements[0].i18n_content", 0},
		{"ephemeral: i18n_placeholder", v2(`{"tag":"input","name":"i","i18n_placeholder":{"en_us":{"tag":"plain_text","content":"x"}}}`), true,
			"body.elements[0].i18n_placeholder", 0},
		{"ephemeral: config.locales", `{"schema":"2.0","config":{"locales":["en_us"]},"body":{"elements":[]}}`, true, "config.locales", 0},
		{"ephemeral: 1.0 text i18n", `{"elements":[{"tag":"div","text":{"tag":"plain_text","content":"x","i18n":{"en_us":"x"}}}]}`, true,
			"elements[0].text.i18n", 0},
		{"ephemeral: title i18n_content", `{"schema":"2.0","header":{"title":{"tag":"plain_text","content":"x","i18n_content":{"en_us":"x"}}}}`, true,
			"header.title.i18n_content", 0},
		{"template without id", `{"type":"template","data":{"template_variable":{}}}`, false, "data.template_id", 0},
		{"template variable not an object", `{"type":"template","data":{"template_id":"x","template_variable":[1]}}`, false, "data.template_variable", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := ValidateCard(json.RawMessage(tc.card), tc.ephemeral)
			for _, p := range ps {
				if p.Path == tc.path && (tc.code == 0 || p.Code == tc.code) {
					return
				}
			}
			t.Fatalf("want a problem at %q (code %d), got %v", tc.path, tc.code, ps)
		})
	}
}

func TestValidateCardReportsAll(t *testing.T) {
	card := `{"schema":"2.0","header":{"title":{"tag":"plain_text","content":"x"},"template":"pink"},"body":{"elements":[
		{"tag":"action","actions":[]},{"tag":"input","name":"a","max_length":5000},{"tag":"input","name":"a"}]}}`
	ps := ValidateCard(json.RawMessage(card), false)
	if len(ps) != 4 {
		t.Fatalf("want 4 problems (colour, action, max_length, duplicate name), got %d: %v", len(ps), ps)
	}
	if s := ps[1].String(); !strings.Contains(s, "body.elements[0].tag") || !strings.Contains(s, "200861") {
		t.Fatalf("String() = %q", s)
	}
}

func TestButtonValue(t *testing.T) {
	for _, tc := range []struct {
		card, name string
		want       string
		ok         bool
	}{
		{todoForm, "submit_btn", "submit", true},
		{todoForm, "cancel_btn", "cancel", true},
		{todoForm, "nope", "", false},
		{legacyI18n, "done", "", true},
		{`{"schema":"2.0","body":{"elements":[{"tag":"button","name":"u","behaviors":[{"type":"open_url","default_url":"https://x"}]}]}}`, "u", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, ok := ButtonValue(json.RawMessage(tc.card), tc.name)
			if ok != tc.ok || (tc.want != "" && v["action"] != tc.want) {
				t.Fatalf("got %v %v", v, ok)
			}
		})
	}
}

// manyComponents is a 2.0 card with n markdown components.
func manyComponents(n int) string {
	els := make([]string, n)
	for i := range els {
		els[i] = fmt.Sprintf(`{"tag":"markdown","content":"%d"}`, i)
	}
	return `{"schema":"2.0","body":{"elements":[` + strings.Join(els, ",") + `]}}`
}

// nested wraps a markdown in depth collapsible panels.
func nested(depth int) string {
	s := `{"tag":"markdown","content":"x"}`
	for range depth {
		s = `{"tag":"collapsible_panel","elements":[` + s + `]}`
	}
	return s
}
