package webhook

import (
	"bytes"
	"encoding/json"
	"errors"

	larkevent "github.com/larksuite/oapi-sdk-go/v3/event"
)

// envelope is the union of every body the platform sends (§4.5, §9.7); kind
// tells which one it is. Its event is decoded in the same pass when it can
// be (ev), since every message a group sends comes through here; otherwise
// it stays raw (Event) until its handler reads it.
type envelope struct {
	envelopeHead
	Event json.RawMessage `json:"event"` // nil when ev holds the event
	ev    *eventBody      // the event, decoded with the envelope; nil: read Event
}

// envelopeHead is every member of an envelope but the event.
type envelopeHead struct {
	Encrypt *string `json:"encrypt"` // set: the body is {"encrypt": ...}

	// v2 events and card.action.trigger callbacks.
	Schema string                 `json:"schema"`
	Header *larkevent.EventHeader `json:"header"`

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

// eventBody is the event of a message or of a card callback: their members
// do not overlap, so one pass decodes either.
type eventBody struct {
	messageEvent
	cardEvent
}

// decodedEnvelope is an envelope whose event is decoded with it.
type decodedEnvelope struct {
	envelopeHead
	Event *eventBody `json:"event"`
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

// parseEnvelope reads a body. It decodes the event with the envelope, in
// one pass, when that succeeds and the body has an event object; in every
// other case (no event, a null one, a member of the wrong type, even one
// the event's handler would not read) it reads the body as before the
// shortcut, leaving the event raw, so that refusals and answers do not
// depend on the shortcut: it only ever takes bodies on which both readings
// agree.
func parseEnvelope(b []byte) (*envelope, error) {
	// Unmarshal would accept null (and leave the struct empty); every body
	// the platform sends is an object.
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return nil, errNotObject
	}
	// A body with no "event" member (a handshake, a legacy action, an
	// encrypted body read in full) is read once, the raw way.
	if bytes.Contains(b, []byte(`"event"`)) {
		var d decodedEnvelope
		// Only a v2 event is an eventBody: a v1 app event (tenant.go)
		// stays raw, since its members are not those of eventBody.
		if err := json.Unmarshal(b, &d); err == nil && d.Event != nil && d.Schema == "2.0" {
			return &envelope{envelopeHead: d.envelopeHead, ev: d.Event}, nil
		}
	}
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, err
	}
	return &env, nil
}

// encryptedOnly returns the ciphertext of a body that is exactly
// {"encrypt": "<base64>"}, JSON whitespace allowed: what the platform
// sends for every request once an Encrypt Key is set. Base64 holds no quote
// and no backslash, so the value ends at the next quote and reads the same
// as encoding/json would read it; this spares a full decode of every
// encrypted body. ok is false for any other body, which parseEnvelope then
// reads in full (an "encrypt" among other members, escapes, other keys).
func encryptedOnly(b []byte) (ciphertext []byte, ok bool) {
	const key = `"encrypt"`
	t := trimJSONSpace(b)
	if len(t) < 2 || t[0] != '{' || t[len(t)-1] != '}' {
		return nil, false
	}
	t = trimJSONSpace(t[1 : len(t)-1])
	if !bytes.HasPrefix(t, []byte(key)) {
		return nil, false
	}
	t = trimJSONSpace(t[len(key):])
	if len(t) == 0 || t[0] != ':' {
		return nil, false
	}
	t = trimJSONSpace(t[1:])
	if len(t) < 2 || t[0] != '"' || t[len(t)-1] != '"' {
		return nil, false
	}
	v := t[1 : len(t)-1]
	for _, c := range v {
		if !base64Char[c] {
			return nil, false
		}
	}
	return v, true
}

// base64Char is the standard base64 alphabet and its padding.
var base64Char = func() (t [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") {
		t[c] = true
	}
	return t
}()

// trimJSONSpace trims what JSON counts as whitespace, and nothing else.
func trimJSONSpace(b []byte) []byte {
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// open turns the raw body into a trusted envelope: signature, then
// decryption, then parsing, then token and app_id. Every error is a refusal,
// and nothing has been claimed or handed over yet.
func (h *Handler) open(c *call, raw []byte) (*envelope, proof, error) {
	p, err := h.authenticate(c, raw)
	if err != nil {
		return nil, p, err
	}
	ciphertext, encrypted := encryptedOnly(raw)
	var env *envelope
	if !encrypted {
		if env, err = parseEnvelope(raw); err != nil {
			return nil, p, badRequest("body is not a JSON object", err)
		}
		if env.Encrypt != nil {
			ciphertext, encrypted = []byte(*env.Encrypt), true
		}
	}
	if encrypted {
		if h.cfg.EncryptKey == "" {
			return nil, p, badRequest("encrypted body, but no encrypt key is configured", nil)
		}
		// With the key the signature bound, or during a rotation the
		// current or the previous one (rotation.go).
		if env, err = h.decryptEnvelope(&p, ciphertext); err != nil {
			return nil, p, err
		}
		if env.Encrypt != nil {
			return nil, p, badRequest("nested encryption", nil)
		}
	}
	if err := h.authorize(c, &p, encrypted, env); err != nil {
		return nil, p, err
	}
	h.countSecrets(c, &p)
	return env, p, nil
}
