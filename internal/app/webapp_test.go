package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"go.uber.org/zap/zaptest"

	"github.com/botd/botd/internal/feishusim"
	"github.com/botd/botd/internal/state/statetest"
)

// Two replicas of botd on one Redis serve the web app with one jsapi_ticket:
// the platform is asked for it once, not per page view or per replica.
func TestWebAppTicketSharedByReplicas(t *testing.T) {
	const appID, secret = "cli_webapptest000001", "webapp-secret"
	sim := feishusim.New(feishusim.Options{AppID: appID, AppSecret: secret})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	redisURL := statetest.URL(t)
	if redisURL == "" {
		redisURL = "redis://" + miniredis.RunT(t).Addr()
	}
	cfg := Config{Addr: "127.0.0.1:0", AppID: appID, AppSecret: secret, VerificationToken: "vt",
		OpenBaseURL: srv.URL, RedisURL: redisURL}
	var bases []string
	for range 2 {
		a, err := New(t.Context(), cfg, zaptest.NewLogger(t), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = a.Stop(ctx)
		})
		bases = append(bases, "http://"+a.Addr())
	}
	for range 2 {
		for _, base := range bases {
			resp, err := http.Get(base + "/app/api/jssdk?url=" + url.QueryEscape(base+"/app/"))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("jssdk on %s: %d", base, resp.StatusCode)
			}
		}
	}
	if n := sim.TicketFetches(); n != 1 {
		t.Fatalf("two replicas fetched the ticket %d times, want 1", n)
	}

	// The routes are mounted as contract.md lists them.
	for _, tc := range []struct {
		method, path, origin string
		want                 int
	}{
		{http.MethodGet, "/app/", "", http.StatusOK},
		{http.MethodGet, "/app/api/jssdk", "", http.StatusBadRequest},
		{http.MethodGet, "/app/api/items", "", http.StatusUnauthorized},
		{http.MethodPost, "/app/api/session", "https://evil.example.com", http.StatusForbidden},
		{http.MethodPost, "/app/api/session", "", http.StatusUnauthorized},
	} {
		req, _ := http.NewRequest(tc.method, bases[0]+tc.path, strings.NewReader(`{"code":"code-nope"}`))
		if tc.origin != "" {
			req.Header.Set("Origin", tc.origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s (Origin %q): %d, want %d", tc.method, tc.path, tc.origin, resp.StatusCode, tc.want)
		}
	}
}
