package feishusim

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

const (
	ticketPath    = "/open-apis/jssdk/ticket/get"
	oauthPath     = "/open-apis/authen/v2/oauth/token"
	userInfoPath  = "/open-apis/authen/v1/user_info"
	testAppSecret = "secret"
)

func TestJSAPITicket(t *testing.T) {
	e := newEnv(t, false)
	r := e.post(ticketPath, nil)
	wantCode(t, r, http.StatusOK, 0)
	ticket, _ := r.Data["ticket"].(string)
	if ticket == "" || r.Data["expire_in"] != float64(7200) || e.sim.JSAPITicket() != ticket {
		t.Fatalf("ticket answer %v; simulator holds %q", r.Data, e.sim.JSAPITicket())
	}
	e.clock.Advance(time.Hour)
	r = e.post(ticketPath, nil)
	if r.Data["ticket"] != ticket || r.Data["expire_in"] != float64(3600) {
		t.Fatalf("an hour later: %v, want the same ticket with 3600 s left", r.Data)
	}
	if e.sim.TicketFetches() != 2 {
		t.Fatalf("TicketFetches = %d, want 2", e.sim.TicketFetches())
	}
	e.clock.Advance(2 * time.Hour)
	if e.sim.JSAPITicket() != "" {
		t.Fatal("an expired ticket is still current")
	}

	// A tenant token is required.
	wantCode(t, e.request(http.MethodPost, ticketPath, nil, map[string]string{"Authorization": ""}), http.StatusBadRequest, CodeTokenMissing)
	wantCode(t, e.request(http.MethodPost, ticketPath, nil, map[string]string{"Authorization": "Bearer t-nope"}), http.StatusBadRequest, CodeTokenInvalid)
}

func TestOAuthCodeExchange(t *testing.T) {
	e := newEnv(t, false)
	e.token = "" // the exchange carries the app's credentials, not a token
	body := func(code string) map[string]string {
		return map[string]string{"grant_type": "authorization_code", "client_id": "cli_test", "client_secret": testAppSecret, "code": code}
	}
	code, err := e.sim.IssueAuthCode(alice)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.sim.IssueAuthCode("ou_nobody"); err == nil {
		t.Fatal("a code for an unknown user was issued")
	}

	// Refusals leave the code unused.
	for _, tc := range []struct {
		name string
		mod  func(map[string]string)
		code int
	}{
		{"no code", func(b map[string]string) { delete(b, "code") }, CodeOAuthMissingField},
		{"no secret", func(b map[string]string) { delete(b, "client_secret") }, CodeOAuthMissingField},
		{"bad grant", func(b map[string]string) { b["grant_type"] = "client_credentials" }, CodeOAuthBadGrantType},
		{"other app", func(b map[string]string) { b["client_id"] = "cli_other" }, CodeOAuthUnknownApp},
		{"bad secret", func(b map[string]string) { b["client_secret"] = "nope" }, CodeOAuthBadSecret},
		{"unknown code", func(b map[string]string) { b["code"] = "code-nope" }, CodeOAuthUnknownCode},
	} {
		b := body(code)
		tc.mod(b)
		wantCode(t, e.post(oauthPath, b), http.StatusBadRequest, tc.code)
	}

	r := e.post(oauthPath, body(code))
	wantCode(t, r, http.StatusOK, 0)
	tok, _ := r.Raw["access_token"].(string)
	if !strings.HasPrefix(tok, "u-") || r.Raw["expires_in"] != float64(7200) || r.Raw["token_type"] != "Bearer" {
		t.Fatalf("token answer %v", r.Raw)
	}
	wantCode(t, e.post(oauthPath, body(code)), http.StatusBadRequest, CodeOAuthCodeUsed)

	// user_info takes the user token, not a tenant token.
	r = e.request(http.MethodGet, userInfoPath, nil, map[string]string{"Authorization": "Bearer " + tok})
	wantCode(t, r, http.StatusOK, 0)
	if r.Data["open_id"] != alice || r.Data["tenant_key"] != "sim_tenant" || r.Data["name"] != "Alice" {
		t.Fatalf("user_info %v", r.Data)
	}
	e.refreshToken()
	wantCode(t, e.request(http.MethodGet, userInfoPath, nil, nil), http.StatusUnauthorized, CodeUserTokenInvalid)
	wantCode(t, e.request(http.MethodGet, userInfoPath, nil, map[string]string{"Authorization": ""}), http.StatusBadRequest, CodeTokenMissing)

	// Codes live 3 minutes; user tokens 2 hours.
	late, _ := e.sim.IssueAuthCode(bob)
	e.clock.Advance(AuthCodeLifetime)
	e.token = ""
	wantCode(t, e.post(oauthPath, body(late)), http.StatusBadRequest, CodeOAuthExpiredCode)
	e.clock.Advance(2 * time.Hour)
	wantCode(t, e.request(http.MethodGet, userInfoPath, nil, map[string]string{"Authorization": "Bearer " + tok}), http.StatusUnauthorized, CodeUserTokenExpired)
}
