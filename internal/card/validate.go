package card

import (
	"errors"
	"fmt"
)

// Limits of JSON 2.0 cards (docs/feishu-platform.md §8.1, §8.5).
const (
	MaxElements = 200 // components per card
	MaxNesting  = 5   // container levels
)

// interactive lists the tags that need a name inside a form: without one the
// client refuses the submit (error 200530).
var interactive = map[string]bool{
	"input": true, "date_picker": true, "picker_time": true, "picker_datetime": true,
	"select_static": true, "multi_select_static": true, "select_person": true,
	"multi_select_person": true, "checker": true, "button": true,
}

// Validate reports the ways c breaks the rules the platform enforces on JSON
// 2.0 cards and forms, all of them joined, or nil:
//   - schema "2.0" and config.update_multi true;
//   - at most MaxElements components and MaxNesting container levels;
//   - forms only at the root of the body, never nested;
//   - every interactive component in a form named, and every name unique in the card;
//   - every form has a submit button, and submit buttons sit only in forms.
func Validate(c *Card) error {
	v := validator{names: map[string]bool{}}
	if c.Schema != Schema {
		v.fail("schema is %q, want %q", c.Schema, Schema)
	}
	if !c.Config.UpdateMulti {
		v.fail("config.update_multi must be true in JSON 2.0")
	}
	v.walk(c.Body.Elements, 0, "")
	if v.count > MaxElements {
		v.fail("%d components, at most %d", v.count, MaxElements)
	}
	return errors.Join(v.errs...)
}

type validator struct {
	names   map[string]bool
	count   int
	submits int // submit buttons seen in the current form
	errs    []error
}

func (v *validator) fail(format string, args ...any) {
	v.errs = append(v.errs, fmt.Errorf("card: "+format, args...))
}

// walk checks elements at the given container depth; form is the name of the
// enclosing form, "" outside forms.
func (v *validator) walk(elements []Element, depth int, form string) {
	if depth > MaxNesting {
		v.fail("containers nested deeper than %d levels", MaxNesting)
		return
	}
	for _, e := range elements {
		v.count++
		n := e.node()
		v.checkName(n, form)
		switch {
		case n.tag == "form":
			if depth > 0 || form != "" {
				v.fail("form %q is not at the root of the body", n.name)
			}
			v.submits = 0
			v.walk(n.kids, depth+1, n.name)
			if v.submits == 0 {
				v.fail("form %q has no submit button", n.name)
			}
		case n.submit:
			if form == "" {
				v.fail("submit button %q is outside a form", n.name)
			}
			v.submits++
		case len(n.kids) > 0:
			v.walk(n.kids, depth+1, form)
		}
	}
}

func (v *validator) checkName(n node, form string) {
	if n.name == "" {
		switch {
		case n.tag == "form":
			v.fail("a form has no name")
		case form != "" && interactive[n.tag]:
			v.fail("%s in form %q has no name", n.tag, form)
		}
		return
	}
	if v.names[n.name] {
		v.fail("name %q is used twice", n.name)
	}
	v.names[n.name] = true
}
