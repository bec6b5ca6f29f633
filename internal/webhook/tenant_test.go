package webhook

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/botd/botd/internal/feishusim"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/requestid"
	"github.com/botd/botd/internal/tenant"
)

// storeHooks records what a store app's hooks were handed.
type storeHooks struct {
	mu        sync.Mutex
	tickets   []string
	removed   []string
	installed []string
	ctxTenant []string // the context's tenant at each tenant hook
	ticketCtx []bool   // whether OnAppTicket's context had a tenant
	err       error    // returned by every hook when set
}

func (s *storeHooks) config(c *Config) {
	c.StoreApp = true
	c.OnAppTicket = func(ctx context.Context, ticket string) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.err != nil {
			return s.err
		}
		_, has := tenant.From(ctx)
		s.tickets = append(s.tickets, ticket)
		s.ticketCtx = append(s.ticketCtx, has)
		return nil
	}
	c.OnTenantRemoved = func(ctx context.Context, key string) error { return s.tenantHook(ctx, key, &s.removed) }
	c.OnTenantInstalled = func(ctx context.Context, key string) error { return s.tenantHook(ctx, key, &s.installed) }
}

func (s *storeHooks) tenantHook(ctx context.Context, key string, into *[]string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	got, _ := tenant.From(ctx)
	*into = append(*into, key)
	s.ctxTenant = append(s.ctxTenant, got)
	return nil
}

func (s *storeHooks) snapshot() storeHooks {
	s.mu.Lock()
	defer s.mu.Unlock()
	return storeHooks{tickets: append([]string(nil), s.tickets...), removed: append([]string(nil), s.removed...),
		installed: append([]string(nil), s.installed...), ctxTenant: append([]string(nil), s.ctxTenant...),
		ticketCtx: append([]bool(nil), s.ticketCtx...)}
}

// tenantFlows and tenantClaims note the context's tenant of every call.
type tenantFlows struct {
	*fakeFlows
	mu   sync.Mutex
	seen []string
}

func (f *tenantFlows) note(ctx context.Context) {
	k, _ := tenant.From(ctx)
	f.mu.Lock()
	f.seen = append(f.seen, k)
	f.mu.Unlock()
}

func (f *tenantFlows) HandleMessage(ctx context.Context, m flows.Message) error {
	f.note(ctx)
	return f.fakeFlows.HandleMessage(ctx, m)
}

func (f *tenantFlows) HandleAction(ctx context.Context, a flows.Action) (flows.Answer, error) {
	f.note(ctx)
	return f.fakeFlows.HandleAction(ctx, a)
}

func (f *tenantFlows) tenants() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.seen...)
}

type tenantClaims struct {
	*fakeClaims
	mu   sync.Mutex
	seen []string
}

func (c *tenantClaims) Claim(ctx context.Context, ttl time.Duration, keys ...string) (string, bool, error) {
	k, _ := tenant.From(ctx)
	c.mu.Lock()
	c.seen = append(c.seen, k)
	c.mu.Unlock()
	return c.fakeClaims.Claim(ctx, ttl, keys...)
}

func (c *tenantClaims) tenants() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.seen...)
}

// storeHarness is a harness whose flows and claims note their tenant.
type storeHarness struct {
	*harness
	tflows  *tenantFlows
	tclaims *tenantClaims
	hooks   *storeHooks
}

func newStoreHarness(t *testing.T, store bool, mods ...func(*Config)) *storeHarness {
	t.Helper()
	sh := &storeHarness{hooks: &storeHooks{}}
	hs := &harness{flows: &fakeFlows{}, claims: newFakeClaims(), reg: prometheus.NewRegistry()}
	sh.tflows = &tenantFlows{fakeFlows: hs.flows}
	sh.tclaims = &tenantClaims{fakeClaims: hs.claims}
	core, logs := observer.New(zap.DebugLevel)
	hs.logs = logs
	cfg := Config{AppID: testAppID, VerificationToken: testToken, EncryptKey: testKey}
	if store {
		sh.hooks.config(&cfg)
	}
	for _, m := range mods {
		m(&cfg)
	}
	h, err := New(cfg, sh.tflows, sh.tclaims, zap.New(core), hs.reg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	r := chi.NewRouter()
	r.Use(requestid.Middleware)
	h.Routes(r)
	hs.srv = httptest.NewServer(r)
	t.Cleanup(hs.srv.Close)
	sh.harness = hs
	return sh
}

// v1 builds a v1 (schema 1.0) envelope.
func v1(t testing.TB, event map[string]any) []byte {
	return mustJSON(t, map[string]any{"uuid": "bc447199585340d1f3728d26b1c0297a", "token": testToken,
		"ts": "1502199207.7171419", "type": "event_callback", "event": event})
}

func noTenant(h map[string]any) { delete(h, "tenant_key") }

func TestStoreEventsCarryTheirTenant(t *testing.T) {
	sh := newStoreHarness(t, true)

	msg := textMessage("om_1", "/todo buy milk")
	if a := sh.send(t, sealed(t, v2(t, eventMessageReceive, "ev1", msg, func(h map[string]any) { h["tenant_key"] = "tenant_a" }))); a.status != http.StatusOK {
		t.Fatalf("message: %d %s", a.status, a.body)
	}
	// No header tenant_key: the sender's.
	msg2 := textMessage("om_2", "/todo again")
	msg2["sender"].(map[string]any)["tenant_key"] = "tenant_b"
	if a := sh.send(t, sealed(t, v2(t, eventMessageReceive, "ev2", msg2, noTenant))); a.status != http.StatusOK {
		t.Fatalf("message without header tenant: %d %s", a.status, a.body)
	}
	// A callback without a header tenant_key: the operator's.
	cb := cardTrigger(map[string]any{"k": "v"})
	cb["operator"].(map[string]any)["tenant_key"] = "tenant_c"
	if a := sh.send(t, sealed(t, v2(t, eventCardAction, "ev3", cb, noTenant))); a.status != http.StatusOK {
		t.Fatalf("callback: %d %s", a.status, a.body)
	}
	want := []string{"tenant_a", "tenant_b", "tenant_c"}
	if got := sh.tflows.tenants(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("flows saw tenants %v, want %v", got, want)
	}
	if got := sh.tclaims.tenants(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("claims saw tenants %v, want %v", got, want)
	}
	msgs, acts := sh.flows.handled()
	if msgs[0].TenantKey != "tenant_a" || msgs[1].TenantKey != "tenant_b" || acts[0].TenantKey != "tenant_c" {
		t.Fatalf("handed-over tenant keys: %q %q %q", msgs[0].TenantKey, msgs[1].TenantKey, acts[0].TenantKey)
	}
}

func TestStoreRefusesEventsWithoutTenant(t *testing.T) {
	sh := newStoreHarness(t, true)
	noSender := textMessage("om_3", "/todo x")
	noSender["sender"].(map[string]any)["tenant_key"] = ""
	noOperator := cardTrigger(map[string]any{"k": "v"})
	delete(noOperator["operator"].(map[string]any), "tenant_key")
	for name, body := range map[string][]byte{
		"message, no tenant":  v2(t, eventMessageReceive, "ev10", noSender, noTenant),
		"callback, no tenant": v2(t, eventCardAction, "ev11", noOperator, noTenant),
		"malformed tenant": v2(t, eventMessageReceive, "ev12", textMessage("om_4", "/todo x"), func(h map[string]any) {
			h["tenant_key"] = "a:b{c}"
		}),
		"over-long tenant": v2(t, eventCardAction, "ev13", cardTrigger(nil), func(h map[string]any) {
			h["tenant_key"] = strings.Repeat("a", tenant.MaxKeyLen+1)
		}),
	} {
		if a := sh.send(t, sealed(t, body)); a.status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", name, a.status)
		}
	}
	if msgs, acts := sh.flows.handled(); len(msgs)+len(acts) != 0 {
		t.Fatalf("handed over %d messages, %d actions", len(msgs), len(acts))
	}
	if held := sh.claims.held(); len(held) != 0 {
		t.Fatalf("claims taken: %v", held)
	}
}

func TestStoreLegacyCardTenant(t *testing.T) {
	sh := newStoreHarness(t, true, legacyOn)
	body := legacyAction(t, map[string]any{"k": "v"})
	if a := sh.send(t, legacySigned(body, testToken, nowTS())); a.status != http.StatusOK {
		t.Fatalf("legacy: %d %s", a.status, a.body)
	}
	if got := sh.tflows.tenants(); len(got) != 1 || got[0] != "tk_1" {
		t.Fatalf("flows saw %v", got)
	}
	noTen := mustJSON(t, map[string]any{"open_id": "ou_clicker", "open_message_id": "om_card", "open_chat_id": "oc_chat",
		"token": "c-x", "action": map[string]any{"value": map[string]any{}, "tag": "button"}})
	if a := sh.send(t, legacySigned(noTen, testToken, nowTS())); a.status != http.StatusBadRequest {
		t.Fatalf("legacy without tenant: %d", a.status)
	}
}

func TestSelfBuiltPutsNoTenant(t *testing.T) {
	sh := newStoreHarness(t, false)
	if a := sh.send(t, sealed(t, v2(t, eventMessageReceive, "ev20", textMessage("om_20", "/todo x")))); a.status != http.StatusOK {
		t.Fatalf("%d %s", a.status, a.body)
	}
	// Without a tenant_key too, as before.
	if a := sh.send(t, sealed(t, v2(t, eventMessageReceive, "ev21", textMessage("om_21", "/todo y"), noTenant))); a.status != http.StatusOK {
		t.Fatalf("%d %s", a.status, a.body)
	}
	if got := sh.tflows.tenants(); len(got) != 2 || got[0] != "" || got[1] != "" {
		t.Fatalf("a self-built app's flows saw tenants %v", got)
	}
	// A store app's events are answered and ignored.
	for _, ev := range []map[string]any{
		{"type": "app_ticket", "app_id": testAppID, "app_ticket": "tk"},
		{"type": "app_uninstalled", "app_id": testAppID, "tenant_key": "tenant_a"},
	} {
		if a := sh.send(t, sealed(t, v1(t, ev))); a.status != http.StatusOK {
			t.Fatalf("%v: %d", ev["type"], a.status)
		}
	}
}

func TestStoreAppTicketEvent(t *testing.T) {
	sh := newStoreHarness(t, true)
	ticket := map[string]any{"type": "app_ticket", "app_id": testAppID, "app_ticket": "tk_secret_ticket"}

	if a := sh.send(t, sealed(t, v1(t, ticket))); a.status != http.StatusOK {
		t.Fatalf("app_ticket: %d %s", a.status, a.body)
	}
	got := sh.hooks.snapshot()
	if len(got.tickets) != 1 || got.tickets[0] != "tk_secret_ticket" || got.ticketCtx[0] {
		t.Fatalf("tickets %v (context had a tenant: %v)", got.tickets, got.ticketCtx)
	}
	for _, e := range sh.logs.All() {
		for _, f := range e.Context {
			if strings.Contains(f.String, "tk_secret_ticket") {
				t.Fatalf("the ticket was logged: %s %v", e.Message, f)
			}
		}
	}

	// Verified like every event: signature, encryption, app_id.
	plain := v1(t, ticket)
	for name, d := range map[string]delivery{
		"bad signature": signed(encryptBody(t, plain, testKey), testKey+"-wrong", nowTS()),
		"unsigned":      {body: encryptBody(t, plain, testKey)},
		"plaintext":     signed(plain, testKey, nowTS()),
	} {
		if a := sh.send(t, d); a.status != http.StatusUnauthorized {
			t.Errorf("%s: %d, want 401", name, a.status)
		}
	}
	wrongToken := mustJSON(t, map[string]any{"uuid": "u1", "token": "wrong", "ts": "1", "type": "event_callback", "event": ticket})
	if a := sh.send(t, sealed(t, wrongToken)); a.status != http.StatusUnauthorized {
		t.Errorf("wrong token: %d", a.status)
	}
	for name, ev := range map[string]map[string]any{
		"another app's": {"type": "app_ticket", "app_id": "cli_other", "app_ticket": "tk2"},
		"no app_id":     {"type": "app_ticket", "app_ticket": "tk3"},
	} {
		if a := sh.send(t, sealed(t, v1(t, ev))); a.status != http.StatusUnauthorized {
			t.Errorf("%s: %d, want 401", name, a.status)
		}
	}
	if a := sh.send(t, sealed(t, v1(t, map[string]any{"type": "app_ticket", "app_id": testAppID}))); a.status != http.StatusBadRequest {
		t.Errorf("no ticket: %d, want 400", a.status)
	}
	if n := len(sh.hooks.snapshot().tickets); n != 1 {
		t.Fatalf("the hook saw %d tickets, want only the genuine one", n)
	}

	// A hook that cannot keep the ticket: 503, so the platform sends it again.
	sh.hooks.mu.Lock()
	sh.hooks.err = errors.New("redis down")
	sh.hooks.mu.Unlock()
	if a := sh.send(t, sealed(t, v1(t, ticket))); a.status != http.StatusServiceUnavailable {
		t.Fatalf("hook failure: %d, want 503", a.status)
	}
	// One that refuses it for good: 400.
	sh.hooks.mu.Lock()
	sh.hooks.err = permanent("malformed app_ticket")
	sh.hooks.mu.Unlock()
	if a := sh.send(t, sealed(t, v1(t, ticket))); a.status != http.StatusBadRequest {
		t.Fatalf("permanent hook failure: %d, want 400", a.status)
	}
}

type permanent string

func (p permanent) Error() string   { return string(p) }
func (p permanent) Retryable() bool { return false }

func TestStoreTenantLifecycleEvents(t *testing.T) {
	sh := newStoreHarness(t, true)
	send := func(ev map[string]any) answer {
		ev["app_id"] = testAppID
		return sh.send(t, sealed(t, v1(t, ev)))
	}
	if a := send(map[string]any{"type": "app_uninstalled", "tenant_key": "tenant_gone"}); a.status != http.StatusOK {
		t.Fatalf("app_uninstalled: %d %s", a.status, a.body)
	}
	if a := send(map[string]any{"type": "app_open", "tenant_key": "tenant_new", "applicants": []any{}}); a.status != http.StatusOK {
		t.Fatalf("app_open: %d", a.status)
	}
	if a := send(map[string]any{"type": "app_status_change", "tenant_key": "tenant_new", "status": "stop_by_tenant"}); a.status != http.StatusOK {
		t.Fatalf("app_status_change: %d", a.status)
	}
	if a := send(map[string]any{"type": "app_uninstalled"}); a.status != http.StatusBadRequest {
		t.Fatalf("app_uninstalled without a tenant: %d, want 400", a.status)
	}
	if a := send(map[string]any{"type": "app_uninstalled", "tenant_key": "a b"}); a.status != http.StatusBadRequest {
		t.Fatalf("app_uninstalled with a malformed tenant: %d, want 400", a.status)
	}
	if a := send(map[string]any{"type": "order_paid", "tenant_key": "tenant_new"}); a.status != http.StatusOK {
		t.Fatalf("another v1 event: %d", a.status)
	}
	got := sh.hooks.snapshot()
	if len(got.removed) != 1 || got.removed[0] != "tenant_gone" || len(got.installed) != 1 || got.installed[0] != "tenant_new" {
		t.Fatalf("removed %v installed %v", got.removed, got.installed)
	}
	if strings.Join(got.ctxTenant, ",") != "tenant_gone,tenant_new" {
		t.Fatalf("hook contexts carried %v", got.ctxTenant)
	}
	if held := sh.claims.held(); len(held) != 0 {
		t.Fatalf("app events were claimed: %v", held)
	}
	sh.hooks.mu.Lock()
	sh.hooks.err = errors.New("redis down")
	sh.hooks.mu.Unlock()
	if a := send(map[string]any{"type": "app_uninstalled", "tenant_key": "tenant_gone"}); a.status != http.StatusServiceUnavailable {
		t.Fatalf("removal hook failure: %d, want 503", a.status)
	}
}

func TestStoreConfigChecks(t *testing.T) {
	hooks := &storeHooks{}
	for name, mod := range map[string]func(*Config){
		"long connection": func(c *Config) { hooks.config(c); c.LongConnection = true },
		"no ticket hook":  func(c *Config) { hooks.config(c); c.OnAppTicket = nil },
		"no removal hook": func(c *Config) { hooks.config(c); c.OnTenantRemoved = nil },
	} {
		cfg := Config{AppID: testAppID, VerificationToken: testToken, EncryptKey: testKey}
		mod(&cfg)
		if _, err := New(cfg, &fakeFlows{}, newFakeClaims(), nil, nil); err == nil {
			t.Errorf("%s: New accepted the config", name)
		}
	}
}

// The simulator pushes app_ticket and app_uninstalled exactly as the
// platform would (signed, encrypted, v1): they reach the hooks.
func TestStoreEventsFromSimulator(t *testing.T) {
	sh := newStoreHarness(t, true)
	sim := feishusim.New(feishusim.Options{AppID: testAppID, AppType: feishusim.AppTypeStore, AppTicketDelay: -1})
	t.Cleanup(sim.Close)
	sim.SetPlatform(&feishusim.Platform{EventURL: sh.srv.URL + "/webhook/event", AppID: testAppID,
		VerificationToken: testToken, EncryptKey: testKey})
	ctx := context.Background()
	if res, err := sim.PushAppTicket(ctx); err != nil || res.Status != http.StatusOK {
		t.Fatalf("push: %v %+v", err, res)
	}
	sim.Tenant("tenant_x")
	if res, err := sim.UninstallTenant(ctx, "tenant_x"); err != nil || res.Status != http.StatusOK {
		t.Fatalf("uninstall: %v %+v", err, res)
	}
	if res, err := sim.InstallTenant(ctx, "tenant_x"); err != nil || res.Status != http.StatusOK {
		t.Fatalf("install: %v %+v", err, res)
	}
	got := sh.hooks.snapshot()
	if len(got.tickets) != 1 || got.tickets[0] != sim.AppTicket() || len(got.removed) != 1 || got.removed[0] != "tenant_x" ||
		len(got.installed) != 1 {
		t.Fatalf("tickets %v removed %v installed %v", got.tickets, got.removed, got.installed)
	}
	// A tenant's message, through the Platform as that tenant.
	p := &feishusim.Platform{EventURL: sh.srv.URL + "/webhook/event", AppID: testAppID, VerificationToken: testToken, EncryptKey: testKey}
	if res, err := p.ForTenant("tenant_x").SendText(ctx, feishusim.MessageOpts{ChatID: "oc_x", SenderOpenID: "ou_x", Text: "/todo milk"}); err != nil || res.Status != http.StatusOK {
		t.Fatalf("message: %v %+v", err, res)
	}
	if got := sh.tflows.tenants(); len(got) != 1 || got[0] != "tenant_x" {
		t.Fatalf("flows saw %v", got)
	}
}
