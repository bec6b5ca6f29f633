package feishusim

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestTenantTokenLifecycle(t *testing.T) {
	e := newEnv(t, false)
	creds := map[string]string{"app_id": "cli_test", "app_secret": "secret"}
	first := e.token

	e.clock.Advance(10 * time.Minute)
	r := e.post(tokenPath, creds)
	wantCode(t, r, http.StatusOK, 0)
	if r.Raw["tenant_access_token"] != first || r.Raw["expire"] != float64(110*60) {
		t.Fatalf("with 110 min left: got %v, expire %v; want the same token and 6600", r.Raw["tenant_access_token"], r.Raw["expire"])
	}
	if _, nested := r.Raw["data"]; nested {
		t.Fatal("token fields must be top-level, not under data")
	}

	e.clock.Advance(81 * time.Minute) // 29 min left: a new token
	r = e.post(tokenPath, creds)
	second, _ := r.Raw["tenant_access_token"].(string)
	if second == first || !strings.HasPrefix(second, "t-") || r.Raw["expire"] != float64(7200) {
		t.Fatalf("with 29 min left: got %v expire %v, want a new t- token with 7200", second, r.Raw["expire"])
	}
	// The old token stays valid until it expires.
	wantCode(t, e.request(http.MethodGet, "/open-apis/bot/v3/info", nil, nil), http.StatusOK, 0)

	e.clock.Advance(30 * time.Minute)
	wantCode(t, e.request(http.MethodGet, "/open-apis/bot/v3/info", nil, nil), http.StatusBadRequest, CodeTokenInvalid)
	e.token = second
	wantCode(t, e.request(http.MethodGet, "/open-apis/bot/v3/info", nil, nil), http.StatusOK, 0)
}

func TestTenantTokenRefused(t *testing.T) {
	e := newEnv(t, false)
	for _, tc := range []struct {
		name string
		body any
		code int
	}{
		{"unknown app_id", map[string]string{"app_id": "cli_other", "app_secret": "secret"}, CodeAppInvalid},
		{"no app_id", map[string]string{"app_secret": "secret"}, CodeAppInvalid},
		{"wrong secret", map[string]string{"app_id": "cli_test", "app_secret": "guess"}, CodeAppSecretInvalid},
		{"not JSON", "app_id=cli_test", CodeBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, e.post(tokenPath, tc.body), http.StatusBadRequest, tc.code)
		})
	}
	for _, c := range e.sim.Calls() {
		if strings.Contains(string(c.Body), "secret") && !strings.Contains(string(c.Body), "REDACTED") {
			t.Errorf("call %d recorded the app secret: %s", c.Seq, c.Body)
		}
		if strings.Contains(string(c.Body), "guess") {
			t.Errorf("call %d recorded a wrong secret: %s", c.Seq, c.Body)
		}
	}
}

func TestAuthRefused(t *testing.T) {
	e := newEnv(t, false)
	for _, tc := range []struct {
		name, auth string
		code       int
	}{
		{"missing", "", CodeTokenMissing},
		{"not bearer", "Basic Y2xpOnNlY3JldA==", CodeTokenBadFormat},
		{"bare token", e.token, CodeTokenBadFormat},
		{"never issued", "Bearer t-0000", CodeTokenInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.request(http.MethodPost, "/open-apis/ephemeral/v1/send",
				map[string]any{"chat_id": "oc_group", "open_id": alice, "msg_type": "interactive", "card": simpleCard("x")},
				map[string]string{"Authorization": tc.auth})
			wantCode(t, r, http.StatusBadRequest, tc.code)
			if r.Raw["error"] == nil {
				t.Error("refusals carry error.log_id")
			}
		})
	}
	if n := len(e.sim.Ephemerals()); n != 0 {
		t.Fatalf("refused requests created %d ephemeral cards", n)
	}
	for _, c := range e.sim.Calls() {
		if strings.Contains(string(c.Body)+string(c.Response), e.token[2:]) && c.Path != tokenPath {
			t.Errorf("call %d recorded the token", c.Seq)
		}
	}
}

func TestContentType(t *testing.T) {
	e := newEnv(t, false)
	for _, tc := range []struct {
		ct string
		ok bool
	}{
		{"application/json; charset=utf-8", true},
		{"Application/JSON;charset=UTF-8", true},
		{"application/json;  charset=\"utf-8\"", true},
		{"", false},
		{"application/json", false},
		{"application/json; charset=gbk", false},
		{"text/plain; charset=utf-8", false},
		{"application/x-www-form-urlencoded", false},
	} {
		t.Run(tc.ct, func(t *testing.T) {
			r := e.request(http.MethodPost, "/open-apis/ephemeral/v1/send",
				map[string]any{"chat_id": "oc_group", "open_id": alice, "msg_type": "interactive", "card": simpleCard("x")},
				map[string]string{"Content-Type": tc.ct})
			if tc.ok {
				wantCode(t, r, http.StatusOK, 0)
			} else {
				wantCode(t, r, http.StatusBadRequest, CodeBadRequest)
			}
		})
	}
}

func TestUnknownRouteAndBotInfo(t *testing.T) {
	e := newEnv(t, false)
	wantCode(t, e.request(http.MethodGet, "/open-apis/nope/v1/x", nil, nil), http.StatusNotFound, 404)
	wantCode(t, e.request(http.MethodGet, "/open-apis/ephemeral/v1/send", nil, nil), http.StatusMethodNotAllowed, 405)

	r := e.request(http.MethodGet, "/open-apis/bot/v3/info", nil, nil)
	wantCode(t, r, http.StatusOK, 0)
	bot, _ := r.Raw["bot"].(map[string]any)
	if bot["open_id"] != e.sim.Options().BotOpenID || bot["activate_status"] != float64(2) {
		t.Fatalf("bot info: %v", r.Raw)
	}
}

func TestChatGet(t *testing.T) {
	e := newEnv(t, false)
	r := e.request(http.MethodGet, "/open-apis/im/v1/chats/oc_group?user_id_type=open_id", nil, nil)
	wantCode(t, r, http.StatusOK, 0)
	if r.Data["chat_mode"] != "group" || r.Data["owner_id"] != alice || r.Data["name"] != "Team" ||
		r.Data["chat_status"] != "normal" || r.Data["group_message_type"] != "chat" {
		t.Fatalf("chat: %v", r.Data)
	}
	if m, _ := r.Data["user_manager_id_list"].([]any); len(m) != 1 || m[0] != bob {
		t.Fatalf("managers: %v", r.Data["user_manager_id_list"])
	}
	r = e.request(http.MethodGet, "/open-apis/im/v1/chats/oc_group?user_id_type=user_id", nil, nil)
	if r.Data["owner_id"] != "u_alice" {
		t.Fatalf("owner as user_id: %v", r.Data["owner_id"])
	}
	r = e.request(http.MethodGet, "/open-apis/im/v1/chats/oc_topic", nil, nil)
	if r.Data["chat_mode"] != "topic" {
		t.Fatalf("topic chat: %v", r.Data)
	}
	wantCode(t, e.request(http.MethodGet, "/open-apis/im/v1/chats/oc_nobot", nil, nil), http.StatusBadRequest, CodeChatBotNotMember)
	wantCode(t, e.request(http.MethodGet, "/open-apis/im/v1/chats/oc_missing", nil, nil), http.StatusBadRequest, CodeChatInvalid)
}

func TestFaultInjection(t *testing.T) {
	e := newEnv(t, false)
	e.sim.SetFault(func(r *http.Request) *Fault {
		if r.URL.Path == "/open-apis/ephemeral/v1/send" {
			return &Fault{Delay: time.Millisecond, Status: http.StatusInternalServerError, Code: 1}
		}
		return nil
	})
	wantCode(t, e.sendEphemeral("oc_group", alice, simpleCard("x")), http.StatusInternalServerError, 1)
	wantCode(t, e.request(http.MethodGet, "/open-apis/bot/v3/info", nil, nil), http.StatusOK, 0)
	e.sim.SetFault(nil)
	wantCode(t, e.sendEphemeral("oc_group", alice, simpleCard("x")), http.StatusOK, 0)
}
