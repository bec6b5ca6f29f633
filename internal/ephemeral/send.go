package ephemeral

import (
	"context"
	"encoding/json"
	"strings"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
)

const (
	opEphemeralSend   = "ephemeral.send"
	opEphemeralDelete = "ephemeral.delete"

	pathEphemeralSend   = "/open-apis/ephemeral/v1/send"
	pathEphemeralDelete = "/open-apis/ephemeral/v1/delete"

	msgTypeInteractive = "interactive"
)

// Recipient names the one member who will see an ephemeral card. When several
// fields are set, the one the platform itself would read wins:
// OpenID, then UserID, then Email; only that one is sent.
type Recipient struct {
	OpenID string // ou_..., recommended
	UserID string // tenant employee id; needs contact:user.employee_id:readonly
	Email  string
}

// ephemeralSendBody is the request of POST /open-apis/ephemeral/v1/send.
// Exactly one of OpenID, UserID, Email is set.
type ephemeralSendBody struct {
	ChatID  string          `json:"chat_id"`
	OpenID  string          `json:"open_id,omitempty"`
	UserID  string          `json:"user_id,omitempty"`
	Email   string          `json:"email,omitempty"`
	MsgType string          `json:"msg_type"`
	Card    json.RawMessage `json:"card"` // an object, never a string
}

// set fills the single recipient field of b that wins by precedence.
func (r Recipient) set(b *ephemeralSendBody) bool {
	switch {
	case strings.TrimSpace(r.OpenID) != "":
		b.OpenID = r.OpenID
	case strings.TrimSpace(r.UserID) != "":
		b.UserID = r.UserID
	case strings.TrimSpace(r.Email) != "":
		b.Email = r.Email
	default:
		return false
	}
	return true
}

// SendEphemeral shows card to the member openID only, inside the group chatID,
// and returns the message id needed to delete it. It satisfies flows.Sender.
func (c *Client) SendEphemeral(ctx context.Context, chatID, openID string, card any) (string, error) {
	return c.SendEphemeralTo(ctx, chatID, Recipient{OpenID: openID}, card)
}

// SendEphemeralTo is SendEphemeral for any kind of recipient id.
//
// The chat must be a normal group (chat mode "group", not a topic group) with
// the bot in it; the card reaches the member only if their client is online,
// and never notifies anyone. A timed-out send may still have been delivered:
// the API has no idempotency key.
func (c *Client) SendEphemeralTo(ctx context.Context, chatID string, to Recipient, card any) (string, error) {
	if strings.TrimSpace(chatID) == "" {
		return "", invalidf("%s: empty chat id", opEphemeralSend)
	}
	body := &ephemeralSendBody{ChatID: chatID, MsgType: msgTypeInteractive}
	if !to.set(body) {
		return "", invalidf("%s: no recipient (open_id, user_id or email)", opEphemeralSend)
	}
	raw, err := cardJSON(card)
	if err != nil {
		return "", err
	}
	body.Card = raw

	resp, err := c.call(ctx, opEphemeralSend, func(ctx context.Context, opts ...larkcore.RequestOptionFunc) (*larkcore.ApiResp, error) {
		return c.sdk.Post(ctx, pathEphemeralSend, body, larkcore.AccessTokenTypeTenant, opts...)
	})
	if err != nil {
		return "", err
	}
	var out struct {
		Data struct {
			MessageID string `json:"message_id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(resp.RawBody, &out); err != nil || out.Data.MessageID == "" {
		return "", &APIError{Op: opEphemeralSend, HTTPStatus: resp.StatusCode, LogID: resp.LogId(), Msg: "no message_id in response"}
	}
	return out.Data.MessageID, nil
}

// DeleteEphemeral removes an ephemeral card. A card that is already gone
// (code 18051) counts as deleted, so the call is safe to repeat.
func (c *Client) DeleteEphemeral(ctx context.Context, messageID string) error {
	if strings.TrimSpace(messageID) == "" {
		return invalidf("%s: empty message id", opEphemeralDelete)
	}
	body := struct {
		MessageID string `json:"message_id"`
	}{messageID}
	_, err := c.call(ctx, opEphemeralDelete, func(ctx context.Context, opts ...larkcore.RequestOptionFunc) (*larkcore.ApiResp, error) {
		return c.sdk.Post(ctx, pathEphemeralDelete, body, larkcore.AccessTokenTypeTenant, opts...)
	}, codeEphemeralAlreadyDeleted)
	return err
}
