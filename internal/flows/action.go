package flows

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/botd/botd/internal/card"
)

// Toast types (Toast.Type).
const (
	ToastInfo    = "info"
	ToastSuccess = "success"
	ToastError   = "error"
	ToastWarning = "warning"
)

// HandleAction answers a click on one of the bot's cards. The value names
// its flow and action and what the button acts on (callback.go). A button
// on a form names the interaction ({"flow","action","iid"}); only the member
// who owns the interaction may act on it. A submit is checked by the flow:
// invalid values get an error toast naming the fields (and the form again,
// errors beside the fields), valid ones move the interaction to submitted
// and enqueue the job that posts the final card. A cancel moves it to
// cancelled and enqueues the job that deletes the form. Any other action
// on a pending form goes to the flow's form Route. A button on a group card
// names a record and goes to its flow's Route for the action.
//
// A value botd did not make (no such flow or action, a target or argument
// missing or malformed) is refused with an error toast, and nothing changes.
// Everything the user did wrong, or that came too late, is answered with a
// NewToast and a nil error. An error means the store or the queue failed; the
// webhook answers it with a generic error toast, and the user may click
// again: a click on a form that has moved on answers with its state.
func (e *Engine) HandleAction(ctx context.Context, a Action) (Answer, error) {
	var err error
	if a.TenantKey, err = eventTenant(ctx, a.TenantKey); err != nil {
		e.log.Warn("action refused", zap.Error(err))
		return ToastAnswer(ToastError, e.deps.DefaultLocale, MsgUnknownAction), nil
	}
	if _, onForm := a.Value[FormTarget]; onForm {
		return e.handleFormAction(ctx, a)
	}
	return e.handleCardAction(ctx, a)
}

// handleCardAction routes a click on a group card's button to its flow.
func (e *Engine) handleCardAction(ctx context.Context, a Action) (Answer, error) {
	flowName, action := valueString(a.Value, "flow"), valueString(a.Value, "action")
	locale := e.deps.DefaultLocale
	log := e.log.With(zap.String("flow", flowName), zap.String("action", action), zap.String("operator_id", a.OperatorID))
	routes, ok := e.routes[flowName]
	if !ok {
		log.Debug("action ignored: no interaction id in the callback value, and no flow with card buttons")
		return ToastAnswer(ToastError, locale, msgFormExpired), nil
	}
	route, ok := routes[action]
	if !ok || route.Spec.Target == FormTarget {
		log.Info("action refused: the flow has no such button")
		return ToastAnswer(ToastError, locale, MsgUnknownAction), nil
	}
	cb, err := decodeCallback(a.Value, route.Spec)
	if err != nil {
		log.Info("action refused", zap.Error(err))
		return ToastAnswer(ToastError, locale, MsgUnknownAction), nil
	}
	ans, err := route.Handle(ctx, e, clickOf(a, cb, nil))
	if err != nil {
		return Answer{}, fmt.Errorf("flows: %s %s: %w", flowName, action, err)
	}
	ans = e.answerOnShare(ctx, a, flowName, cb.Target, ans, log)
	if _, v1 := ans.Card.(*card.V1); a.Legacy && !v1 {
		// Legacy answers can only be JSON 1.0, which may not replace our
		// 2.0 cards: the card job's PATCH updates them instead.
		ans.Card = nil
	}
	return ans, nil
}

// handleFormAction answers a click on a form's button.
func (e *Engine) handleFormAction(ctx context.Context, a Action) (Answer, error) {
	flowName, action := valueString(a.Value, "flow"), valueString(a.Value, "action")
	locale := e.deps.DefaultLocale
	iid, err := decodeTarget(a.Value, FormTarget)
	log := e.log.With(zap.String("interaction_id", iid), zap.String("action", action), zap.String("operator_id", a.OperatorID))
	if err != nil {
		log.Info("action refused", zap.Error(err))
		return ToastAnswer(ToastError, locale, msgFormExpired), nil
	}
	it, err := e.load(ctx, iid)
	if errors.Is(err, ErrNotFound) {
		log.Info("action on an unknown or expired interaction")
		return ToastAnswer(ToastError, locale, msgFormExpired), nil
	}
	if err != nil {
		return Answer{}, fmt.Errorf("flows: %s on %s: %w", action, iid, err)
	}
	log = e.logFor(it).With(zap.String("action", action), zap.String("operator_id", a.OperatorID))
	if a.OperatorID != it.UserID {
		log.Info("action refused: not the owner of the interaction")
		return ToastAnswer(ToastError, it.Locale, MsgNotYours), nil
	}
	flow, ok := e.flows[it.Flow]
	if !ok || flowName != it.Flow {
		log.Warn("action refused: flow unknown or not the interaction's", zap.String("value_flow", flowName))
		return ToastAnswer(ToastError, it.Locale, msgFormExpired), nil
	}
	switch action {
	case ActionSubmit:
		return e.submit(ctx, it, flow, a, log)
	case ActionCancel:
		return e.cancel(ctx, it, flow, log)
	}
	route, ok := e.routes[it.Flow][action]
	if !ok || route.Spec.Target != FormTarget {
		log.Info("action refused: unknown action")
		return ToastAnswer(ToastError, it.Locale, MsgUnknownAction), nil
	}
	if it.Status != StatusPending {
		return e.settled(ctx, it, flow, log)
	}
	cb, err := decodeCallback(a.Value, route.Spec)
	if err != nil {
		log.Info("action refused", zap.Error(err))
		return ToastAnswer(ToastError, it.Locale, MsgUnknownAction), nil
	}
	ans, err := route.Handle(ctx, e, clickOf(a, cb, it))
	if err != nil {
		return Answer{}, fmt.Errorf("flows: %s %s on %s: %w", it.Flow, action, it.ID, err)
	}
	if a.Legacy {
		ans.Card = nil
	}
	return ans, nil
}

func clickOf(a Action, cb Callback, it *Interaction) Click {
	return Click{Callback: cb, OperatorID: a.OperatorID, Timezone: a.Timezone, FormValue: a.FormValue, Legacy: a.Legacy, Interaction: it}
}

func (e *Engine) submit(ctx context.Context, it *Interaction, flow Flow, a Action, log *zap.Logger) (Answer, error) {
	if it.Status != StatusPending {
		return e.settled(ctx, it, flow, log)
	}
	sub, ok := flow.(Submitter)
	if !ok {
		log.Info("action refused: the flow has nothing to submit")
		return ToastAnswer(ToastError, it.Locale, MsgUnknownAction), nil
	}
	zone := zoneNamed(a.Timezone)
	values, errs := sub.Submit(it, Submission{Values: a.FormValue, Now: e.deps.Clock(), Zone: zone, DefaultZone: e.zoneOf(it)})
	if len(errs) > 0 {
		log.Info("submit refused: invalid values", zap.Strings("fields", errs.Fields()))
		ans := Answer{Toast: errs.toast(it.Locale)}
		// The form again, with the user's values and the errors beside their
		// fields. Legacy callbacks can only answer with JSON 1.0, which may
		// not replace a 2.0 card, so they get the toast alone.
		if !a.Legacy {
			shown := *it
			shown.Form = values
			ans.Card = flow.Form(&shown, errs)
		}
		return ans, nil
	}

	id := it.ID
	it, changed, err := e.update(ctx, it, func(it *Interaction) bool {
		if it.Status != StatusPending {
			return false
		}
		it.Status = StatusSubmitted
		it.Form = values
		if zone != nil {
			it.Timezone = zone.String()
		}
		return true
	})
	if err != nil {
		return Answer{}, fmt.Errorf("flows: submit %s: %w", id, err)
	}
	if !changed { // another click got there first
		return e.settled(ctx, it, flow, log)
	}
	if err := e.deps.Jobs.Enqueue(ctx, JobFinish, it.ID); err != nil {
		return Answer{}, fmt.Errorf("flows: submit %s: enqueue %s: %w", it.ID, JobFinish, err)
	}
	log.Info("interaction submitted")
	return ToastAnswer(ToastSuccess, it.Locale, sub.Submitted()), nil
}

func (e *Engine) cancel(ctx context.Context, it *Interaction, flow Flow, log *zap.Logger) (Answer, error) {
	if it.Status != StatusPending {
		return e.settled(ctx, it, flow, log)
	}
	id := it.ID
	it, changed, err := e.update(ctx, it, func(it *Interaction) bool {
		if it.Status != StatusPending {
			return false
		}
		it.Status = StatusCancelled
		return true
	})
	if err != nil {
		return Answer{}, fmt.Errorf("flows: cancel %s: %w", id, err)
	}
	if !changed {
		return e.settled(ctx, it, flow, log)
	}
	if err := e.deps.Jobs.Enqueue(ctx, JobCancel, it.ID); err != nil {
		return Answer{}, fmt.Errorf("flows: cancel %s: enqueue %s: %w", it.ID, JobCancel, err)
	}
	log.Info("interaction cancelled")
	return ToastAnswer(ToastInfo, it.Locale, cancelMsg(flow)), nil
}

// settled answers a click on an interaction that is no longer pending with
// the state it is in, and enqueues that state's job again: if the enqueue
// after the state change failed, this click recovers it, and the job does
// nothing a second time when it had already run.
func (e *Engine) settled(ctx context.Context, it *Interaction, flow Flow, log *zap.Logger) (Answer, error) {
	log.Info("action on a settled interaction", zap.String("status", string(it.Status)))
	var job JobKind
	var ans Answer
	switch it.Status {
	case StatusSubmitted:
		job, ans = JobFinish, ToastAnswer(ToastInfo, it.Locale, msgAlreadySubmitted)
	case StatusDone:
		ans = ToastAnswer(ToastInfo, it.Locale, msgAlreadySubmitted)
	case StatusCancelled:
		job, ans = JobCancel, ToastAnswer(ToastInfo, it.Locale, cancelMsg(flow))
	case StatusFailed:
		ans = ToastAnswer(ToastError, it.Locale, msgFailed)
	default:
		ans = ToastAnswer(ToastError, it.Locale, msgFormExpired)
	}
	if job != "" {
		if err := e.deps.Jobs.Enqueue(ctx, job, it.ID); err != nil {
			return Answer{}, fmt.Errorf("flows: %s: enqueue %s again: %w", it.ID, job, err)
		}
	}
	return ans, nil
}

// cancelMsg is the toast after a cancel: forms are cancelled, cards with
// nothing to submit (help, hints) are closed.
func cancelMsg(flow Flow) Msg {
	if _, ok := flow.(Submitter); ok {
		return msgCancelled
	}
	return msgClosed
}

// ToastAnswer is an answer with a toast alone: how a refused or late click
// is answered.
func ToastAnswer(typ, locale string, m Msg) Answer {
	return Answer{Toast: NewToast(typ, locale, m)}
}

// zoneNamed returns the IANA zone a callback names, or nil when it names
// none or one this system does not know.
func zoneNamed(name string) *time.Location {
	if name == "" {
		return nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil
	}
	return loc
}
