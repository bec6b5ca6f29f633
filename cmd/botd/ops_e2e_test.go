package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/botd/botd/internal/app"
	"github.com/botd/botd/internal/app/apptest"
	"github.com/botd/botd/internal/clock"
	"github.com/botd/botd/internal/feishusim"
	"github.com/botd/botd/internal/state/statetest"
)

const tokenPath = "/open-apis/auth/v3/tenant_access_token/internal"

// tokenRecord counts the simulator's token requests and its answers that
// rejected a token (99991663).
func tokenRecord(sim *feishusim.Server) (fetches, rejected int) {
	for _, c := range sim.Calls() {
		if c.Path == tokenPath {
			fetches++
		}
		if c.Code == feishusim.CodeTokenInvalid {
			rejected++
		}
	}
	return fetches, rejected
}

// probe GETs /readyz n times and returns the statuses seen.
func probe(t *testing.T, addr string, n int) map[int]int {
	t.Helper()
	seen := map[int]int{}
	for range n {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		seen[resp.StatusCode]++
	}
	return seen
}

// /readyz answers from the token botd holds, or from its last fetch, never
// with a request to the platform per probe: with a token, and with a
// platform that refuses botd's credentials.
func TestReadyzDoesNotFetchATokenPerProbe(t *testing.T) {
	const probes = 100
	t.Run("token held", func(t *testing.T) {
		w := newWorld(t)
		if seen := probe(t, w.bot.Addr(), probes); seen[http.StatusOK] != probes {
			t.Fatalf("statuses %v, want %d × 200", seen, probes)
		}
		if fetches, _ := tokenRecord(w.sim); fetches != 1 {
			t.Errorf("%d token requests for %d probes, want 1", fetches, probes)
		}
	})
	t.Run("credentials refused", func(t *testing.T) {
		w := newWorldWith(t, func(c *Config) { c.AppSecret = "not-the-secret" })
		if seen := probe(t, w.bot.Addr(), probes); seen[http.StatusServiceUnavailable] != probes {
			t.Fatalf("statuses %v, want %d × 503", seen, probes)
		}
		// The probes' first fetch, botd's own start-up lookups retrying
		// in the background (every 1 s, 2 s, ...), and one more per 5 s a
		// slow machine may spend on the loop: a handful, not one a probe.
		if fetches, _ := tokenRecord(w.sim); fetches > 10 {
			t.Errorf("%d token requests for %d probes, want a handful", fetches, probes)
		}
	})
}

// When botd's clock jumps past the tenant token's life (the playground's
// fast-forward; a resumed VM), the next Open API call fetches a new token
// first: the platform, whose tokens expire on the same clock, never
// answers 99991663.
func TestFastForwardFetchesANewTokenFirst(t *testing.T) {
	clk := &clock.Offset{}
	sim := feishusim.New(feishusim.Options{AppID: testAppID, AppSecret: testSecret, BotOpenID: "ou_bot", Clock: clk.Now})
	simSrv := httptest.NewServer(sim)
	t.Cleanup(simSrv.Close)
	for _, u := range []feishusim.User{{OpenID: alice, Name: "Alice"}, {OpenID: bob, Name: "Bob"}} {
		sim.AddUser(u)
	}
	sim.AddChat(feishusim.Chat{ID: chatID, Mode: "group", Name: "Team", OwnerID: alice,
		Members: []string{alice, bob}, BotIsMember: true})

	cfg := Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.AppID, cfg.AppSecret = testAppID, testSecret
	cfg.VerificationToken, cfg.EncryptKey = testToken, testKey
	cfg.OpenBaseURL = simSrv.URL
	cfg.RedisURL = Secret(statetest.URL(t))
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	bot := apptest.Start(t, cfg.App(), app.Options{Now: clk.Now})
	base := "http://" + bot.Addr()
	w := &world{sim: sim, bot: bot, platform: &feishusim.Platform{
		EventURL: base + "/webhook/event", CardURL: base + "/webhook/card",
		AppID: testAppID, TenantKey: testTenant, VerificationToken: testToken, EncryptKey: testKey,
		Client: &http.Client{Timeout: 5 * time.Second},
	}}

	w.sendText(t, alice, "/todo Buy milk")
	w.formFor(t, alice, 1)
	before, _ := tokenRecord(sim)

	clk.Advance(3 * time.Hour) // the token's life is 2 h
	w.sendText(t, bob, "/todo Call the plumber")
	w.formFor(t, bob, 1)

	fetches, rejected := tokenRecord(sim)
	if rejected != 0 {
		t.Errorf("the platform rejected %d expired tokens; botd should have refreshed first", rejected)
	}
	if fetches != before+1 {
		t.Errorf("token requests: %d before the jump, %d after; want exactly one more", before, fetches)
	}
}
