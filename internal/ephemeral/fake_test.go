package ephemeral

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

const (
	testAppID     = "cli_test_app"
	testAppSecret = "app-secret-MUST-NOT-LEAK"
	tokenPrefix   = "t-token-MUST-NOT-LEAK-"
)

// request is one request the fake platform received.
type request struct {
	Method      string
	Path        string
	Query       string
	Auth        string
	ContentType string
	Body        []byte
}

// fakeLark is a minimal stand-in for the Open API: it issues numbered tenant
// tokens and hands every other request to the handler registered for
// "METHOD /path", recording everything it receives.
type fakeLark struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	reqs     []request
	issued   int // tokens issued so far
	handlers map[string]http.HandlerFunc
	tokenFn  http.HandlerFunc // replaces the token endpoint when set
}

func newFakeLark(t *testing.T) *fakeLark {
	t.Helper()
	f := &fakeLark{t: t, handlers: make(map[string]http.HandlerFunc)}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeLark) handle(route string, h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handlers[route] = h
}

func (f *fakeLark) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.reqs = append(f.reqs, request{
		Method:      r.Method,
		Path:        r.URL.Path,
		Query:       r.URL.RawQuery,
		Auth:        r.Header.Get("Authorization"),
		ContentType: r.Header.Get("Content-Type"),
		Body:        body,
	})
	tokenFn := f.tokenFn
	h := f.handlers[r.Method+" "+r.URL.Path]
	f.mu.Unlock()

	if r.URL.Path == "/open-apis/auth/v3/tenant_access_token/internal" {
		if tokenFn != nil {
			tokenFn(w, r)
			return
		}
		var in struct {
			AppID     string `json:"app_id"`
			AppSecret string `json:"app_secret"`
		}
		_ = json.Unmarshal(body, &in)
		if in.AppID != testAppID || in.AppSecret != testAppSecret {
			writeJSON(w, http.StatusBadRequest, map[string]any{"code": 10014, "msg": "app secret invalid"})
			return
		}
		f.mu.Lock()
		f.issued++
		tok := fmt.Sprintf("%s%d", tokenPrefix, f.issued)
		f.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "ok", "tenant_access_token": tok, "expire": 7200})
		return
	}
	if h == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"code": 404, "msg": "no handler for " + r.Method + " " + r.URL.Path})
		return
	}
	h(w, r)
}

// setTokenHandler replaces the token endpoint.
func (f *fakeLark) setTokenHandler(h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokenFn = h
}

// allRequests returns every recorded request, token fetches included.
func (f *fakeLark) allRequests() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.reqs...)
}

// apiRequests returns the recorded requests other than token fetches.
func (f *fakeLark) apiRequests() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []request
	for _, r := range f.reqs {
		if r.Path != "/open-apis/auth/v3/tenant_access_token/internal" {
			out = append(out, r)
		}
	}
	return out
}

func (f *fakeLark) tokensIssued() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.issued
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Tt-Logid", "log-test-123")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// answer returns a handler that always replies status with body.
func answer(status int, body map[string]any) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, status, body) }
}

// newTestClient builds a Client against f that logs into an observer.
func newTestClient(t *testing.T, f *fakeLark, mod ...func(*Config)) (*Client, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	cfg := Config{AppID: testAppID, AppSecret: testAppSecret, BaseURL: f.srv.URL, Timeout: 2 * time.Second}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := New(cfg, zap.New(core))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, logs
}

// testCard is a small JSON 2.0 card.
var testCard = map[string]any{
	"schema": "2.0",
	"body": map[string]any{"elements": []any{
		map[string]any{"tag": "markdown", "content": "hello"},
	}},
}
