package feishusim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	alice = "ou_alice00000000000000000000000000"
	bob   = "ou_bob0000000000000000000000000000"
	carol = "ou_carol00000000000000000000000000" // in no chat
)

// fakeClock is a settable clock shared by the simulator and the test.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	// 300 ms into a second, so "within one second" windows are visibly partial.
	return &fakeClock{t: time.Date(2024, 11, 14, 8, 0, 0, 300e6, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a simulator behind a real HTTP server, with a standard world:
//
//	oc_group   normal group: alice (owner), bob (manager), the bot
//	oc_group2  normal group: alice, the bot
//	oc_topic   topic group with alice and the bot
//	oc_p2p     p2p chat between alice and the bot
//	oc_nobot   normal group with alice, without the bot
type env struct {
	t     *testing.T
	sim   *Server
	srv   *httptest.Server
	clock *fakeClock
	token string
}

func newEnv(t *testing.T, enforceLimits bool) *env {
	t.Helper()
	clock := newFakeClock()
	sim := New(Options{AppID: "cli_test", AppSecret: "secret", Clock: clock.Now, EnforceRateLimits: enforceLimits})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	sim.AddUser(User{OpenID: alice, UserID: "u_alice", Email: "alice@example.com", Name: "Alice"})
	sim.AddUser(User{OpenID: bob, UserID: "u_bob", Email: "bob@example.com", Name: "Bob"})
	sim.AddUser(User{OpenID: carol, UserID: "u_carol", Email: "carol@example.com", Name: "Carol"})
	sim.AddChat(Chat{ID: "oc_group", Name: "Team", OwnerID: alice, Managers: []string{bob}, Members: []string{alice, bob}, BotIsMember: true})
	sim.AddChat(Chat{ID: "oc_group2", Name: "Team 2", OwnerID: alice, Members: []string{alice}, BotIsMember: true})
	sim.AddChat(Chat{ID: "oc_topic", Mode: "topic", Members: []string{alice}, BotIsMember: true})
	sim.AddChat(Chat{ID: "oc_p2p", Mode: "p2p", Members: []string{alice}, BotIsMember: true})
	sim.AddChat(Chat{ID: "oc_nobot", Members: []string{alice}})
	e := &env{t: t, sim: sim, srv: srv, clock: clock}
	e.refreshToken()
	return e
}

// refreshToken fetches a tenant token, as a client does after its expiry.
func (e *env) refreshToken() {
	e.t.Helper()
	res := e.request(http.MethodPost, tokenPath, map[string]string{"app_id": "cli_test", "app_secret": "secret"}, nil)
	if res.Code != 0 {
		e.t.Fatalf("token: %+v", res)
	}
	e.token = res.Raw["tenant_access_token"].(string)
}

// response is a decoded simulator answer.
type response struct {
	Status int
	Code   int
	Msg    string
	Data   map[string]any
	Raw    map[string]any
	Header http.Header
}

// request sends body (a string or []byte as is, anything else as JSON) with
// the env's token and the documented Content-Type; hdr overrides headers
// (an empty value deletes one).
func (e *env) request(method, path string, body any, hdr map[string]string) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if e.token != "" {
		req.Header.Set("Authorization", "Bearer "+e.token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		e.t.Fatalf("%s %s: Content-Type %q, body %s", method, path, ct, raw)
	}
	if resp.Header.Get("X-Tt-Logid") == "" {
		e.t.Fatalf("%s %s: no X-Tt-Logid", method, path)
	}
	r := response{Status: resp.StatusCode, Header: resp.Header}
	if err := json.Unmarshal(raw, &r.Raw); err != nil {
		e.t.Fatalf("%s %s: answer is not JSON: %s", method, path, raw)
	}
	code, _ := r.Raw["code"].(float64)
	r.Code = int(code)
	r.Msg, _ = r.Raw["msg"].(string)
	r.Data, _ = r.Raw["data"].(map[string]any)
	return r
}

func (e *env) post(path string, body any) response {
	e.t.Helper()
	return e.request(http.MethodPost, path, body, nil)
}

// sendEphemeral sends card to openID in chatID and returns the answer.
func (e *env) sendEphemeral(chatID, openID string, card any) response {
	e.t.Helper()
	return e.post("/open-apis/ephemeral/v1/send", map[string]any{
		"chat_id": chatID, "open_id": openID, "msg_type": "interactive", "card": card,
	})
}

// postCard posts card (marshalled into the content string) to chatID.
func (e *env) postCard(chatID string, card any, uuid string) response {
	e.t.Helper()
	content, err := json.Marshal(card)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.post("/open-apis/im/v1/messages?receive_id_type=chat_id", map[string]any{
		"receive_id": chatID, "msg_type": "interactive", "content": string(content), "uuid": uuid,
	})
}

func wantCode(t *testing.T, r response, status, code int) {
	t.Helper()
	if r.Status != status || r.Code != code {
		t.Fatalf("got HTTP %d code %d (%s), want HTTP %d code %d", r.Status, r.Code, r.Msg, status, code)
	}
}

// simpleCard is a valid shared JSON 2.0 card with one callback button.
func simpleCard(text string) map[string]any {
	return map[string]any{
		"schema": "2.0",
		"config": map[string]any{"update_multi": true},
		"header": map[string]any{"title": map[string]any{"tag": "plain_text", "content": text}, "template": "blue"},
		"body": map[string]any{"elements": []any{
			map[string]any{"tag": "markdown", "content": text},
			map[string]any{
				"tag": "button", "name": "ok_btn", "text": map[string]any{"tag": "plain_text", "content": "OK"},
				"behaviors": []any{map[string]any{"type": "callback", "value": map[string]any{"k": "v"}}},
			},
		}},
	}
}

func mustJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad test JSON: %v\n%s", err, s)
	}
	return m
}
