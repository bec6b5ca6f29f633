package card

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// JSON 1.0 cards (docs/feishu-platform.md §8.1, §8.3): no "schema", the
// components in a top-level "elements" list, and buttons only inside an
// "action" module, each carrying its callback as a "value" object. botd
// sends JSON 2.0 everywhere it can; 1.0 is for where 2.0 is not known to
// work: the cards a member shares from the web app with the client's
// tt.sendMessageCard, whose reference describes only 1.0 (§13.3).
//
// The types below are the subset botd sends; like the 2.0 types, every
// element writes its own "tag", and a button can only be built inside an
// action module (V1Action holds V1Buttons, nothing else can).

// V1 is a JSON 1.0 card: {"config":...,"header":...,"elements":[...]}.
type V1 struct {
	Config   V1Config    `json:"config"`
	Header   V1Header    `json:"header"`
	Elements []V1Element `json:"elements"`
}

// NewV1 returns a shared JSON 1.0 card (config.update_multi true): a 1.0
// card is exclusive by default, and only a shared one can be updated for
// everyone, by a callback's answer or a PATCH (§8.3, §10.2).
func NewV1(h V1Header, elements ...V1Element) *V1 {
	return &V1{Config: V1Config{UpdateMulti: true, EnableForward: true}, Header: h, Elements: elements}
}

// V1Config is the card's "config" object.
type V1Config struct {
	UpdateMulti   bool `json:"update_multi"`
	EnableForward bool `json:"enable_forward"`
}

// V1Header is the card's title bar.
type V1Header struct {
	Title    Text   `json:"title"`
	Template string `json:"template,omitempty"` // colour, e.g. Blue
}

// MarshalJSON writes "elements": [] rather than null.
func (c V1) MarshalJSON() ([]byte, error) {
	type plain V1
	p := plain(c)
	p.Elements = nonNil(p.Elements)
	return marshalText(p)
}

// V1Element is a component of a JSON 1.0 card. Only the types of this
// package implement it.
type V1Element interface {
	MarshalJSON() ([]byte, error)
	v1tag() string
}

// V1Div is {"tag":"div","text":...}: one block of text. Plain text for
// what a member typed, lark_md for botd's own lines (mentions, bold).
type V1Div struct {
	Text Text `json:"text"`
}

func (V1Div) v1tag() string { return "div" }

// MarshalJSON implements json.Marshaler.
func (d V1Div) MarshalJSON() ([]byte, error) {
	type fields V1Div
	return v1tagged(d, fields(d))
}

// V1Hr is {"tag":"hr"}, a horizontal rule.
type V1Hr struct{}

func (V1Hr) v1tag() string { return "hr" }

// MarshalJSON implements json.Marshaler.
func (h V1Hr) MarshalJSON() ([]byte, error) { return v1tagged(h, struct{}{}) }

// V1Note is {"tag":"note","elements":[text...]}: small grey text.
type V1Note struct {
	Elements []Text `json:"elements"`
}

func (V1Note) v1tag() string { return "note" }

// MarshalJSON implements json.Marshaler.
func (n V1Note) MarshalJSON() ([]byte, error) {
	type fields V1Note
	f := fields(n)
	f.Elements = nonNil(f.Elements)
	return v1tagged(n, f)
}

// V1Action is the action module {"tag":"action","actions":[...]}: the only
// place a JSON 1.0 card may hold buttons outside a form.
type V1Action struct {
	Actions []V1Button `json:"actions"`
	Layout  string     `json:"layout,omitempty"` // bisected, trisection, flow
}

func (V1Action) v1tag() string { return "action" }

// MarshalJSON implements json.Marshaler.
func (a V1Action) MarshalJSON() ([]byte, error) {
	type fields V1Action
	f := fields(a)
	f.Actions = nonNil(f.Actions)
	return v1tagged(a, f)
}

// V1Button is {"tag":"button"} in an action module. Its click sends Value,
// an object, as the callback's action.value (JSON 1.0 has no behaviors).
type V1Button struct {
	Name  string         `json:"name,omitempty"`
	Text  Text           `json:"text"`
	Type  string         `json:"type,omitempty"` // ButtonDefault, ButtonPrimary, ButtonDanger
	Value map[string]any `json:"value,omitempty"`
}

// MarshalJSON implements json.Marshaler.
func (b V1Button) MarshalJSON() ([]byte, error) {
	type fields V1Button
	return marshalText(struct {
		Tag string `json:"tag"`
		fields
	}{"button", fields(b)})
}

// v1tagged puts "tag" first, as tagged does for JSON 2.0 elements.
func v1tagged(e V1Element, fields any) ([]byte, error) {
	b, err := marshal(fields)
	if err != nil {
		return nil, err
	}
	out := []byte(`{"tag":"` + e.v1tag() + `"`)
	if len(b) > 2 {
		out = append(out, ',')
		return append(out, b[1:]...), nil
	}
	return append(out, '}'), nil
}

// Content1 is the cardContent of tt.sendMessageCard (§13.3): the card and
// how it is updated. botd only shares shared cards (update_multi true), so
// that a click's answer updates the copy every member of the chat sees.
type Content1 struct {
	MsgType     string `json:"msg_type"`
	UpdateMulti bool   `json:"update_multi"`
	Card        *V1    `json:"card"`
}

// MsgInteractive is the msg_type of a card message.
const MsgInteractive = "interactive"

// NewContent1 wraps c for tt.sendMessageCard.
func NewContent1(c *V1) Content1 {
	return Content1{MsgType: MsgInteractive, UpdateMulti: true, Card: c}
}

// MaxContent1Bytes is the documented bound of tt.sendMessageCard's
// cardContent: "卡片请求体大小不能超过20k" (§13.3), read as 20 KiB of the
// encoded cardContent.
const MaxContent1Bytes = 20 * 1024

// Limits of JSON 1.0 components botd enforces: the client truncates or
// refuses longer button texts (the simulator refuses them); the rest keep a
// card far inside MaxContent1Bytes.
const (
	maxV1ButtonText = 100
	maxV1Elements   = 50
	maxV1Buttons    = 10
)

// V1Colours are the documented header.template values (§8.2, the same
// list for 1.0).
var V1Colours = []string{Blue, Wathet, Turquoise, Green, Yellow, Orange, Red, Carmine, Violet, Purple, Indigo, Grey, Default}

// Validate1 reports every way c breaks the rules of JSON 1.0 cards botd
// relies on, joined, or nil:
//   - config.update_multi true (a shared card, §8.3);
//   - a header with a non-empty plain_text or lark_md title, and a known colour;
//   - at least one element and at most 50;
//   - every text object a plain_text or lark_md one; a div's text not empty,
//     a note's elements at least one;
//   - action modules with 1 to 10 buttons, each with a text of 1 to 100
//     characters, a known type and a non-empty value object (a button that
//     sends nothing is a broken button), names unique in the card.
//
// The JSON 2.0 rules do not apply: 1.0 has no "schema", no behaviors and no
// 200-component count (§8.1).
func Validate1(c *V1) error {
	if c == nil {
		return errors.New("card: no JSON 1.0 card")
	}
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf("card 1.0: "+format, args...)) }
	if !c.Config.UpdateMulti {
		fail("config.update_multi must be true (a shared card)")
	}
	if err := checkText1(c.Header.Title); err != nil || c.Header.Title.Content == "" {
		fail("header.title must be a non-empty plain_text or lark_md text")
	}
	if c.Header.Template != "" && !slices.Contains(V1Colours, c.Header.Template) {
		fail("header.template %q is not a known colour", c.Header.Template)
	}
	switch n := len(c.Elements); {
	case n == 0:
		fail("no elements")
	case n > maxV1Elements:
		fail("%d elements, at most %d", n, maxV1Elements)
	}
	names := map[string]bool{}
	for i, e := range c.Elements {
		at := fmt.Sprintf("elements[%d]", i)
		switch e := e.(type) {
		case V1Div:
			if err := checkText1(e.Text); err != nil || strings.TrimSpace(e.Text.Content) == "" {
				fail("%s: a div needs a non-empty plain_text or lark_md text", at)
			}
		case V1Hr:
		case V1Note:
			if len(e.Elements) == 0 {
				fail("%s: a note needs at least one text", at)
			}
			for j, t := range e.Elements {
				if err := checkText1(t); err != nil {
					fail("%s.elements[%d]: %v", at, j, err)
				}
			}
		case V1Action:
			if len(e.Actions) == 0 || len(e.Actions) > maxV1Buttons {
				fail("%s: an action module holds 1 to %d buttons, not %d", at, maxV1Buttons, len(e.Actions))
			}
			for j, b := range e.Actions {
				checkButton1(fmt.Sprintf("%s.actions[%d]", at, j), b, names, fail)
			}
		default:
			fail("%s: %T is not a JSON 1.0 element botd sends", at, e)
		}
	}
	return errors.Join(errs...)
}

func checkButton1(at string, b V1Button, names map[string]bool, fail func(string, ...any)) {
	if err := checkText1(b.Text); err != nil {
		fail("%s.text: %v", at, err)
	}
	if n := utf8.RuneCountInString(b.Text.Content); n == 0 || n > maxV1ButtonText {
		fail("%s.text: %d characters, want 1 to %d", at, n, maxV1ButtonText)
	}
	if b.Type != "" && !slices.Contains([]string{ButtonDefault, ButtonPrimary, ButtonDanger}, b.Type) {
		fail("%s.type %q: want default, primary or danger", at, b.Type)
	}
	if len(b.Value) == 0 {
		fail("%s: a button without a value object sends nothing", at)
	}
	if b.Name != "" {
		if names[b.Name] {
			fail("%s: name %q is used twice", at, b.Name)
		}
		names[b.Name] = true
	}
}

func checkText1(t Text) error {
	if t.Tag != "plain_text" && t.Tag != "lark_md" {
		return fmt.Errorf("text tag %q: want plain_text or lark_md", t.Tag)
	}
	return nil
}

// ValidateContent1 checks a cardContent for tt.sendMessageCard: msg_type
// "interactive", update_multi true, a card that passes Validate1, and at
// most MaxContent1Bytes once encoded, measured both as botd encodes it
// and with HTML characters escaped (Go's default), whichever is longer.
func ValidateContent1(c Content1) error {
	var errs []error
	if c.MsgType != MsgInteractive {
		errs = append(errs, fmt.Errorf("card content: msg_type %q, want %q", c.MsgType, MsgInteractive))
	}
	if !c.UpdateMulti {
		errs = append(errs, errors.New("card content: update_multi must be true"))
	}
	if err := Validate1(c.Card); err != nil {
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		if n, err := Content1Size(c); err != nil {
			errs = append(errs, err)
		} else if n > MaxContent1Bytes {
			errs = append(errs, fmt.Errorf("card content: %d bytes, at most %d", n, MaxContent1Bytes))
		}
	}
	return errors.Join(errs...)
}

// Content1Size is the encoded size of c in bytes: the larger of its
// encoding without HTML escaping (how botd and a browser's JSON.stringify
// write it) and with it (how json.Marshal writes it: "<" becomes "\u003c").
func Content1Size(c Content1) (int, error) {
	plain, err := marshalText(c)
	if err != nil {
		return 0, fmt.Errorf("card content: %w", err)
	}
	escaped, err := json.Marshal(c)
	if err != nil {
		return 0, fmt.Errorf("card content: %w", err)
	}
	return max(len(plain), len(escaped)), nil
}
