package webhook

import (
	"context"
	"encoding/json"

	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher/callback"
	"go.uber.org/zap"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/platformid"
)

// cardEvent is the event of a card.action.trigger callback (§9.1). The SDK's
// callback.CardActionTriggerRequest is not used whole: its Action.Value is a
// map, so a card whose value is a string fails to unmarshal, which its
// handler turns into a 500 and the user into error 200671 (§4.7).
type cardEvent struct {
	Operator callback.Operator `json:"operator"`
	Token    string            `json:"token"` // delayed-update credential: never logged
	Action   cardAction        `json:"action"`
	Context  callback.Context  `json:"context"`
}

// cardAction is the action of both callback formats, with value and
// form_value kept raw for looseObject.
type cardAction struct {
	Value     json.RawMessage `json:"value"`
	FormValue json.RawMessage `json:"form_value"`
	Tag       string          `json:"tag"`
	Name      string          `json:"name"`
	Timezone  string          `json:"timezone"`
}

// handleCardAction answers a card.action.trigger callback. From here on the
// answer is always 200 with JSON: any other status shows the user error
// 200671, and callbacks are not retried anyway (§9.3).
func (h *Handler) handleCardAction(c *call, env *envelope) (reply, error) {
	ev := &cardEvent{}
	if env.ev != nil {
		ev = &env.ev.cardEvent
	} else if err := json.Unmarshal(env.Event, ev); err != nil {
		c.log.Warn("malformed card.action.trigger; answered with an error toast", loggedError("error", err))
		return callbackFailed(false), nil
	}
	a := flows.Action{
		EventID:    env.Header.EventID,
		TenantKey:  env.Header.TenantKey,
		OperatorID: ev.Operator.OpenID,
		MessageID:  ev.Context.OpenMessageID,
		ChatID:     ev.Context.OpenChatID,
		Token:      ev.Token,
		Tag:        ev.Action.Tag,
		Name:       ev.Action.Name,
		Timezone:   ev.Action.Timezone,
		Value:      looseObject(ev.Action.Value),
		FormValue:  looseObject(ev.Action.FormValue),
	}
	if a.TenantKey == "" && ev.Operator.TenantKey != nil {
		a.TenantKey = *ev.Operator.TenantKey
	}
	return h.runAction(c, eventKey(a.EventID), a)
}

// handleLegacyAction answers a callback in the card request URL format
// (§9.7). It has no event_id; its verified signature names the exact request
// instead, so the same signed request cannot be replayed within ClaimTTL
// (which outlives the timestamp window).
func (h *Handler) handleLegacyAction(c *call, env *envelope, p proof) (reply, error) {
	var act cardAction
	if err := json.Unmarshal(env.Action, &act); err != nil {
		c.log.Warn("malformed legacy card action; answered {}", loggedError("error", err))
		return callbackFailed(true), nil
	}
	a := flows.Action{
		TenantKey:  env.TenantKey,
		OperatorID: env.OpenID,
		MessageID:  env.OpenMessageID,
		ChatID:     env.OpenChatID,
		Token:      env.Token,
		Tag:        act.Tag,
		Name:       act.Name,
		Timezone:   act.Timezone,
		Value:      looseObject(act.Value),
		FormValue:  looseObject(act.FormValue),
		Legacy:     true,
	}
	if a.Timezone == "" {
		a.Timezone = env.Timezone
	}
	return h.runAction(c, legacyKey(p.signature), a)
}

// runAction hands a callback to the flows once and encodes their answer.
func (h *Handler) runAction(c *call, key string, a flows.Action) (reply, error) {
	c.with(logged("open_id", a.OperatorID), logged("chat_id", a.ChatID),
		logged("message_id", a.MessageID), zap.Bool("legacy", a.Legacy))
	if bad := malformedActionID(a); bad != "" {
		// Bad input, but a callback's answer must stay 200 (anything else
		// shows the user error 200671): an error toast, nothing claimed or
		// handed over.
		c.log.Warn("callback with a malformed " + bad + "; answered with an error toast")
		return callbackFailed(a.Legacy), nil
	}
	var ans flows.Answer
	dup, err := h.once(c, []string{key}, func(ctx context.Context) error {
		var err error
		ans, err = h.flows.HandleAction(ctx, a)
		return err
	})
	switch {
	case err != nil:
		c.log.Error("callback failed; answered with an error toast", loggedError("error", err))
		return callbackFailed(a.Legacy), nil
	case dup:
		return reply{outcome: outcomeDuplicate}, nil
	}
	body, err := callbackAnswer(ans, a.Legacy)
	if err != nil {
		// The action was handled (its claim stays); only the answer is
		// broken, which is a bug in the flows.
		c.log.Error("cannot encode the flows' answer; answered with an error toast", loggedError("error", err))
		return callbackFailed(a.Legacy), nil
	}
	return reply{outcome: outcomeOK, body: body}, nil
}

// malformedActionID names the first id of a that does not have its platform
// shape, or returns "". Every click has an operator; the message and chat
// may be absent (link previews and pinned notices, §9.1, are not known to
// carry them) but, present, must be ids.
func malformedActionID(a flows.Action) string {
	switch {
	case !platformid.IsOpenID(a.OperatorID):
		return "operator open_id"
	case a.MessageID != "" && !platformid.IsMessageID(a.MessageID):
		return "open_message_id"
	case a.ChatID != "" && !platformid.IsChatID(a.ChatID):
		return "open_chat_id"
	}
	return ""
}

// looseObject reads a callback value tolerantly: an object as is, a string
// holding a JSON object as that object (older cards carried values so), and
// any other value as {"value": v}. Absent or null gives nil. A callback
// should never fail because a card author chose a string value.
func looseObject(raw json.RawMessage) map[string]any {
	if len(raw) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil || v == nil {
		return nil
	}
	switch t := v.(type) {
	case map[string]any:
		return t
	case string:
		var obj map[string]any
		if err := json.Unmarshal([]byte(t), &obj); err == nil && obj != nil {
			return obj
		}
	}
	return map[string]any{"value": v}
}
