package card

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// Element is a component of a card body, form or column. Only the types of
// this package implement it.
type Element interface {
	json.Marshaler
	node() node
}

// node is what Validate needs to know about an element.
type node struct {
	tag    string
	name   string    // component name ("" when it has none)
	submit bool      // a form submit button
	kids   []Element // children of a container
}

// tagged marshals fields (an element's fields, as a type without methods) and
// puts "tag" first, the way the platform's docs write components.
//
// HTML characters are left as they are (<at id=...>, not \u003cat): both
// spellings are valid JSON, and json.Marshal of the whole card escapes them
// again anyway; an Encoder with SetEscapeHTML(false) keeps them readable.
func tagged(e Element, fields any) ([]byte, error) {
	b, err := marshal(fields)
	if err != nil {
		return nil, err
	}
	tag := strconv.Quote(e.node().tag) // tags are plain ASCII
	out := make([]byte, 0, len(b)+len(tag)+8)
	out = append(out, `{"tag":`...)
	out = append(out, tag...)
	if len(b) > 2 { // b is "{...}" with at least one key
		out = append(out, ',')
		out = append(out, b[1:]...)
		return out, nil
	}
	return append(out, '}'), nil
}

// marshal is json.Marshal without HTML escaping.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Markdown is {"tag":"markdown"}: rich text with <at id=...></at> mentions and
// <font color='red'>...</font>. Never put user input in it unescaped.
type Markdown struct {
	Content   string `json:"content"`
	TextAlign string `json:"text_align,omitempty"` // left, center, right
	TextSize  string `json:"text_size,omitempty"`  // normal, heading, notation, ...
}

func (m Markdown) node() node { return node{tag: "markdown"} }

// MarshalJSON implements json.Marshaler.
func (m Markdown) MarshalJSON() ([]byte, error) {
	type fields Markdown
	return tagged(m, fields(m))
}

// Div is {"tag":"div"}: one text block. With Plain text it is the element for
// content a user typed, which must not be read as markdown.
type Div struct {
	Text Text `json:"text"`
}

// PlainText returns a Div that shows s as is.
func PlainText(s string) Div { return Div{Text: Plain(s)} }

func (d Div) node() node { return node{tag: "div"} }

// MarshalJSON implements json.Marshaler.
func (d Div) MarshalJSON() ([]byte, error) {
	type fields Div
	return tagged(d, fields(d))
}

// Divider is {"tag":"hr"}, a horizontal rule.
type Divider struct{}

func (Divider) node() node { return node{tag: "hr"} }

// MarshalJSON implements json.Marshaler.
func (d Divider) MarshalJSON() ([]byte, error) { return tagged(d, struct{}{}) }

// ColumnSet is {"tag":"column_set"}: columns side by side.
type ColumnSet struct {
	FlexMode          string   `json:"flex_mode,omitempty"`          // none, stretch, flow, bisect, trisect
	HorizontalSpacing string   `json:"horizontal_spacing,omitempty"` // e.g. "8px", small, medium
	Columns           []Column `json:"columns"`
}

func (c ColumnSet) node() node {
	kids := make([]Element, len(c.Columns))
	for i, col := range c.Columns {
		kids[i] = col
	}
	return node{tag: "column_set", kids: kids}
}

// MarshalJSON implements json.Marshaler, in one pass (write.go).
func (c ColumnSet) MarshalJSON() ([]byte, error) { return writeContainer(c) }

// Column is {"tag":"column"}, one column of a ColumnSet.
type Column struct {
	Width         string    `json:"width,omitempty"`  // auto, weighted, or "Npx"
	Weight        int       `json:"weight,omitempty"` // with Width "weighted": 1..5
	VerticalAlign string    `json:"vertical_align,omitempty"`
	Elements      []Element `json:"elements"`
}

func (c Column) node() node { return node{tag: "column", kids: c.Elements} }

// MarshalJSON implements json.Marshaler, in one pass (write.go).
func (c Column) MarshalJSON() ([]byte, error) { return writeContainer(c) }

// Form is {"tag":"form"}: the container whose input values are sent together
// in one callback when its submit button is clicked. It may only sit at the
// root of the body (see Validate).
type Form struct {
	Name     string    `json:"name"`
	Elements []Element `json:"elements"`
}

func (f Form) node() node { return node{tag: "form", name: f.Name, kids: f.Elements} }

// MarshalJSON implements json.Marshaler, in one pass (write.go).
func (f Form) MarshalJSON() ([]byte, error) { return writeContainer(f) }

// Button types (button.type).
const (
	ButtonDefault = "default"
	ButtonPrimary = "primary"
	ButtonDanger  = "danger"
	ButtonText    = "text"
)

// Form action types (button.form_action_type).
const (
	FormSubmit = "submit"
	FormReset  = "reset"
)

// Button is {"tag":"button"}. In JSON 2.0 it sits directly in the body, a
// column or a form: there is no "action" module.
type Button struct {
	Name           string     `json:"name,omitempty"` // required inside a form
	Type           string     `json:"type,omitempty"` // ButtonPrimary, ...
	Size           string     `json:"size,omitempty"` // tiny, small, medium, large
	Width          string     `json:"width,omitempty"`
	Text           Text       `json:"text"`
	FormActionType string     `json:"form_action_type,omitempty"` // FormSubmit, FormReset
	Behaviors      []Behavior `json:"behaviors,omitempty"`
}

func (b Button) node() node {
	return node{tag: "button", name: b.Name, submit: b.FormActionType == FormSubmit}
}

// MarshalJSON implements json.Marshaler.
func (b Button) MarshalJSON() ([]byte, error) {
	type fields Button
	return tagged(b, fields(b))
}

// Behavior is what a click does: send a callback or open a URL.
type Behavior struct {
	Type       string         `json:"type"`
	Value      map[string]any `json:"value,omitempty"`
	DefaultURL string         `json:"default_url,omitempty"`
}

// Callback returns the behaviours of a button that sends value, an object, in
// the card.action.trigger callback (as action.value).
func Callback(value map[string]any) []Behavior {
	return []Behavior{{Type: "callback", Value: value}}
}

// OpenURL returns the behaviours of a button that opens url.
func OpenURL(url string) []Behavior {
	return []Behavior{{Type: "open_url", DefaultURL: url}}
}
