// Package card models the subset of Feishu/Lark card JSON 2.0 that botd
// sends: a card with a header and a body of elements (text, layout, a form
// and its input components, buttons). The types marshal to exactly the JSON
// the platform documents; optional fields are left out when empty, so a card
// carries only what was set.
//
// Element values are built as struct literals:
//
//	c := card.New(card.Header{Title: card.Plain("New todo"), Template: card.Blue},
//		card.Form{Name: "todo_form", Elements: []card.Element{
//			card.Input{Name: "title", Required: true, MaxLength: 200},
//			card.Button{Name: "submit_btn", Text: card.Plain("Create"), FormActionType: card.FormSubmit},
//		}},
//	)
//
// Every element type writes its own "tag", so a literal can never carry the
// wrong one. Validate checks the form rules the platform enforces (§8.5 of
// docs/feishu-platform.md) before a card reaches a user.
package card

// Schema is the value of the "schema" key of a JSON 2.0 card.
const Schema = "2.0"

// Card is a JSON 2.0 card: {"schema":"2.0","config":...,"header":...,"body":...}.
type Card struct {
	Schema string `json:"schema"`
	Config Config `json:"config,omitzero"`
	Header Header `json:"header,omitzero"`
	Body   Body   `json:"body"`

	// variants are the same card in other languages (Localized).
	variants  map[string]*Card
	defLocale string
}

// New returns a JSON 2.0 card with the given header and body elements. It is
// a shared card (update_multi), the only kind JSON 2.0 allows; saying so
// explicitly keeps the card PATCHable whatever the platform's default.
func New(h Header, elements ...Element) *Card {
	return &Card{
		Schema: Schema,
		Config: Config{UpdateMulti: true},
		Header: h,
		Body:   Body{Elements: elements},
	}
}

// Config is the card's "config" object.
type Config struct {
	UpdateMulti bool     `json:"update_multi"`
	WidthMode   string   `json:"width_mode,omitempty"` // default, compact, fill
	Summary     *Summary `json:"summary,omitempty"`    // preview text in the chat list
}

// Summary is the preview text shown in the chat list.
type Summary struct {
	Content string `json:"content"`
}

// Header is the card's title bar.
type Header struct {
	Title    Text   `json:"title"`
	Subtitle Text   `json:"subtitle,omitzero"`
	Template string `json:"template,omitempty"` // colour, e.g. Blue
}

// Header colours (header.template).
const (
	Blue      = "blue"
	Wathet    = "wathet"
	Turquoise = "turquoise"
	Green     = "green"
	Yellow    = "yellow"
	Orange    = "orange"
	Red       = "red"
	Carmine   = "carmine"
	Violet    = "violet"
	Purple    = "purple"
	Indigo    = "indigo"
	Grey      = "grey"
	Default   = "default"
)

// Body holds the card's elements.
type Body struct {
	Elements []Element `json:"elements"`
}

// MarshalJSON writes "elements": [] rather than null for an empty body,
// in one pass (write.go).
func (b Body) MarshalJSON() ([]byte, error) {
	w := newWriter()
	if err := w.body(b); err != nil {
		return nil, err
	}
	return w.out, nil
}

// Text is a text object: {"tag":"plain_text"|"lark_md","content":"..."}.
type Text struct {
	Tag     string `json:"tag"`
	Content string `json:"content"`
}

// Plain returns a plain_text object: shown as is, so it is the safe choice
// for text a user typed.
func Plain(s string) Text { return Text{Tag: "plain_text", Content: s} }

// LarkMD returns a lark_md object (markdown, mentions with <at id=...></at>).
func LarkMD(s string) Text { return Text{Tag: "lark_md", Content: s} }

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
