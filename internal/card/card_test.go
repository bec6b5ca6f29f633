package card

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestMarshal(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"empty card", New(Header{}),
			`{"schema":"2.0","config":{"update_multi":true},"body":{"elements":[]}}`},
		{"header", New(Header{Title: Plain("New todo"), Template: Blue}),
			`{"schema":"2.0","config":{"update_multi":true},"header":{"title":{"tag":"plain_text","content":"New todo"},"template":"blue"},"body":{"elements":[]}}`},
		{"header subtitle", Header{Title: Plain("T"), Subtitle: LarkMD("**s**")},
			`{"title":{"tag":"plain_text","content":"T"},"subtitle":{"tag":"lark_md","content":"**s**"}}`},
		{"config summary", Config{UpdateMulti: true, WidthMode: "fill", Summary: &Summary{Content: "x"}},
			`{"update_multi":true,"width_mode":"fill","summary":{"content":"x"}}`},
		{"markdown", Markdown{Content: "Hi <at id=ou_1></at>"},
			`{"tag":"markdown","content":"Hi \u003cat id=ou_1\u003e\u003c/at\u003e"}`},
		{"markdown align", Markdown{Content: "x", TextAlign: "center"},
			`{"tag":"markdown","content":"x","text_align":"center"}`},
		{"plain text div", PlainText("**not bold**"),
			`{"tag":"div","text":{"tag":"plain_text","content":"**not bold**"}}`},
		{"divider", Divider{}, `{"tag":"hr"}`},
		{"column set", ColumnSet{FlexMode: "none", Columns: []Column{{Width: "weighted", Weight: 1, Elements: []Element{Divider{}}}, {}}},
			`{"tag":"column_set","flex_mode":"none","columns":[{"tag":"column","width":"weighted","weight":1,"elements":[{"tag":"hr"}]},{"tag":"column","elements":[]}]}`},
		{"empty form", Form{Name: "f"}, `{"tag":"form","name":"f","elements":[]}`},
		{"input", Input{Name: "title", Required: true, MaxLength: 200, Placeholder: Plain("What?"), DefaultValue: "Buy milk"},
			`{"tag":"input","name":"title","required":true,"placeholder":{"tag":"plain_text","content":"What?"},"default_value":"Buy milk","max_length":200}`},
		{"multiline input", Input{Name: "notes", Label: Plain("Notes"), InputType: InputMultiline, Rows: 3},
			`{"tag":"input","name":"notes","required":false,"label":{"tag":"plain_text","content":"Notes"},"input_type":"multiline_text","rows":3}`},
		{"date picker", DatePicker{Name: "due", InitialDate: Date(time.Date(2002, 2, 2, 0, 0, 0, 0, time.UTC))},
			`{"tag":"date_picker","name":"due","required":false,"initial_date":"2002-02-02"}`},
		{"picker time", PickerTime{Name: "at", Required: true, InitialTime: "09:05"},
			`{"tag":"picker_time","name":"at","required":true,"initial_time":"09:05"}`},
		{"picker datetime", PickerDatetime{Name: "when", InitialDatetime: "2002-02-22 18:00"},
			`{"tag":"picker_datetime","name":"when","required":false,"initial_datetime":"2002-02-22 18:00"}`},
		{"select static", SelectStatic{Name: "p", Options: []Option{{Text: Plain("High"), Value: "1"}}, InitialOption: "1"},
			`{"tag":"select_static","name":"p","required":false,"options":[{"text":{"tag":"plain_text","content":"High"},"value":"1"}],"initial_option":"1"}`},
		{"select person, any member", SelectPerson{Name: "assignee", Placeholder: Plain("Assignee")},
			`{"tag":"select_person","name":"assignee","required":false,"placeholder":{"tag":"plain_text","content":"Assignee"},"options":[]}`},
		{"select person, prefilled", SelectPerson{Name: "a", Options: []PersonOption{{Value: "ou_1"}}, InitialOption: "ou_1"},
			`{"tag":"select_person","name":"a","required":false,"options":[{"value":"ou_1"}],"initial_option":"ou_1"}`},
		{"multi select person", MultiSelectPerson{Name: "people", Placeholder: Plain("Who")},
			`{"tag":"multi_select_person","name":"people","required":false,"placeholder":{"tag":"plain_text","content":"Who"},"options":[]}`},
		{"submit button", Button{Name: "submit_btn", Type: ButtonPrimary, Text: Plain("Create"), FormActionType: FormSubmit,
			Behaviors: Callback(map[string]any{"flow": "todo", "iid": "itx_1"})},
			`{"tag":"button","name":"submit_btn","type":"primary","text":{"tag":"plain_text","content":"Create"},"form_action_type":"submit","behaviors":[{"type":"callback","value":{"flow":"todo","iid":"itx_1"}}]}`},
		{"link button", Button{Text: Plain("Open"), Behaviors: OpenURL("https://example.com")},
			`{"tag":"button","text":{"tag":"plain_text","content":"Open"},"behaviors":[{"type":"open_url","default_url":"https://example.com"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// A pointer to an element marshals the same as the value.
func TestMarshalPointer(t *testing.T) {
	got, err := json.Marshal([]Element{&Divider{}, &Markdown{Content: "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `[{"tag":"hr"},{"tag":"markdown","content":"x"}]`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func submit(name string) Button {
	return Button{Name: name, Text: Plain("OK"), FormActionType: FormSubmit}
}

func TestValidate(t *testing.T) {
	many := make([]Element, MaxElements+1)
	for i := range many {
		many[i] = Divider{}
	}
	deep := Element(Markdown{Content: "x"})
	for range MaxNesting + 1 {
		deep = ColumnSet{Columns: []Column{{Elements: []Element{deep}}}}
	}
	tests := []struct {
		name string
		card *Card
		want string // substring of the error; "" for valid
	}{
		{"valid form", New(Header{}, Form{Name: "f", Elements: []Element{Input{Name: "a"}, submit("s")}}, Button{Name: "cancel"}), ""},
		{"submit inside a column of the form", New(Header{}, Form{Name: "f", Elements: []Element{
			ColumnSet{Columns: []Column{{Elements: []Element{submit("s")}}}}}}), ""},
		{"schema", &Card{Config: Config{UpdateMulti: true}}, `schema is ""`},
		{"update_multi", &Card{Schema: Schema}, "update_multi"},
		{"nested form", New(Header{}, ColumnSet{Columns: []Column{{Elements: []Element{Form{Name: "f", Elements: []Element{submit("s")}}}}}}), "not at the root"},
		{"no submit", New(Header{}, Form{Name: "f", Elements: []Element{Input{Name: "a"}}}), "no submit button"},
		{"unnamed input", New(Header{}, Form{Name: "f", Elements: []Element{Input{}, submit("s")}}), "input in form \"f\" has no name"},
		{"unnamed form", New(Header{}, Form{Elements: []Element{submit("s")}}), "a form has no name"},
		{"duplicate name", New(Header{}, Form{Name: "f", Elements: []Element{Input{Name: "x"}, submit("s")}}, Button{Name: "x"}), `"x" is used twice`},
		{"form name clashes", New(Header{}, Form{Name: "f", Elements: []Element{Input{Name: "f"}, submit("s")}}), `"f" is used twice`},
		{"submit outside form", New(Header{}, submit("s")), "outside a form"},
		{"too many", New(Header{}, many...), "201 components"},
		{"too deep", New(Header{}, deep), "nested deeper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.card)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
