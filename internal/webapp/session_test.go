package webapp

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/botd/botd/internal/state/statetest"
)

func TestSessionLogin(t *testing.T) {
	p := newPlatform(t)
	rp := p.replica(t, Config{})
	origin := map[string]string{"Origin": rp.srv.URL}
	code, _ := p.sim.IssueAuthCode(alice)
	a := rp.do(t, http.MethodPost, "/app/api/session", map[string]string{"code": code}, origin)
	if a.status != http.StatusOK || a.body["open_id"] != alice || a.body["tenant_key"] != simTenant {
		t.Fatalf("login: %d %s", a.status, a.raw)
	}
	c := sessionCookieOf(t, a)
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure || c.Path != "/app/" || len(c.Value) < 43 {
		t.Fatalf("cookie %+v: want HttpOnly, SameSite=Lax, not Secure over http, path /app/, 256-bit id", c)
	}
	// The id is stored only hashed.
	keys := statetest.Keys(t, p.rdb, "*")
	for _, k := range keys {
		if strings.Contains(k, c.Value) {
			t.Fatalf("session id in a Redis key: %s", k)
		}
	}

	// A reused, unknown or expired code is a 401 without a cookie.
	late, _ := p.sim.IssueAuthCode(bob)
	for _, tc := range []struct{ name, code string }{
		{"reused", code},
		{"unknown", "code-nope"},
		{"empty", ""},
		{"spaces", "a b"},
	} {
		a := rp.do(t, http.MethodPost, "/app/api/session", map[string]string{"code": tc.code}, origin)
		if a.status != http.StatusUnauthorized || sessionCookieOf(t, a) != nil {
			t.Errorf("%s code: %d %s, cookie %v; want 401 and no cookie", tc.name, a.status, a.raw, sessionCookieOf(t, a))
		}
	}
	p.clock.Advance(3*time.Minute + time.Second)
	if a := rp.do(t, http.MethodPost, "/app/api/session", map[string]string{"code": late}, origin); a.status != http.StatusUnauthorized || sessionCookieOf(t, a) != nil {
		t.Errorf("expired code: %d %s", a.status, a.raw)
	}
	if a := rp.do(t, http.MethodPost, "/app/api/session", "not json", origin); a.status != http.StatusBadRequest {
		t.Errorf("not JSON: %d", a.status)
	}
}

func TestSessionSecureOverTLS(t *testing.T) {
	p := newPlatform(t)
	rp := p.replica(t, Config{TrustForwardedProto: true})
	code, _ := p.sim.IssueAuthCode(alice)
	a := rp.do(t, http.MethodPost, "/app/api/session", map[string]string{"code": code}, map[string]string{"X-Forwarded-Proto": "https"})
	if c := sessionCookieOf(t, a); c == nil || !c.Secure {
		t.Fatalf("behind a trusted TLS proxy: cookie %+v, want Secure", c)
	}
	untrusted := p.replica(t, Config{})
	code, _ = p.sim.IssueAuthCode(alice)
	a = untrusted.do(t, http.MethodPost, "/app/api/session", map[string]string{"code": code}, map[string]string{"X-Forwarded-Proto": "https"})
	if c := sessionCookieOf(t, a); c == nil || c.Secure {
		t.Fatalf("untrusted X-Forwarded-Proto: cookie %+v, want not Secure", c)
	}
}

func TestSessionExpires(t *testing.T) {
	p := newPlatform(t)
	rp := p.replica(t, Config{SessionTTL: time.Hour})
	cookie := rp.login(t, alice)
	items := func() int {
		return rp.do(t, http.MethodGet, "/app/api/items", nil, map[string]string{"Cookie": cookie}).status
	}
	if s := items(); s != http.StatusOK {
		t.Fatalf("fresh session: %d", s)
	}
	p.clock.Advance(59 * time.Minute)
	if s := items(); s != http.StatusOK {
		t.Fatalf("session at 59 min: %d", s)
	}
	p.clock.Advance(time.Minute)
	if s := items(); s != http.StatusUnauthorized {
		t.Fatalf("session after its hour: %d, want 401", s)
	}
	for _, c := range []string{"", SessionCookie + "=forged", SessionCookie + "=" + strings.Repeat("A", 43)} {
		if s := rp.do(t, http.MethodGet, "/app/api/items", nil, map[string]string{"Cookie": c}).status; s != http.StatusUnauthorized {
			t.Errorf("cookie %q: %d, want 401", c, s)
		}
	}
}

// A POST from another site's page is refused before anything happens: the
// code it carried still works from the app's own page.
func TestCrossSiteRefused(t *testing.T) {
	p := newPlatform(t)
	rp := p.replica(t, Config{})
	code, _ := p.sim.IssueAuthCode(alice)
	for _, hdr := range []map[string]string{
		{"Origin": "https://evil.example.com"},
		{"Origin": "null"},
		{"Origin": "http://127.0.0.1:1"},
		{"Sec-Fetch-Site": "cross-site"},
		{"Origin": rp.srv.URL, "Sec-Fetch-Site": "cross-site"},
	} {
		a := rp.do(t, http.MethodPost, "/app/api/session", map[string]string{"code": code}, hdr)
		if a.status != http.StatusForbidden || sessionCookieOf(t, a) != nil {
			t.Errorf("%v: %d %s, want 403", hdr, a.status, a.raw)
		}
	}
	a := rp.do(t, http.MethodPost, "/app/api/session", map[string]string{"code": code}, map[string]string{"Origin": rp.srv.URL, "Sec-Fetch-Site": "same-origin"})
	if a.status != http.StatusOK {
		t.Fatalf("same origin after refusals: %d %s", a.status, a.raw)
	}
}
