package card

import "time"

// The input components below always write "required", true or false: the
// platform's default differs between components and docs (§8.6), and an
// explicit value reads the same in every client.

// Input types (input.input_type).
const (
	InputText      = "text"
	InputMultiline = "multiline_text"
	InputPassword  = "password"
)

// Input is {"tag":"input"}. In a form submit its value arrives as a string
// (a multiline input keeps its "\n").
type Input struct {
	Name         string `json:"name"`
	Required     bool   `json:"required"`
	Label        Text   `json:"label,omitzero"`
	Placeholder  Text   `json:"placeholder,omitzero"` // at most 100 characters
	DefaultValue string `json:"default_value,omitempty"`
	MaxLength    int    `json:"max_length,omitempty"` // 1..1000; the platform's default is 1000
	InputType    string `json:"input_type,omitempty"` // InputMultiline, ...
	Rows         int    `json:"rows,omitempty"`       // visible rows of a multiline input
}

func (i Input) node() node { return node{tag: "input", name: i.Name} }

// MarshalJSON implements json.Marshaler.
func (i Input) MarshalJSON() ([]byte, error) {
	type fields Input
	return tagged(i, fields(i))
}

// Layouts of the initial values the pickers take, and of the values a form
// submit carries (with the user's UTC offset, e.g. "2024-11-15 +0800").
const (
	DateLayout          = "2006-01-02"
	TimeLayout          = "15:04"
	DatetimeLayout      = "2006-01-02 15:04"
	DateValueLayout     = "2006-01-02 -0700"
	TimeValueLayout     = "15:04 -0700"
	DatetimeValueLayout = "2006-01-02 15:04 -0700"
)

// Date formats t's calendar date for DatePicker.InitialDate, zero padded
// ("2024-04-01", never "2024-4-1").
func Date(t time.Time) string { return t.Format(DateLayout) }

// DatePicker is {"tag":"date_picker"}; its submitted value looks like
// "2024-04-01 +0800" (DateValueLayout).
type DatePicker struct {
	Name        string `json:"name"`
	Required    bool   `json:"required"`
	Placeholder Text   `json:"placeholder,omitzero"`
	InitialDate string `json:"initial_date,omitempty"` // DateLayout; see Date
}

func (d DatePicker) node() node { return node{tag: "date_picker", name: d.Name} }

// MarshalJSON implements json.Marshaler.
func (d DatePicker) MarshalJSON() ([]byte, error) {
	type fields DatePicker
	return tagged(d, fields(d))
}

// PickerTime is {"tag":"picker_time"}; its submitted value looks like
// "19:09 +0800" (TimeValueLayout).
type PickerTime struct {
	Name        string `json:"name"`
	Required    bool   `json:"required"`
	Placeholder Text   `json:"placeholder,omitzero"`
	InitialTime string `json:"initial_time,omitempty"` // TimeLayout
}

func (p PickerTime) node() node { return node{tag: "picker_time", name: p.Name} }

// MarshalJSON implements json.Marshaler.
func (p PickerTime) MarshalJSON() ([]byte, error) {
	type fields PickerTime
	return tagged(p, fields(p))
}

// PickerDatetime is {"tag":"picker_datetime"}; its submitted value looks like
// "2024-04-29 07:07 +0800" (DatetimeValueLayout).
type PickerDatetime struct {
	Name            string `json:"name"`
	Required        bool   `json:"required"`
	Placeholder     Text   `json:"placeholder,omitzero"`
	InitialDatetime string `json:"initial_datetime,omitempty"` // DatetimeLayout
}

func (p PickerDatetime) node() node { return node{tag: "picker_datetime", name: p.Name} }

// MarshalJSON implements json.Marshaler.
func (p PickerDatetime) MarshalJSON() ([]byte, error) {
	type fields PickerDatetime
	return tagged(p, fields(p))
}

// Option is one choice of a SelectStatic.
type Option struct {
	Text  Text   `json:"text"`
	Value string `json:"value"` // unique within the select
}

// SelectStatic is {"tag":"select_static"}; its submitted value is the chosen
// option's Value.
type SelectStatic struct {
	Name          string   `json:"name"`
	Required      bool     `json:"required"`
	Placeholder   Text     `json:"placeholder,omitzero"`
	Options       []Option `json:"options"`
	InitialOption string   `json:"initial_option,omitempty"` // an option's Value
}

func (s SelectStatic) node() node { return node{tag: "select_static", name: s.Name} }

// MarshalJSON implements json.Marshaler.
func (s SelectStatic) MarshalJSON() ([]byte, error) {
	type fields SelectStatic
	f := fields(s)
	f.Options = nonNil(f.Options)
	return tagged(s, f)
}

// PersonOption is one candidate of a SelectPerson.
type PersonOption struct {
	Value string `json:"value"` // open_id
}

// SelectPerson is {"tag":"select_person"}; its submitted value is the chosen
// member's open_id. Empty Options (written as []) offer every member of the
// chat. InitialOption only works when it is one of Options, so a prefill
// restricts the candidates (§8.6).
type SelectPerson struct {
	Name          string         `json:"name"`
	Required      bool           `json:"required"`
	Placeholder   Text           `json:"placeholder,omitzero"`
	Options       []PersonOption `json:"options"`
	InitialOption string         `json:"initial_option,omitempty"` // open_id, one of Options
}

func (s SelectPerson) node() node { return node{tag: "select_person", name: s.Name} }

// MarshalJSON implements json.Marshaler.
func (s SelectPerson) MarshalJSON() ([]byte, error) {
	type fields SelectPerson
	f := fields(s)
	f.Options = nonNil(f.Options)
	return tagged(s, f)
}

// MultiSelectPerson is {"tag":"multi_select_person"}, allowed only inside a
// form; its submitted value is an array of open_ids. Empty Options offer
// every member of the chat. SelectedValues preselects members; like
// SelectPerson's InitialOption it is only documented for ids in Options
// (§8.6), so botd shows a prefill as text instead and leaves it empty.
type MultiSelectPerson struct {
	Name           string         `json:"name"`
	Required       bool           `json:"required"`
	Placeholder    Text           `json:"placeholder,omitzero"`
	Options        []PersonOption `json:"options"`
	SelectedValues []string       `json:"selected_values,omitempty"`
}

func (s MultiSelectPerson) node() node { return node{tag: "multi_select_person", name: s.Name} }

// MarshalJSON implements json.Marshaler.
func (s MultiSelectPerson) MarshalJSON() ([]byte, error) {
	type fields MultiSelectPerson
	f := fields(s)
	f.Options = nonNil(f.Options)
	return tagged(s, f)
}
