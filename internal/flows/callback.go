package flows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// Callback is the value of a button on one of the bot's cards, decoded: the
// flow that owns the button, what the button does, the id of what it acts
// on (the interaction, for a button on a form; a record, for a button on a
// group card) and the arguments the button carries. It is encoded by
// CallbackSpec.Value and decoded by the Engine, in this file only.
type Callback struct {
	Flow   string
	Action string
	Target string
	// Args holds the arguments the button's spec declares that the value
	// carries, as text.
	Args map[string]string
}

// FormTarget is the value key under which a form's buttons carry their
// interaction's id. Buttons already posted in groups keep the keys they
// were posted with, so no key below ever changes.
const FormTarget = "iid"

// Bounds of a decoded value: ids are ours (itx_, td_, rm_ and 26 random
// characters), arguments are short numbers and keys. Anything longer was
// not made by botd.
const (
	maxTargetLen = 64
	maxArgLen    = 64
)

// CallbackSpec declares one kind of button: its flow and action, the value
// key that carries its target's id, and the keys of its arguments. A flow
// declares each as a package variable and uses it twice: to build the
// button's value (Value) and to route clicks on it (Route).
//
// The wire shape is {"flow": Flow, "action": Action, Target: id, arg: text,
// ...}: the shape every button botd ever posted has, so clicks on cards
// posted by an older botd still route.
type CallbackSpec struct {
	Flow   string
	Action string
	// Target is the value key of the target's id: FormTarget for a button
	// on the flow's form (the interaction), else a key naming the record
	// ("todo", "reminder", "list").
	Target string
	// Args are the keys of the arguments the button may carry.
	Args []string
}

// Value is the callback value of a button of this kind, acting on target,
// with args (each key one of Args; an empty value is left out). It panics
// on an undeclared argument: a bug in the flow, which its tests catch.
func (s CallbackSpec) Value(target string, args map[string]string) map[string]any {
	v := map[string]any{"flow": s.Flow, "action": s.Action, s.Target: target}
	for k, a := range args {
		if !slices.Contains(s.Args, k) || k == "flow" || k == "action" || k == s.Target {
			panic(fmt.Sprintf("flows: callback %s/%s: undeclared argument %q", s.Flow, s.Action, k))
		}
		if a != "" {
			v[k] = a
		}
	}
	return v
}

// FormButtonValue is the value of it's form button for action (ActionSubmit,
// ActionCancel, or an action of one of the flow's form routes).
func FormButtonValue(it *Interaction, action string) map[string]any {
	return CallbackSpec{Flow: it.Flow, Action: action, Target: FormTarget}.Value(it.ID, nil)
}

// Click is a click on one of a flow's buttons, as a Route's handler sees it:
// the decoded value and who clicked.
type Click struct {
	Callback
	OperatorID string         // open_id of the member who clicked
	Timezone   string         // the member's IANA zone, when the platform sent it
	FormValue  map[string]any // the form's values, for a button that submits a form
	Legacy     bool           // came in the older card request URL format
	// Interaction is, for a form route, the form's interaction: pending
	// and owned by OperatorID. Nil for a group card's button.
	Interaction *Interaction
}

// Route is how a flow answers clicks on one kind of button. Handle answers
// like Engine.HandleAction: a refused or late click gets a toast and a nil
// error; an error means the store or the queue failed.
//
// A group card's button (Spec.Target is not FormTarget) may be pressed by
// anyone who sees the card, which can be forwarded: Handle must load what
// Target names, and call Host.RefuseNonMember with that record's chat
// before acting. A form's button (Spec.Target is FormTarget) reaches Handle
// only from the member who owns the form, while it is pending.
type Route struct {
	Spec   CallbackSpec
	Handle func(ctx context.Context, h Host, c Click) (Answer, error)
}

// Router is a flow with buttons of its own: on its group cards (Mark done,
// Snooze) or on its form beyond Submit and Cancel (a Preview).
type Router interface {
	Flow
	Routes() []Route
}

// errBadCallback is what is wrong with a value that botd did not make, or
// that a change since has made meaningless.
var errBadCallback = errors.New("malformed callback value")

// decodeTarget reads the target id under key: a short string of letters,
// digits, '_' and '-'.
func decodeTarget(value map[string]any, key string) (string, error) {
	s, ok := value[key].(string)
	if !ok || s == "" || len(s) > maxTargetLen || !isIDText(s) {
		return "", fmt.Errorf("%w: no valid %q", errBadCallback, key)
	}
	return s, nil
}

// decodeArgs reads the arguments spec declares. Missing ones are left out;
// each present one must be a short string or a whole number (older cards,
// and JSON numbers, carry numbers as numbers). Keys spec does not declare
// are ignored: older cards carried some ("chat" on /todo list pages) that
// are never read.
func decodeArgs(value map[string]any, spec CallbackSpec) (map[string]string, error) {
	var args map[string]string
	for _, k := range spec.Args {
		raw, ok := value[k]
		if !ok || raw == nil {
			continue
		}
		var s string
		switch v := raw.(type) {
		case string:
			s = v
		case float64:
			if v != math.Trunc(v) || math.Abs(v) > 1<<53 {
				return nil, fmt.Errorf("%w: %q is not a whole number", errBadCallback, k)
			}
			s = strconv.FormatInt(int64(v), 10)
		case json.Number:
			s = v.String()
		default:
			return nil, fmt.Errorf("%w: %q is a %T", errBadCallback, k, raw)
		}
		if len(s) > maxArgLen {
			return nil, fmt.Errorf("%w: %q is too long", errBadCallback, k)
		}
		if args == nil {
			args = map[string]string{}
		}
		args[k] = s
	}
	return args, nil
}

// decodeCallback decodes value for spec, whose flow and action it names.
func decodeCallback(value map[string]any, spec CallbackSpec) (Callback, error) {
	target, err := decodeTarget(value, spec.Target)
	if err != nil {
		return Callback{}, err
	}
	args, err := decodeArgs(value, spec)
	if err != nil {
		return Callback{}, err
	}
	return Callback{Flow: spec.Flow, Action: spec.Action, Target: target, Args: args}, nil
}

// valueString reads a string field of a value, "" when it is missing or
// not a string.
func valueString(value map[string]any, key string) string {
	s, _ := value[key].(string)
	return s
}

// isIDText reports whether s is made of ASCII letters, digits, '_' and '-'.
func isIDText(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '_' && c != '-' && !('a' <= c && c <= 'z') && !('A' <= c && c <= 'Z') && !('0' <= c && c <= '9') {
			return false
		}
	}
	return true
}
