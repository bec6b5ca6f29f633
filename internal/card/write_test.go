package card

import (
	"bytes"
	"encoding/json"
	"testing"
)

// nestedElem writes an element as every element was written before the
// writer: encoding/json through the MarshalJSON of each level. It is the
// oracle of TestWriterAsNested.
type nestedElem struct{ e Element }

func (n nestedElem) node() node { return n.e.node() }

func (n nestedElem) MarshalJSON() ([]byte, error) {
	switch c := n.e.(type) {
	case Form:
		type fields Form
		v := fields(c)
		v.Elements = nonNil(wrapNested(c.Elements))
		return tagged(c, v)
	case Column:
		type fields Column
		f := fields(c)
		f.Elements = nonNil(wrapNested(c.Elements))
		return tagged(c, f)
	case ColumnSet:
		type fields struct {
			FlexMode          string       `json:"flex_mode,omitempty"`
			HorizontalSpacing string       `json:"horizontal_spacing,omitempty"`
			Columns           []nestedElem `json:"columns"`
		}
		f := fields{FlexMode: c.FlexMode, HorizontalSpacing: c.HorizontalSpacing, Columns: []nestedElem{}}
		for _, col := range c.Columns {
			f.Columns = append(f.Columns, nestedElem{col})
		}
		return tagged(c, f)
	}
	return n.e.MarshalJSON()
}

func wrapNested(es []Element) []Element {
	if es == nil {
		return nil
	}
	out := make([]Element, len(es))
	for i, e := range es {
		out[i] = nestedElem{e}
	}
	return out
}

type nestedBody struct{ b Body }

func (n nestedBody) MarshalJSON() ([]byte, error) {
	return marshal(struct {
		Elements []Element `json:"elements"`
	}{nonNil(wrapNested(n.b.Elements))})
}

// nestedCard is a card in one language as it was written before the writer.
func nestedCard(c *Card) ([]byte, error) {
	return marshalText(struct {
		Schema string     `json:"schema"`
		Config Config     `json:"config,omitzero"`
		Header Header     `json:"header,omitzero"`
		Body   nestedBody `json:"body"`
	}{c.Schema, c.Config, c.Header, nestedBody{c.Body}})
}

// The writer gives the bytes nested MarshalJSON calls gave, for every kind
// of element, nested in every container, empty or not, with markup, quotes
// and text in other scripts.
func TestWriterAsNested(t *testing.T) {
	leaves := []Element{
		Markdown{Content: `Hi <at id=ou_1></at> & "you" 好的 \ / ` + "\u2028", TextAlign: "center"},
		PlainText("**not bold** <b>"),
		Divider{},
		Input{Name: "title", Required: true, MaxLength: 200, Placeholder: Plain("What?"), DefaultValue: "Buy <milk>"},
		DatePicker{Name: "due", InitialDate: "2002-02-02"},
		PickerTime{Name: "at", InitialTime: "09:05"},
		PickerDatetime{Name: "when", InitialDatetime: "2002-02-22 18:00"},
		SelectStatic{Name: "p", Options: []Option{{Text: Plain("High"), Value: "1"}}},
		SelectPerson{Name: "a", Options: []PersonOption{{Value: "ou_1"}}, InitialOption: "ou_1"},
		MultiSelectPerson{Name: "people", SelectedValues: []string{"ou_1"}},
		Button{Name: "submit_btn", Type: ButtonPrimary, Text: Plain("Create"), FormActionType: FormSubmit,
			Behaviors: Callback(map[string]any{"flow": "todo", "iid": "itx_1", "n": 1.5, "html": "<&>"})},
		Button{Text: Plain("Open"), Behaviors: OpenURL("https://example.com/?a=1&b=<2>")},
	}
	cols := ColumnSet{FlexMode: "none", HorizontalSpacing: "8px", Columns: []Column{
		{Width: "weighted", Weight: 1, VerticalAlign: "top", Elements: leaves[:3]},
		{},
		{Elements: []Element{ColumnSet{}}},
	}}
	cards := map[string]*Card{
		"empty":          New(Header{}),
		"no config":      {Schema: Schema},
		"leaves":         New(Header{Title: Plain("New <todo>"), Subtitle: LarkMD("**s**"), Template: Blue}, leaves...),
		"columns":        New(Header{Title: Plain("T")}, cols, Divider{}),
		"form":           New(Header{Title: Plain("F")}, Form{Name: "f", Elements: append(append([]Element{}, leaves...), cols)}),
		"empty form":     New(Header{}, Form{Name: "f"}, Form{}),
		"summary config": {Schema: Schema, Config: Config{UpdateMulti: true, WidthMode: "fill", Summary: &Summary{Content: "x <y>"}}, Body: Body{Elements: []Element{cols}}},
	}
	for name, c := range cards {
		t.Run(name, func(t *testing.T) {
			want, err := nestedCard(c)
			if err != nil {
				t.Fatal(err)
			}
			w := newWriter()
			if err := w.card(*c); err != nil {
				t.Fatal(err)
			}
			if w.fallbacks != 0 {
				t.Errorf("%d containers written as nested calls: a field follows the children", w.fallbacks)
			}
			got, err := c.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("writer:\n%s\nnested:\n%s", got, want)
			}
			// And as callers see it: json.Marshal of the card, HTML escaped.
			gotM, _ := json.Marshal(c)
			wantM, _ := json.Marshal(json.RawMessage(want))
			if !bytes.Equal(gotM, wantM) {
				t.Fatalf("json.Marshal:\n%s\nnested:\n%s", gotM, wantM)
			}
			// Each container alone, too.
			for _, e := range c.Body.Elements {
				got, err := e.MarshalJSON()
				if err != nil {
					t.Fatal(err)
				}
				want, err := nestedElem{e}.MarshalJSON()
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("%T:\n%s\nnested:\n%s", e, got, want)
				}
			}
		})
	}
}

// BenchmarkMarshal writes a form as a member gets it, and a group card in
// two languages, as the Open API client does (json.Marshal).
func BenchmarkMarshal(b *testing.B) {
	form := func(title string) *Card {
		return New(Header{Title: Plain(title), Template: Blue},
			Form{Name: "todo_form", Elements: []Element{
				Input{Name: "title", Required: true, MaxLength: 200, Label: Plain("Title"), DefaultValue: "Buy milk"},
				SelectPerson{Name: "assignee", Placeholder: Plain("Assignee"), Options: []PersonOption{{Value: "ou_1"}}, InitialOption: "ou_1"},
				DatePicker{Name: "due_date", Placeholder: Plain("Due"), InitialDate: "2024-11-15"},
				Input{Name: "notes", Label: Plain("Notes"), InputType: InputMultiline, Rows: 3},
				ColumnSet{Columns: []Column{
					{Elements: []Element{Button{Name: "submit_btn", Type: ButtonPrimary, Text: Plain("Create"), FormActionType: FormSubmit,
						Behaviors: Callback(map[string]any{"flow": "todo", "iid": "itx_1", "a": "submit"})}}},
					{Elements: []Element{Button{Name: "cancel_btn", Text: Plain("Cancel"),
						Behaviors: Callback(map[string]any{"flow": "todo", "iid": "itx_1", "a": "cancel"})}}},
				}},
			}})
	}
	group := func(title, who string) *Card {
		return New(Header{Title: Plain(title), Template: Green},
			Markdown{Content: who + " <at id=ou_1></at>"},
			PlainText("Buy milk\nSemi-skimmed, 2 l"),
			Button{Name: "done_btn", Text: Plain(title), Behaviors: Callback(map[string]any{"flow": "todo", "id": "td_1"})})
	}
	for _, tc := range []struct {
		name string
		card func() *Card
	}{
		{"form", func() *Card { return form("New todo") }},
		{"localized", func() *Card {
			return Localized("en_us", map[string]*Card{"en_us": group("Todo", "Assignee"), "zh_cn": group("待办", "负责人")})
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			c := tc.card()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := json.Marshal(c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
