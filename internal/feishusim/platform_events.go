package feishusim

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// MessageOpts describe a text message a user sends (im.message.receive_v1).
type MessageOpts struct {
	ChatID       string
	ChatType     string // "group" (default) or "p2p"
	SenderOpenID string
	SenderUserID string // optional; only delivered with the employee-id scope
	// Text is the text as the platform delivers it: every @mention replaced by
	// its placeholder key (e.g. "@_user_1 /todo Buy milk").
	Text     string
	Mentions []Mention
	EventID  string // default: random 32 hex characters
	// MessageID defaults to a random "om_" id; reuse one to simulate a
	// redelivery with a new event id.
	MessageID string
	TenantKey string // default: the Platform's (empty with MessageEventBody)
}

// Mention maps a placeholder key in the text to the person (or bot) named.
type Mention struct {
	Key    string // "@_user_1"
	OpenID string
	Name   string
}

type userIDs struct {
	OpenID string `json:"open_id"`
	UserID string `json:"user_id,omitempty"`
}

type mentionJSON struct {
	Key       string  `json:"key"`
	ID        userIDs `json:"id"`
	Name      string  `json:"name"`
	TenantKey string  `json:"tenant_key"`
}

// SendText delivers im.message.receive_v1 for a text message to EventURL,
// shaped as §6.1 and §14.1 show.
func (p *Platform) SendText(ctx context.Context, o MessageOpts) (Result, error) {
	if o.EventID == "" {
		o.EventID = newEventID()
	}
	if o.TenantKey == "" {
		o.TenantKey = p.TenantKey
	}
	body, err := p.buildEvent(o.EventID, "im.message.receive_v1", o.TenantKey, messageEvent(o, p.now()))
	if err != nil {
		return Result{}, fmt.Errorf("feishusim: build event: %w", err)
	}
	res, err := p.Deliver(ctx, p.EventURL, body, DeliverOpts{})
	res.EventID = o.EventID
	return res, err
}

// MessageEventBody is the event object of im.message.receive_v1 for o, for
// tests that build a delivery themselves (BuildEvent, then Deliver with bad
// headers). create_time is the current time; o.EventID is not used, since
// the event id lives in the envelope.
func MessageEventBody(o MessageOpts) any { return messageEvent(o, time.Now()) }

func messageEvent(o MessageOpts, now time.Time) map[string]any {
	if o.ChatType == "" {
		o.ChatType = "group"
	}
	if o.MessageID == "" {
		o.MessageID = newMessageID()
	}
	// Marshalling a map of strings cannot fail.
	content, _ := json.Marshal(map[string]string{"text": o.Text})
	created := strconv.FormatInt(now.UnixMilli(), 10)
	message := map[string]any{
		"message_id":   o.MessageID,
		"root_id":      "",
		"parent_id":    "",
		"create_time":  created,
		"update_time":  created,
		"chat_id":      o.ChatID,
		"chat_type":    o.ChatType,
		"message_type": "text",
		"content":      string(content), // a JSON document inside a string
	}
	if len(o.Mentions) > 0 {
		ms := make([]mentionJSON, len(o.Mentions))
		for i, m := range o.Mentions {
			ms[i] = mentionJSON{Key: m.Key, ID: userIDs{OpenID: m.OpenID}, Name: m.Name, TenantKey: o.TenantKey}
		}
		message["mentions"] = ms
	}
	return map[string]any{
		"sender": map[string]any{
			"sender_id":   userIDs{OpenID: o.SenderOpenID, UserID: o.SenderUserID},
			"sender_type": "user",
			"tenant_key":  o.TenantKey,
		},
		"message": message,
	}
}

// ActionOpts describe a click on a card component or a form submit.
type ActionOpts struct {
	OperatorOpenID string
	OperatorUserID string // optional
	ChatID         string // context.open_chat_id
	MessageID      string // context.open_message_id: the card clicked
	Value          map[string]any
	FormValue      map[string]any // form submit only
	Name           string         // component name (the submit button's for a form)
	Tag            string         // default "button"
	Timezone       string         // default "Asia/Shanghai"
	Token          string         // c-... delayed-update token; default random
	EventID        string         // default random
	TenantKey      string         // the clicking user's tenant; default the Platform's
}

func (o *ActionOpts) defaults(p *Platform) {
	if o.TenantKey == "" {
		o.TenantKey = p.TenantKey
	}
	if o.Tag == "" {
		o.Tag = "button"
	}
	if o.Timezone == "" {
		o.Timezone = "Asia/Shanghai"
	}
	if o.Token == "" {
		o.Token = "c-" + randHex(20)
	}
	if o.EventID == "" {
		o.EventID = newEventID()
	}
}

// action is the action object of both callback formats.
func (o *ActionOpts) action() map[string]any {
	a := map[string]any{"value": o.Value, "tag": o.Tag, "timezone": o.Timezone, "name": o.Name}
	if o.Value == nil {
		a["value"] = map[string]any{}
	}
	if o.FormValue != nil {
		a["form_value"] = o.FormValue
	}
	return a
}

// ClickButton delivers card.action.trigger (§9.1, §14.3) to CardURL.
func (p *Platform) ClickButton(ctx context.Context, o ActionOpts) (Result, error) {
	o.defaults(p)
	operator := map[string]any{"tenant_key": o.TenantKey, "open_id": o.OperatorOpenID}
	if o.OperatorUserID != "" {
		operator["user_id"] = o.OperatorUserID
	}
	event := map[string]any{
		"operator": operator,
		"token":    o.Token,
		"action":   o.action(),
		"host":     "im_message",
		"context":  map[string]string{"open_message_id": o.MessageID, "open_chat_id": o.ChatID},
	}
	body, err := p.buildEvent(o.EventID, "card.action.trigger", o.TenantKey, event)
	if err != nil {
		return Result{}, fmt.Errorf("feishusim: build callback: %w", err)
	}
	res, err := p.Deliver(ctx, p.cardURL(), body, DeliverOpts{})
	res.EventID = o.EventID
	return res, err
}

// ClickLegacy delivers the same click in the older card request URL format
// (§9.7): a flat plaintext body signed with SignLegacy. It has no event id.
func (p *Platform) ClickLegacy(ctx context.Context, o ActionOpts) (Result, error) {
	o.defaults(p)
	body, err := json.Marshal(map[string]any{
		"open_id":         o.OperatorOpenID,
		"user_id":         o.OperatorUserID,
		"open_message_id": o.MessageID,
		"open_chat_id":    o.ChatID,
		"tenant_key":      o.TenantKey,
		"token":           o.Token,
		"action":          o.action(),
	})
	if err != nil {
		return Result{}, fmt.Errorf("feishusim: build legacy callback: %w", err)
	}
	return p.Deliver(ctx, p.cardURL(), body, DeliverOpts{Legacy: true})
}

// URLVerification sends the challenge the console sends when a request URL
// is saved (§4.4), encrypted and signed like any event.
func (p *Platform) URLVerification(ctx context.Context, url, challenge string) (Result, error) {
	body, err := json.Marshal(map[string]string{"challenge": challenge, "token": p.VerificationToken, "type": "url_verification"})
	if err != nil {
		return Result{}, fmt.Errorf("feishusim: build challenge: %w", err)
	}
	return p.Deliver(ctx, url, body, DeliverOpts{})
}
