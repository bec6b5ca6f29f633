package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/botd/botd/internal/feishusim"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/requestid"
)

const (
	testAppID = "cli_test0001"
	testToken = "vt-test-token"
	testKey   = "ek-test-key"
)

// fakeFlows records what it is handed.
type fakeFlows struct {
	mu       sync.Mutex
	messages []flows.Message
	actions  []flows.Action
	err      error        // returned by both calls when set
	panicMsg string       // both calls panic with it when set
	answer   flows.Answer // returned by HandleAction
	during   func()       // runs inside HandleMessage, without the lock
}

func (f *fakeFlows) HandleMessage(_ context.Context, m flows.Message) error {
	if f.during != nil {
		f.during()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.panicMsg != "" {
		panic(f.panicMsg)
	}
	if f.err != nil {
		return f.err
	}
	f.messages = append(f.messages, m)
	return nil
}

func (f *fakeFlows) HandleAction(_ context.Context, a flows.Action) (flows.Answer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.panicMsg != "" {
		panic(f.panicMsg)
	}
	if f.err != nil {
		return flows.Answer{}, f.err
	}
	f.actions = append(f.actions, a)
	return f.answer, nil
}

func (f *fakeFlows) set(fn func(f *fakeFlows)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

// handled counts successful hand-overs.
func (f *fakeFlows) handled() (messages []flows.Message, actions []flows.Action) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.messages), slices.Clone(f.actions)
}

// fakeClaims is an in-memory Claims (SET NX without expiry).
type fakeClaims struct {
	mu   sync.Mutex
	keys map[string]time.Duration
	kept map[string]bool // claims marked handled by Keep
	err  error           // Claim fails with it when set (Redis down)
}

func newFakeClaims() *fakeClaims {
	return &fakeClaims{keys: map[string]time.Duration{}, kept: map[string]bool{}}
}

func (c *fakeClaims) Claim(_ context.Context, ttl time.Duration, keys ...string) (string, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return "", false, c.err
	}
	for _, k := range keys {
		if _, ok := c.keys[k]; ok {
			return k, c.kept[k], nil
		}
	}
	for _, k := range keys {
		c.keys[k] = ttl
		delete(c.kept, k)
	}
	return "", false, nil
}

func (c *fakeClaims) Keep(_ context.Context, ttl time.Duration, keys ...string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		if _, ok := c.keys[k]; ok {
			c.keys[k] = ttl
			c.kept[k] = true
		}
	}
	return nil
}

func (c *fakeClaims) Release(_ context.Context, keys ...string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		delete(c.keys, k)
	}
	return nil
}

func (c *fakeClaims) held() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Sorted(maps.Keys(c.keys))
}

// harness is a Handler behind a real HTTP server.
type harness struct {
	srv    *httptest.Server
	flows  *fakeFlows
	claims *fakeClaims
	logs   *observer.ObservedLogs
	reg    *prometheus.Registry
}

func newHarness(t testing.TB, mod func(*Config)) *harness {
	t.Helper()
	hs := &harness{flows: &fakeFlows{}, claims: newFakeClaims(), reg: prometheus.NewRegistry()}
	core, logs := observer.New(zap.DebugLevel)
	hs.logs = logs
	cfg := Config{AppID: testAppID, VerificationToken: testToken, EncryptKey: testKey}
	if mod != nil {
		mod(&cfg)
	}
	h, err := New(cfg, hs.flows, hs.claims, zap.New(core), hs.reg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	r := chi.NewRouter()
	r.Use(requestid.Middleware) // as internal/app mounts it
	h.Routes(r)
	hs.srv = httptest.NewServer(r)
	t.Cleanup(hs.srv.Close)
	return hs
}

func noKey(c *Config)    { c.EncryptKey = "" }
func legacyOn(c *Config) { c.LegacyCardCallbacks = true }

// both applies several Config changes.
func both(mods ...func(*Config)) func(*Config) {
	return func(c *Config) {
		for _, m := range mods {
			m(c)
		}
	}
}

// maxLogLine is the length of the longest line the logs would have held,
// encoded as botd encodes them in production (JSON).
func maxLogLine(t testing.TB, logs *observer.ObservedLogs) (longest int, line string) {
	t.Helper()
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	for _, e := range logs.All() {
		buf, err := enc.EncodeEntry(e.Entry, e.Context)
		if err != nil {
			t.Fatal(err)
		}
		if buf.Len() > longest {
			longest, line = buf.Len(), buf.String()
		}
		buf.Free()
	}
	return longest, line
}

// maxLogBytes is the most one request may put into one log line. A stack
// trace (a panic) would exceed it; nothing a client sends may.
const maxLogBytes = 4 << 10

// delivery is one request as the platform (or an attacker) sends it.
type delivery struct {
	method string // POST when empty
	path   string // /webhook/event when empty
	body   []byte
	header http.Header
}

type answer struct {
	status int
	body   []byte
	header http.Header
}

func (hs *harness) send(t testing.TB, d delivery) answer {
	t.Helper()
	method, path := d.method, d.path
	if method == "" {
		method = http.MethodPost
	}
	if path == "" {
		path = "/webhook/event"
	}
	req, err := http.NewRequest(method, hs.srv.URL+path, bytes.NewReader(d.body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range d.header {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hs.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{status: resp.StatusCode, body: body, header: resp.Header}
}

// nowTS is a fresh X-Lark-Request-Timestamp in Unix seconds.
func nowTS() string { return strconv.FormatInt(time.Now().Unix(), 10) }

// signedHeaders are the three security headers for body.
func signedHeaders(ts, nonce, sig string) http.Header {
	h := http.Header{}
	h.Set("X-Lark-Request-Timestamp", ts)
	h.Set("X-Lark-Request-Nonce", nonce)
	h.Set("X-Lark-Signature", sig)
	return h
}

// signed is body as sent with the SHA-256 signature of key.
func signed(body []byte, key, ts string) delivery {
	return delivery{body: body, header: signedHeaders(ts, "nonce-1", feishusim.Sign(ts, "nonce-1", key, body))}
}

// encryptBody wraps plain into {"encrypt": ...} as the platform does.
func encryptBody(t testing.TB, plain []byte, key string) []byte {
	t.Helper()
	enc, err := feishusim.Encrypt(plain, key)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(map[string]string{"encrypt": enc})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sealed is plain encrypted and signed with testKey: a genuine delivery.
func sealed(t testing.TB, plain []byte) delivery {
	return signed(encryptBody(t, plain, testKey), testKey, nowTS())
}

// legacySigned is body signed the way the legacy card request URL is.
func legacySigned(body []byte, token, ts string) delivery {
	return delivery{path: "/webhook/card", body: body,
		header: signedHeaders(ts, "nonce-l", feishusim.SignLegacy(ts, "nonce-l", token, body))}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// v2 builds a v2 envelope.
func v2(t testing.TB, eventType, eventID string, event any, mod ...func(header map[string]any)) []byte {
	header := map[string]any{
		"event_id": eventID, "event_type": eventType, "create_time": "1608725989000",
		"token": testToken, "app_id": testAppID, "tenant_key": "tk_1",
	}
	for _, m := range mod {
		m(header)
	}
	return mustJSON(t, map[string]any{"schema": "2.0", "header": header, "event": event})
}

// textMessage is the event of im.message.receive_v1 for a text message.
func textMessage(messageID, text string) map[string]any {
	return message(messageID, "text", mustJSONString(map[string]string{"text": text}))
}

func message(messageID, messageType, content string) map[string]any {
	return map[string]any{
		"sender": map[string]any{
			"sender_id":   map[string]string{"open_id": "ou_sender", "union_id": "on_sender"},
			"sender_type": "user", "tenant_key": "tk_1",
		},
		"message": map[string]any{
			"message_id": messageID, "chat_id": "oc_chat", "chat_type": "group",
			"message_type": messageType, "content": content, "create_time": "1608725989000",
			"mentions": []map[string]any{
				{"key": "@_user_1", "id": map[string]string{"open_id": "ou_bot"}, "name": "TodoBot", "tenant_key": "tk_1"},
				{"key": "@_user_2", "id": map[string]string{"open_id": "ou_bob"}, "name": "Bob", "tenant_key": "tk_1"},
			},
		},
	}
}

func mustJSONString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// cardTrigger is the event of a card.action.trigger callback.
func cardTrigger(value any) map[string]any {
	return map[string]any{
		"operator": map[string]any{"tenant_key": "tk_1", "user_id": "u1", "open_id": "ou_clicker", "union_id": "on_clicker"},
		"token":    "c-update-token",
		"action": map[string]any{
			"value": value, "tag": "button", "timezone": "Asia/Shanghai", "name": "submit_btn",
			"form_value": map[string]any{"title": "Buy milk", "due_date": "2024-11-15 +0800"},
		},
		"host":    "im_message",
		"context": map[string]string{"open_message_id": "om_card", "open_chat_id": "oc_chat"},
	}
}

// legacyAction is a body in the card request URL format.
func legacyAction(t testing.TB, value any) []byte {
	return mustJSON(t, map[string]any{
		"open_id": "ou_clicker", "user_id": "u1", "open_message_id": "om_card", "open_chat_id": "oc_chat",
		"tenant_key": "tk_1", "token": "c-legacy-token",
		"action": map[string]any{"value": value, "tag": "button", "option": "", "timezone": "Asia/Shanghai", "name": "done_btn"},
	})
}

var errFlows = errors.New("flows: store unavailable")
