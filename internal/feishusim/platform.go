package feishusim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Platform is the platform's sending side: it builds the requests Feishu
// sends to a bot's webhooks (events, card callbacks, URL verification),
// encrypts them when EncryptKey is set, signs them and POSTs them.
//
// With LongConn set it delivers over the long connection instead, as the
// platform does for an app in long-connection mode: plain JSON (neither
// encrypted nor signed) to one of the app's connections, the
// acknowledgement's code standing for the HTTP status and its data for the
// body.
type Platform struct {
	EventURL string // event subscription request URL (/webhook/event)
	CardURL  string // callback URL (/webhook/card); EventURL when empty

	// LongConn, when set, carries every delivery instead of HTTP: the
	// URLs, EncryptKey and Client are not used.
	LongConn *LongConn

	AppID             string
	TenantKey         string
	VerificationToken string
	EncryptKey        string // empty: plaintext bodies and no X-Lark-Signature

	Client *http.Client     // default: 10 s timeout
	Clock  func() time.Time // default time.Now; timestamps and create_time read it
}

// ForTenant returns a copy of p that sends as the tenant key: every event
// and callback it builds carries that tenant_key (header.tenant_key,
// sender.tenant_key, operator.tenant_key, the legacy tenant_key).
func (p *Platform) ForTenant(key string) *Platform {
	cp := *p
	cp.TenantKey = key
	return &cp
}

// DeliverOpts shape one delivery, mostly so tests can send bad requests.
type DeliverOpts struct {
	Timestamp string // X-Lark-Request-Timestamp; default: the clock in Unix seconds
	Nonce     string // X-Lark-Request-Nonce; default random
	// SkipSign sends none of the three X-Lark-Request-Timestamp, -Nonce and
	// X-Lark-Signature headers.
	SkipSign bool
	// BadSignature sends a well-formed signature computed with the wrong key.
	BadSignature bool
	// Legacy is the older card request URL scheme: the body stays plaintext
	// (the encryption strategy does not apply to it) and the signature is
	// SignLegacy over the verification token.
	Legacy bool
}

// Sent is one request exactly as it went out; Resend replays it byte for byte.
type Sent struct {
	URL    string
	Header http.Header
	Body   []byte
}

// Result is the bot's answer to one delivery.
type Result struct {
	Status  int
	Header  http.Header
	Body    []byte
	EventID string // header.event_id of a v2 delivery, else empty
	Sent    Sent
}

// maxAnswer caps how much of the bot's answer is read.
const maxAnswer = 1 << 20

var defaultClient = &http.Client{Timeout: 10 * time.Second}

func (p *Platform) now() time.Time {
	if p.Clock != nil {
		return p.Clock()
	}
	return time.Now()
}

func (p *Platform) client() *http.Client {
	if p.Client != nil {
		return p.Client
	}
	return defaultClient
}

func (p *Platform) cardURL() string {
	if p.CardURL != "" {
		return p.CardURL
	}
	return p.EventURL
}

// envelope is the v2 schema shared by events and card.action.trigger.
type envelope struct {
	Schema string         `json:"schema"`
	Header envelopeHeader `json:"header"`
	Event  any            `json:"event"`
}

type envelopeHeader struct {
	EventID    string `json:"event_id"`
	EventType  string `json:"event_type"`
	CreateTime string `json:"create_time"`
	Token      string `json:"token"`
	AppID      string `json:"app_id"`
	TenantKey  string `json:"tenant_key"`
}

// BuildEvent wraps event in a v2 envelope with a fresh event id and this
// platform's token, app id and tenant key. create_time is in microseconds
// for card.action.trigger and in milliseconds otherwise, as the documented
// examples show (the docs disagree on the unit). It panics if event does not
// marshal to JSON, which is a bug in the caller.
func (p *Platform) BuildEvent(eventType string, event any) []byte {
	b, err := p.buildEvent(newEventID(), eventType, p.TenantKey, event)
	if err != nil {
		panic(fmt.Sprintf("feishusim: BuildEvent(%s): %v", eventType, err))
	}
	return b
}

func (p *Platform) buildEvent(eventID, eventType, tenantKey string, event any) ([]byte, error) {
	created := strconv.FormatInt(p.now().UnixMilli(), 10)
	if eventType == "card.action.trigger" {
		created = strconv.FormatInt(p.now().UnixMicro(), 10)
	}
	return json.Marshal(envelope{
		Schema: "2.0",
		Header: envelopeHeader{
			EventID:    eventID,
			EventType:  eventType,
			CreateTime: created,
			Token:      p.VerificationToken,
			AppID:      p.AppID,
			TenantKey:  tenantKey,
		},
		Event: event,
	})
}

// Deliver sends plaintext to url the way the platform would: wrapped as
// {"encrypt": ...} when EncryptKey is set (unless opts.Legacy), with the
// timestamp, nonce and signature headers.
func (p *Platform) Deliver(ctx context.Context, url string, plaintext []byte, opts DeliverOpts) (Result, error) {
	if p.LongConn != nil {
		if opts != (DeliverOpts{}) {
			// Nothing is signed on the long connection, and the legacy
			// format does not travel on it (§5): such a test means HTTP.
			return Result{}, errors.New("feishusim: deliver: signing options and the legacy format do not apply to the long connection")
		}
		return p.Resend(ctx, Sent{URL: longConnURL, Body: plaintext})
	}
	body := plaintext
	if p.EncryptKey != "" && !opts.Legacy {
		enc, err := Encrypt(plaintext, p.EncryptKey)
		if err != nil {
			return Result{}, err
		}
		if body, err = json.Marshal(map[string]string{"encrypt": enc}); err != nil {
			return Result{}, fmt.Errorf("feishusim: deliver: %w", err)
		}
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	if !opts.SkipSign {
		ts, nonce := opts.Timestamp, opts.Nonce
		if ts == "" {
			ts = strconv.FormatInt(p.now().Unix(), 10)
		}
		if nonce == "" {
			nonce = randHex(8)
		}
		h.Set("X-Lark-Request-Timestamp", ts)
		h.Set("X-Lark-Request-Nonce", nonce)
		if sig := p.signature(ts, nonce, body, opts); sig != "" {
			h.Set("X-Lark-Signature", sig)
		}
	}
	return p.Resend(ctx, Sent{URL: url, Header: h, Body: body})
}

// signature follows §4.3 (SHA-256 with the encrypt key; none without a key)
// and §9.7 (SHA-1 with the verification token) for legacy deliveries.
func (p *Platform) signature(ts, nonce string, body []byte, opts DeliverOpts) string {
	switch {
	case opts.Legacy && opts.BadSignature:
		return SignLegacy(ts, nonce, p.VerificationToken+"-wrong", body)
	case opts.Legacy:
		return SignLegacy(ts, nonce, p.VerificationToken, body)
	case opts.BadSignature:
		return Sign(ts, nonce, p.EncryptKey+"-wrong", body)
	case p.EncryptKey != "":
		return Sign(ts, nonce, p.EncryptKey, body)
	default:
		return ""
	}
}

// longConnURL is Sent.URL of a delivery over the long connection.
const longConnURL = "longconn:"

// Resend POSTs a request exactly as sent before, e.g. to test replay
// protection with identical bytes, timestamp, nonce and signature. With
// LongConn set it delivers the same payload over the long connection again:
// the platform's redelivery.
func (p *Platform) Resend(ctx context.Context, s Sent) (Result, error) {
	if p.LongConn != nil {
		a, err := p.LongConn.Deliver(ctx, s.Body)
		if err != nil {
			return Result{Sent: s}, err
		}
		return Result{Status: a.Code, Body: a.Data, Sent: s}, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(s.Body))
	if err != nil {
		return Result{}, fmt.Errorf("feishusim: deliver: %w", err)
	}
	req.Header = s.Header.Clone()
	resp, err := p.client().Do(req)
	if err != nil {
		return Result{}, fmt.Errorf("feishusim: deliver to %s: %w", s.URL, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return Result{}, fmt.Errorf("feishusim: read answer from %s: %w", s.URL, err)
	}
	return Result{Status: resp.StatusCode, Header: resp.Header, Body: answer, Sent: s}, nil
}
