package flows

import (
	"context"
	"errors"
	"fmt"

	"go.uber.org/zap"
)

// The web app (internal/webapp) lets a member act on their records outside
// the chat: mark a todo done, cancel a reminder. It has no rules of its
// own: it presses the button the record's group card has for that action
// (PressWeb), so the flow's Route answers it exactly as it answers a click
// on the card, with the same checks (membership of the record's chat, who
// may, the record's state) and the same effects (the record's change, the
// card job that updates the group card).

// Web app actions (WebActor.WebButton): the names the web app's API uses.
const (
	WebDone   = "done"   // a todo: Mark done
	WebReopen = "reopen" // a todo: Reopen
	WebCancel = "cancel" // a reminder: Cancel reminder
	WebSnooze = "snooze" // a reminder: Snooze 10 min on its latest fired card
)

// ErrUnknownWebAction is returned (wrapped) for an action a flow does not
// offer on its records.
var ErrUnknownWebAction = errors.New("no such action on this record")

// WebActor is a flow whose group-card buttons the web app can press.
type WebActor interface {
	Flow
	// WebButton returns the callback value of the button of record id's
	// group card that does action (WebDone, ...), exactly as the card
	// carries it, whatever the record's state: pressing a button that no
	// longer applies gets the Route's own answer ("Already done"). When
	// the record has no such button at all (nothing has fired that could
	// be snoozed), it returns instead the answer to give, and a nil value.
	// Errors wrap ErrUnknownWebAction for an action the flow does not
	// offer, ErrNotFound when it had to read the record and it is gone.
	WebButton(ctx context.Context, h Host, id, action string) (value map[string]any, refusal *Answer, err error)
}

// PressWeb presses, as operatorID, the button of flowName's record id that
// does action, as a click on the group card would: the value WebButton
// gives goes through HandleAction. The answer's toast is the Route's (in
// every locale); its card, if any, is the group card as the Route rendered
// it (the card job PATCHes the group card itself). Errors wrap
// ErrUnknownWebAction for an action or flow that has none, else they are
// the store's or the queue's, as HandleAction's.
func (e *Engine) PressWeb(ctx context.Context, flowName, id, action, operatorID string) (Answer, error) {
	f, ok := e.flows[flowName].(WebActor)
	if !ok {
		return Answer{}, fmt.Errorf("flows: flow %q: %w", flowName, ErrUnknownWebAction)
	}
	value, refusal, err := f.WebButton(ctx, e, id, action)
	if err != nil {
		return Answer{}, fmt.Errorf("flows: %s %s on %s: %w", flowName, action, id, err)
	}
	log := e.log.With(zap.String("flow", flowName), zap.String("record_id", id), zap.String("web_action", action),
		zap.String("operator_id", operatorID))
	if refusal != nil {
		log.Info("web action refused: the record has no such button now")
		return *refusal, nil
	}
	log.Info("web action: pressing the group card's button")
	return e.HandleAction(ctx, Action{OperatorID: operatorID, Tag: "button", Value: value})
}
