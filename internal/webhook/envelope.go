package webhook

import (
	"bytes"
	"encoding/json"
	"errors"

	larkevent "github.com/larksuite/oapi-sdk-go/v3/event"
)

// envelope is the union of every body the platform sends (§4.5, §9.7); kind
// tells which one it is. Only the fields needed to route and authenticate are
// decoded here: the event itself stays raw until its handler reads it.
type envelope struct {
	Encrypt *string `json:"encrypt"` // set: the body is {"encrypt": ...}

	// v2 events and card.action.trigger callbacks.
	Schema string                 `json:"schema"`
	Header *larkevent.EventHeader `json:"header"`
	Event  json.RawMessage        `json:"event"`

	// url_verification and v1 events; legacy actions use Token differently.
	Type      string `json:"type"`
	Token     string `json:"token"`
	Challenge string `json:"challenge"`
	UUID      string `json:"uuid"`

	// Legacy card request URL actions: a flat body (§9.7).
	OpenID        string          `json:"open_id"`
	OpenMessageID string          `json:"open_message_id"`
	OpenChatID    string          `json:"open_chat_id"`
	TenantKey     string          `json:"tenant_key"`
	Timezone      string          `json:"timezone"`
	Action        json.RawMessage `json:"action"`
}

type kind int

const (
	kindUnknown   kind = iota
	kindChallenge      // url_verification, any format
	kindV2             // schema 2.0: events and card.action.trigger
	kindV1             // type event_callback: legacy events, ignored
	kindLegacy         // legacy card request URL action
)

// kind tells request kinds apart as the table in §4.5 does.
func (e *envelope) kind() kind {
	switch {
	case e.Type == "url_verification":
		return kindChallenge
	case e.Schema == "2.0":
		return kindV2
	case e.Type == "event_callback":
		return kindV1
	case e.Schema == "" && len(e.Action) > 0 && string(e.Action) != "null" &&
		(e.OpenID != "" || e.OpenMessageID != ""):
		return kindLegacy
	}
	return kindUnknown
}

// verificationToken is where the Verification Token sits: header.token in
// v2, token at the top in v1 and url_verification. A v2 envelope without
// header has none: a top-level token must not stand in for it, or a body
// with no header would get past authorize and fail later.
func (e *envelope) verificationToken() string {
	switch {
	case e.Header != nil:
		return e.Header.Token
	case e.kind() == kindV2:
		return ""
	}
	return e.Token
}

var errNotObject = errors.New("not a JSON object")

func parseEnvelope(b []byte) (*envelope, error) {
	// Unmarshal would accept null (and leave the struct empty); every body
	// the platform sends is an object.
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return nil, errNotObject
	}
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, err
	}
	return &env, nil
}

// open turns the raw body into a trusted envelope: signature, then
// decryption, then parsing, then token and app_id. Every error is a refusal,
// and nothing has been claimed or handed over yet.
func (h *Handler) open(c *call, raw []byte) (*envelope, proof, error) {
	p, err := h.authenticate(c, raw)
	if err != nil {
		return nil, p, err
	}
	env, err := parseEnvelope(raw)
	if err != nil {
		return nil, p, badRequest("body is not a JSON object", err)
	}
	encrypted := env.Encrypt != nil
	if encrypted {
		if h.cfg.EncryptKey == "" {
			return nil, p, badRequest("encrypted body, but no encrypt key is configured", nil)
		}
		plain, err := decrypt(*env.Encrypt, h.cfg.EncryptKey)
		if err != nil {
			return nil, p, badRequest("cannot decrypt body", err)
		}
		if env, err = parseEnvelope(plain); err != nil {
			return nil, p, badRequest("decrypted body is not a JSON object", err)
		}
		if env.Encrypt != nil {
			return nil, p, badRequest("nested encryption", nil)
		}
	}
	if err := h.authorize(c, p, encrypted, env); err != nil {
		return nil, p, err
	}
	return env, p, nil
}
