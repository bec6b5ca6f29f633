package ephemeral

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/botd/botd/internal/feishusim"
)

func TestSimJSAPITicket(t *testing.T) {
	env := newSim(t, feishusim.Options{})
	tk, err := env.c.JSAPITicket(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tk.Ticket == "" || tk.Ticket != env.sim.JSAPITicket() || tk.ExpireIn != 2*time.Hour {
		t.Fatalf("ticket %+v, simulator holds %q", tk, env.sim.JSAPITicket())
	}
}

func TestSimUserFromCode(t *testing.T) {
	env := newSim(t, feishusim.Options{})
	ctx := context.Background()
	code, err := env.sim.IssueAuthCode(alice)
	if err != nil {
		t.Fatal(err)
	}
	u, err := env.c.UserFromCode(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	if u.OpenID != alice || u.TenantKey != env.sim.Options().TenantKey || u.Name != "Alice" {
		t.Fatalf("user %+v", u)
	}

	// Refusals are NotApplied APIErrors with the platform's code.
	late, _ := env.sim.IssueAuthCode(bob)
	env.clock.Advance(feishusim.AuthCodeLifetime)
	for code, want := range map[string]int{code: feishusim.CodeOAuthCodeUsed, "code-nope": feishusim.CodeOAuthUnknownCode, late: feishusim.CodeOAuthExpiredCode} {
		_, err := env.c.UserFromCode(ctx, code)
		apiErr, ok := errors.AsType[*APIError](err)
		if !ok || apiErr.Code != want || !apiErr.NotApplied() || apiErr.Retryable() {
			t.Errorf("code %s: %v, want a permanent APIError with code %d", code, err, want)
		}
	}
	if _, err := env.c.UserFromCode(ctx, ""); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("empty code: %v", err)
	}

	// The wrong secret is refused, and never appears in the error.
	bad, err := New(Config{AppID: testAppID, AppSecret: "wrong-secret-xyz", BaseURL: env.url}, nil)
	if err != nil {
		t.Fatal(err)
	}
	code, _ = env.sim.IssueAuthCode(alice)
	_, err = bad.UserFromCode(ctx, code)
	if apiErr, ok := errors.AsType[*APIError](err); !ok || apiErr.Code != feishusim.CodeOAuthBadSecret || strings.Contains(err.Error(), "wrong-secret-xyz") {
		t.Errorf("bad secret: %v", err)
	}

	// A platform failure is not a refused code.
	env.sim.SetFault(func(r *http.Request) *feishusim.Fault {
		return &feishusim.Fault{Status: http.StatusInternalServerError, Code: 1}
	})
	code, _ = env.sim.IssueAuthCode(alice)
	_, err = env.c.UserFromCode(ctx, code)
	if apiErr, ok := errors.AsType[*APIError](err); !ok || apiErr.NotApplied() || !apiErr.Retryable() {
		t.Errorf("5xx: %v, want a retryable APIError", err)
	}
}

// The real OAuth v2 endpoint answers errors OAuth-style, "error" a string.
func TestOAuthErrorShape(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"code":20003,"error":"invalid_grant","error_description":"The code is not found"}`))
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{AppID: testAppID, AppSecret: testAppSecret, BaseURL: srv.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.UserFromCode(context.Background(), "code-x")
	if apiErr, ok := errors.AsType[*APIError](err); !ok || apiErr.Code != 20003 || apiErr.Msg != "The code is not found" || !apiErr.NotApplied() {
		t.Fatalf("got %v", err)
	}
}
