package ephemeral

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/botd/botd/internal/feishusim"
	"github.com/botd/botd/internal/jobs/retry"
	"github.com/botd/botd/internal/state"
	"github.com/botd/botd/internal/state/statetest"
	"github.com/botd/botd/internal/tenant"
)

// These tests run a store app's client against the simulator in store
// mode: two tenants with the same chat and user ids, the app_ticket pushed
// to a receiver that hands it to SetAppTicket (what the webhook does), and
// the tokens shared through a real Redis (statetest) as in production.

const (
	tenA = "tenant_aaaa"
	tenB = "tenant_bbbb"
)

type storeEnv struct {
	sim      *feishusim.Server
	simClock *simClock
	url      string
	cache    TokenCache
	c        *Client
	tickets  chan string // tickets the receiver handed to the client
}

// newStoreEnv starts a store-mode simulator with tenants A and B, each with
// simGroup holding alice and bob, and a client of it whose app_tickets
// arrive as the simulator pushes them. delay is the simulator's
// AppTicketDelay (negative: only PushAppTicket pushes).
func newStoreEnv(t *testing.T, delay time.Duration) *storeEnv {
	t.Helper()
	clock := &simClock{now: time.Now()}
	sim := feishusim.New(feishusim.Options{AppID: testAppID, AppSecret: testAppSecret, Clock: clock.Now,
		AppType: feishusim.AppTypeStore, AppTicketDelay: delay})
	for _, key := range []string{tenA, tenB} {
		ten := sim.Tenant(key)
		ten.AddChat(feishusim.Chat{ID: simGroup, Mode: "group", Name: "Team " + key, OwnerID: alice,
			Members: []string{alice, bob}, BotIsMember: true})
		ten.AddUser(feishusim.User{OpenID: alice, Name: "Alice"})
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close)

	env := &storeEnv{sim: sim, simClock: clock, url: srv.URL, cache: state.NewCache(statetest.Client(t)),
		tickets: make(chan string, 16)}
	c, err := New(Config{AppID: testAppID, AppSecret: testAppSecret, AppType: AppTypeStore, BaseURL: srv.URL,
		Timeout: 2 * time.Second, TokenCache: env.cache}, nil)
	if err != nil {
		t.Fatal(err)
	}
	env.c = c

	// The receiver: the event URL the simulator pushes app_tickets to
	// (plaintext: the webhook's signature checks are its own tests').
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev struct {
			Type  string `json:"type"`
			Event struct {
				Type      string `json:"type"`
				AppTicket string `json:"app_ticket"`
			} `json:"event"`
		}
		if json.Unmarshal(body, &ev) != nil || ev.Type != "event_callback" || ev.Event.Type != "app_ticket" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if err := env.c.SetAppTicket(r.Context(), ev.Event.AppTicket); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		env.tickets <- ev.Event.AppTicket
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(recv.Close)
	sim.SetPlatform(&feishusim.Platform{EventURL: recv.URL, AppID: testAppID, VerificationToken: "vt"})
	return env
}

func (e *storeEnv) waitTicket(t *testing.T) string {
	t.Helper()
	select {
	case tk := <-e.tickets:
		return tk
	case <-time.After(5 * time.Second):
		t.Fatal("no app_ticket arrived")
		return ""
	}
}

func inTenant(key string) context.Context { return tenant.With(context.Background(), key) }

func TestStoreLateTicketDelaysWithoutLosing(t *testing.T) {
	env := newStoreEnv(t, -1) // the simulator holds the ticket until told
	ctx := inTenant(tenA)

	_, err := env.c.SendEphemeral(ctx, simGroup, alice, testCard)
	if !errors.Is(err, ErrNoAppTicket) {
		t.Fatalf("before any ticket: err = %v, want ErrNoAppTicket", err)
	}
	var d interface{ Deferred() bool }
	if !retry.Retryable(err) || !errors.As(err, &d) || !d.Deferred() {
		t.Fatalf("ErrNoAppTicket must be retryable and deferred: %v", err)
	}
	var rd interface{ RetryDelay() time.Duration }
	if !errors.As(err, &rd) || rd.RetryDelay() <= 0 {
		t.Fatalf("ErrNoAppTicket must say when to retry: %v", err)
	}
	// The client asked for a ticket, once, however many calls wait for it.
	if _, err := env.c.SendEphemeral(ctx, simGroup, alice, testCard); !errors.Is(err, ErrNoAppTicket) {
		t.Fatalf("second call: %v", err)
	}
	if resends, _ := env.sim.AppTicketStats(); resends != 1 {
		t.Fatalf("resends = %d, want 1", resends)
	}
	if n := len(env.sim.Ephemerals()); n != 0 {
		t.Fatalf("%d cards sent without a ticket", n)
	}
	// Ready: botd must stay routable to receive the ticket.
	if err := env.c.Ready(context.Background()); err != nil {
		t.Fatalf("Ready before the first ticket: %v", err)
	}

	// The ticket arrives late; the same call now goes through.
	if _, err := env.sim.PushAppTicket(context.Background()); err != nil {
		t.Fatal(err)
	}
	env.waitTicket(t)
	if _, err := env.c.SendEphemeral(ctx, simGroup, alice, testCard); err != nil {
		t.Fatalf("after the ticket: %v", err)
	}
	if got := env.sim.Tenant(tenA).Ephemerals(); len(got) != 1 {
		t.Fatalf("tenant A has %d cards, want 1", len(got))
	}
	if err := env.c.Ready(context.Background()); err != nil {
		t.Fatalf("Ready: %v", err)
	}
}

func TestStoreResendAtStart(t *testing.T) {
	env := newStoreEnv(t, 0)
	if err := env.c.ResendAppTicket(context.Background()); err != nil {
		t.Fatal(err)
	}
	tk := env.waitTicket(t)
	if tk == "" || tk != env.sim.AppTicket() {
		t.Fatalf("ticket %q, simulator %q", tk, env.sim.AppTicket())
	}
	if _, err := env.c.SendEphemeral(inTenant(tenB), simGroup, alice, testCard); err != nil {
		t.Fatal(err)
	}
	// Tickets and tokens never reach the call log in the clear.
	for _, call := range env.sim.Calls() {
		if strings.Contains(string(call.Body), tk) || strings.Contains(string(call.Body), testAppSecret) {
			t.Errorf("%s recorded a secret: %s", call.Path, call.Body)
		}
	}
}

func TestStoreRefusesWithoutTenant(t *testing.T) {
	env := newStoreEnv(t, 0)
	if err := env.c.ResendAppTicket(context.Background()); err != nil {
		t.Fatal(err)
	}
	env.waitTicket(t)
	before := len(env.sim.Calls())
	for name, call := range map[string]func(context.Context) error{
		"send": func(ctx context.Context) error {
			_, err := env.c.SendEphemeral(ctx, simGroup, alice, testCard)
			return err
		},
		"post":     func(ctx context.Context) error { _, err := env.c.PostCard(ctx, simGroup, testCard, ""); return err },
		"chat":     func(ctx context.Context) error { _, err := env.c.Chat(ctx, simGroup); return err },
		"bot":      func(ctx context.Context) error { _, err := env.c.BotOpenID(ctx); return err },
		"jsticket": func(ctx context.Context) error { _, err := env.c.JSAPITicket(ctx); return err },
	} {
		err := call(context.Background())
		if !errors.Is(err, tenant.ErrMissing) || retry.Retryable(err) {
			t.Errorf("%s without a tenant: err = %v, want tenant.ErrMissing, not retryable", name, err)
		}
		err = call(tenant.With(context.Background(), "bad:key"))
		if !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s with a malformed tenant: err = %v, want ErrInvalidArgument", name, err)
		}
	}
	if after := len(env.sim.Calls()); after != before {
		t.Fatalf("%d requests were made without a tenant", after-before)
	}
}

func TestStoreTenantsApart(t *testing.T) {
	env := newStoreEnv(t, 0)
	if err := env.c.ResendAppTicket(context.Background()); err != nil {
		t.Fatal(err)
	}
	env.waitTicket(t)

	for _, key := range []string{tenA, tenB, tenA} {
		if _, err := env.c.SendEphemeral(inTenant(key), simGroup, alice, map[string]any{
			"schema": "2.0", "body": map[string]any{"elements": []any{map[string]any{"tag": "markdown", "content": "for " + key}}},
		}); err != nil {
			t.Fatal(err)
		}
	}
	a, b := env.sim.Tenant(tenA).Ephemerals(), env.sim.Tenant(tenB).Ephemerals()
	if len(a) != 2 || len(b) != 1 || !strings.Contains(string(a[0].Card), "for "+tenA) || !strings.Contains(string(b[0].Card), "for "+tenB) {
		t.Fatalf("tenant A %d cards, B %d", len(a), len(b))
	}
	chat, err := env.c.Chat(inTenant(tenB), simGroup)
	if err != nil || chat.Name != "Team "+tenB {
		t.Fatalf("B's chat: %+v %v", chat, err)
	}
	botA, errA := env.c.BotOpenID(inTenant(tenA))
	botB, errB := env.c.BotOpenID(inTenant(tenB))
	if errA != nil || errB != nil || botA != env.sim.Tenant(tenA).BotOpenID() || botB != env.sim.Tenant(tenB).BotOpenID() || botA == botB {
		t.Fatalf("bot ids A %q %v, B %q %v", botA, errA, botB, errB)
	}

	// One token fetch per tenant, one app token; a second replica sharing
	// the cache fetches none.
	counts := func() (app, ten int) {
		for _, c := range env.sim.Calls() {
			switch c.Path {
			case "/open-apis/auth/v3/app_access_token":
				app++
			case "/open-apis/auth/v3/tenant_access_token":
				ten++
			}
		}
		return
	}
	if app, ten := counts(); app != 1 || ten != 2 {
		t.Fatalf("token fetches: %d app, %d tenant; want 1 and 2", app, ten)
	}
	other, err := New(Config{AppID: testAppID, AppSecret: testAppSecret, AppType: AppTypeStore, BaseURL: env.url,
		Timeout: 2 * time.Second, TokenCache: env.cache}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{tenA, tenB} {
		if _, err := other.SendEphemeral(inTenant(key), simGroup, alice, testCard); err != nil {
			t.Fatal(err)
		}
	}
	if app, ten := counts(); app != 1 || ten != 2 {
		t.Fatalf("after a second replica: %d app, %d tenant fetches; want 1 and 2", app, ten)
	}
	// The keys name the tenant, and only the tenant tokens do.
	for _, key := range []string{tenA, tenB} {
		if raw, _ := env.cache.Get(context.Background(), storeTenantTokenKey(testAppID, key)); raw == "" {
			t.Errorf("no cached token under %s", storeTenantTokenKey(testAppID, key))
		}
	}
	if raw, _ := env.cache.Get(context.Background(), tenantTokenKey(testAppID)); raw != "" {
		t.Error("a store app wrote the self-built app's token key")
	}
}

// The platform refuses a stale ticket (10012): the SDK asks for a resend
// by itself, and the client waits for the new ticket instead of failing.
func TestStoreStaleTicket(t *testing.T) {
	env := newStoreEnv(t, 0)
	if err := env.c.SetAppTicket(context.Background(), "tk_stale"); err != nil {
		t.Fatal(err)
	}
	_, err := env.c.SendEphemeral(inTenant(tenA), simGroup, alice, testCard)
	if !errors.Is(err, ErrNoAppTicket) {
		t.Fatalf("with a stale ticket: %v, want ErrNoAppTicket", err)
	}
	if apiErr, ok := errors.AsType[*APIError](err); !ok || apiErr.Code != codeAppTicketInvalid {
		t.Fatalf("the platform's refusal should be kept as the cause: %v", err)
	}
	env.waitTicket(t) // pushed on the SDK's resend
	if resends, _ := env.sim.AppTicketStats(); resends != 1 {
		t.Fatalf("resends = %d, want exactly the SDK's one", resends)
	}
	if _, err := env.c.SendEphemeral(inTenant(tenA), simGroup, alice, testCard); err != nil {
		t.Fatalf("after the new ticket: %v", err)
	}
}

// Rejected tokens are dropped and replaced once, as for a self-built app:
// the tenant token (99991663) after the tenant reinstalled the app, the app
// token (99991664) when the platform's clock says it expired.
func TestStoreRejectedTokensReplaced(t *testing.T) {
	env := newStoreEnv(t, 0)
	if err := env.c.ResendAppTicket(context.Background()); err != nil {
		t.Fatal(err)
	}
	env.waitTicket(t)
	ctx := inTenant(tenA)
	if _, err := env.c.SendEphemeral(ctx, simGroup, alice, testCard); err != nil {
		t.Fatal(err)
	}
	if _, err := env.sim.UninstallTenant(context.Background(), tenA); err != nil {
		t.Fatal(err)
	}
	if _, err := env.c.SendEphemeral(ctx, simGroup, alice, testCard); err == nil {
		t.Fatal("a send for a tenant that removed the app succeeded")
	}
	if _, err := env.sim.InstallTenant(context.Background(), tenA); err != nil {
		t.Fatal(err)
	}
	if _, err := env.c.SendEphemeral(ctx, simGroup, alice, testCard); err != nil {
		t.Fatalf("after reinstalling, the revoked token should be replaced: %v", err)
	}

	// The app token expires on the platform's clock while botd's cache
	// still holds it (the ticket stays valid: it is the latest).
	env.simClock.Advance(3 * time.Hour)
	if _, err := env.c.SendEphemeral(inTenant(tenB), simGroup, alice, testCard); err != nil {
		t.Fatalf("with an app token the platform expired: %v", err)
	}
	var rejected, revoked int
	for _, c := range env.sim.Calls() {
		switch {
		case c.Path == "/open-apis/auth/v3/tenant_access_token" && c.Code == feishusim.CodeAppTokenInvalid:
			rejected++
		case c.Path == pathEphemeralSend && c.Code == feishusim.CodeTokenInvalid:
			revoked++
		}
	}
	if rejected != 1 || revoked != 1 {
		t.Fatalf("the platform rejected %d app tokens and %d tenant tokens; want 1 each", rejected, revoked)
	}
}

func TestStoreForgetTenant(t *testing.T) {
	env := newStoreEnv(t, 0)
	if err := env.c.ResendAppTicket(context.Background()); err != nil {
		t.Fatal(err)
	}
	env.waitTicket(t)
	if _, err := env.c.BotOpenID(inTenant(tenA)); err != nil {
		t.Fatal(err)
	}
	key := storeTenantTokenKey(testAppID, tenA)
	if raw, _ := env.cache.Get(context.Background(), key); raw == "" {
		t.Fatal("no token cached")
	}
	if err := env.c.ForgetTenant(context.Background(), tenA); err != nil {
		t.Fatal(err)
	}
	if raw, _ := env.cache.Get(context.Background(), key); raw != "" {
		t.Fatal("ForgetTenant left the token in the cache")
	}
	if err := env.c.ForgetTenant(context.Background(), "bad key"); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("bad key: %v", err)
	}
}

func TestSetAppTicketChecks(t *testing.T) {
	env := newStoreEnv(t, -1)
	for _, bad := range []string{"", "has space", strings.Repeat("x", maxAppTicket+1), "nl\n"} {
		if err := env.c.SetAppTicket(context.Background(), bad); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("SetAppTicket(%q) = %v, want ErrInvalidArgument", bad, err)
		}
	}
	// A self-built app has no tickets.
	f := newFakeLark(t)
	c, _ := newTestClient(t, f)
	if err := c.SetAppTicket(context.Background(), "tk"); err == nil {
		t.Fatal("a self-built client took an app_ticket")
	}
	if err := c.ResendAppTicket(context.Background()); err == nil {
		t.Fatal("a self-built client asked for an app_ticket")
	}
	if c.StoreApp() || !env.c.StoreApp() {
		t.Fatal("StoreApp")
	}
	if _, err := New(Config{AppID: testAppID, AppSecret: testAppSecret, AppType: "isv"}, nil); err == nil {
		t.Fatal("an unknown app type was accepted")
	}
}

// A self-built app never looks at the context's tenant: the same calls and
// the same cache key with or without one.
func TestSelfBuiltIgnoresTenant(t *testing.T) {
	f := newFakeLark(t)
	f.handle("POST "+pathEphemeralSend, okSend)
	cache := &mapCache{}
	c, _ := newTestClient(t, f, func(cfg *Config) { cfg.TokenCache = cache })
	for _, ctx := range []context.Context{context.Background(), inTenant(tenA)} {
		if _, err := c.SendEphemeral(ctx, "oc_1", "ou_1", testCard); err != nil {
			t.Fatal(err)
		}
	}
	if got := cache.tokenSets(t); len(got) != 1 || !strings.HasPrefix(got[0], tenantTokenKey(testAppID)+"=") {
		t.Fatalf("cache writes %v, want one under %s", got, tenantTokenKey(testAppID))
	}
}

// A cache that scoped keys by the context's tenant must still see the
// app-wide ticket: the client hands it contexts without a tenant.
func TestStoreCacheSeesNoTenant(t *testing.T) {
	seen := &tenantSpy{inner: &mapCache{}}
	clock := &simClock{now: time.Now()}
	sim := feishusim.New(feishusim.Options{AppID: testAppID, AppSecret: testAppSecret, Clock: clock.Now, AppType: feishusim.AppTypeStore, AppTicketDelay: -1})
	sim.Tenant(tenA).AddChat(feishusim.Chat{ID: simGroup, Members: []string{alice}, BotIsMember: true})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c, err := New(Config{AppID: testAppID, AppSecret: testAppSecret, AppType: AppTypeStore, BaseURL: srv.URL, TokenCache: seen}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sim.PushAppTicket(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := c.SetAppTicket(inTenant(tenA), sim.AppTicket()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendEphemeral(inTenant(tenA), simGroup, alice, testCard); err != nil {
		t.Fatal(err)
	}
	if seen.withTenant() {
		t.Fatal("the token cache was handed a context with a tenant")
	}
}

type tenantSpy struct {
	inner TokenCache
	mu    sync.Mutex
	saw   bool
}

func (s *tenantSpy) note(ctx context.Context) {
	if _, ok := tenant.From(ctx); ok {
		s.mu.Lock()
		s.saw = true
		s.mu.Unlock()
	}
}

func (s *tenantSpy) withTenant() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.saw
}

func (s *tenantSpy) Get(ctx context.Context, key string) (string, error) {
	s.note(ctx)
	return s.inner.Get(ctx, key)
}

func (s *tenantSpy) Set(ctx context.Context, key, value string, ttl time.Duration) error {
	s.note(ctx)
	return s.inner.Set(ctx, key, value, ttl)
}
