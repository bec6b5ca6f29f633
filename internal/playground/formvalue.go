package playground

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// formField is one input of a submitted form as the page reads it: the
// component's name and tag, and the browser's value (a string, a list of
// strings for multi-selects, a boolean for a checker).
type formField struct {
	Name  string          `json:"name"`
	Tag   string          `json:"tag"`
	Value json.RawMessage `json:"value"`
}

// buildFormValue is what the client puts in action.form_value (§8.6, §9.2):
// strings for inputs, selects and person pickers; dates and times with the
// member's UTC offset ("2024-04-01 +0800"); arrays for multi-selects.
//
// Unfilled fields are left out. Whether the platform omits them or sends
// them empty is unconfirmed (§8.5); botd treats both alike.
func buildFormValue(fields []formField, zone string, now time.Time) (map[string]any, error) {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w", zone, err)
	}
	out := map[string]any{}
	for _, f := range fields {
		if f.Name == "" {
			// What the client refuses with error 200530.
			return nil, fmt.Errorf("a %s in the form has no name (client error 200530)", f.Tag)
		}
		v, err := fieldValue(f, loc, now)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", f.Name, err)
		}
		if v != nil {
			out[f.Name] = v
		}
	}
	return out, nil
}

// fieldValue converts one field; nil means unfilled.
func fieldValue(f formField, loc *time.Location, now time.Time) (any, error) {
	switch f.Tag {
	case "multi_select_static", "multi_select_person":
		var vs []string
		if err := json.Unmarshal(f.Value, &vs); err != nil {
			return nil, fmt.Errorf("want a list of strings: %w", err)
		}
		if len(vs) == 0 {
			return nil, nil
		}
		return vs, nil
	case "checker":
		var b bool
		if err := json.Unmarshal(f.Value, &b); err != nil {
			return nil, fmt.Errorf("want a boolean: %w", err)
		}
		return b, nil
	}
	var s string
	if err := json.Unmarshal(f.Value, &s); err != nil {
		return nil, fmt.Errorf("want a string: %w", err)
	}
	if s == "" {
		return nil, nil
	}
	switch f.Tag {
	case "date_picker":
		d, err := time.ParseInLocation("2006-01-02", s, loc)
		if err != nil {
			return nil, fmt.Errorf("date %q: %w", s, err)
		}
		return d.Format("2006-01-02 -0700"), nil
	case "picker_time":
		t, err := time.Parse("15:04", s)
		if err != nil {
			return nil, fmt.Errorf("time %q: %w", s, err)
		}
		// A time of day carries today's offset in the member's zone.
		return t.Format("15:04") + " " + now.In(loc).Format("-0700"), nil
	case "picker_datetime":
		t, err := time.ParseInLocation("2006-01-02 15:04", strings.Replace(s, "T", " ", 1), loc)
		if err != nil {
			return nil, fmt.Errorf("date and time %q: %w", s, err)
		}
		return t.Format("2006-01-02 15:04 -0700"), nil
	default:
		return s, nil
	}
}
