package app

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/botd/botd/internal/ephemeral"
	"github.com/botd/botd/internal/state"
	"github.com/botd/botd/internal/state/statetest"
	"github.com/botd/botd/internal/tenant"
)

// tenantPlatform answers as the tenant of each call's context: the same
// chat id has other members and another name in each tenant.
type tenantPlatform struct {
	mu    sync.Mutex
	calls map[string]int // by tenant ("" for none)
	fail  bool
}

func (p *tenantPlatform) count(ctx context.Context) string {
	key, _ := tenant.From(ctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.calls == nil {
		p.calls = map[string]int{}
	}
	p.calls[key]++
	return key
}

func (p *tenantPlatform) ChatMembers(ctx context.Context, _, _ string) (*ephemeral.MemberPage, error) {
	key := p.count(ctx)
	if key == "" {
		return nil, tenant.ErrMissing
	}
	return &ephemeral.MemberPage{OpenIDs: []string{"ou_of_" + key}}, nil
}

func (p *tenantPlatform) Chat(ctx context.Context, chatID string) (*ephemeral.Chat, error) {
	key := p.count(ctx)
	if key == "" {
		return nil, tenant.ErrMissing
	}
	return &ephemeral.Chat{Mode: "group", Name: "chat of " + key}, nil
}

func (p *tenantPlatform) BotOpenID(ctx context.Context) (string, error) {
	key := p.count(ctx)
	if p.fail || key == "" {
		return "", errors.New("no app_ticket yet")
	}
	return "ou_bot_of_" + key, nil
}

// A store app's member and chat directories answer each tenant from its
// own lookups: the same chat id in two tenants is two chats, in memory and
// in Redis, and a read that outlives its click keeps the click's tenant.
func TestDirectoriesKeepTenantsApart(t *testing.T) {
	rdb := statetest.Client(t)
	open := &tenantPlatform{}
	members := newMemberDirectory(open, state.NewMembers(rdb, memberTTLs, nil, state.WithTenants(true)), zaptest.NewLogger(t))
	t.Cleanup(members.Close)
	chats := &chatDirectory{open: open, cache: state.NewCache(rdb, state.WithTenants(true)), ttl: time.Minute, log: zaptest.NewLogger(t)}
	a := tenant.With(context.Background(), "tenant_a")
	b := tenant.With(context.Background(), "tenant_b")
	for _, tc := range []struct {
		ctx    context.Context
		openID string
		want   bool
	}{
		{a, "ou_of_tenant_a", true}, {b, "ou_of_tenant_a", false},
		{b, "ou_of_tenant_b", true}, {a, "ou_of_tenant_b", false},
	} {
		in, err := members.IsMember(tc.ctx, "oc_same", tc.openID)
		if err != nil || in != tc.want {
			key, _ := tenant.From(tc.ctx)
			t.Errorf("%s in %s's oc_same: %v, %v; want %v", tc.openID, key, in, err, tc.want)
		}
	}
	for range 2 { // the second round from memory
		for ctx, want := range map[context.Context]string{a: "chat of tenant_a", b: "chat of tenant_b"} {
			if c, err := chats.ChatInfo(ctx, "oc_same"); err != nil || c.Name != want {
				t.Errorf("chat info: %+v, %v; want %s", c, err, want)
			}
		}
	}
	open.mu.Lock()
	defer open.mu.Unlock()
	if open.calls[""] != 0 {
		t.Errorf("%d lookups without a tenant", open.calls[""])
	}
}

// A store app's bot open_id is asked for per tenant, once; a failure is
// remembered for a while and answered "".
func TestTenantBots(t *testing.T) {
	open := &tenantPlatform{}
	b := newTenantBots(context.Background(), open, zaptest.NewLogger(t))
	for range 3 {
		if got := b.get("tenant_a"); got != "ou_bot_of_tenant_a" {
			t.Fatalf("tenant a's bot: %q", got)
		}
		if got := b.get("tenant_b"); got != "ou_bot_of_tenant_b" {
			t.Fatalf("tenant b's bot: %q", got)
		}
	}
	open.fail = true
	for range 3 {
		if got := b.get("tenant_c"); got != "" {
			t.Fatalf("tenant c's bot while the lookup fails: %q", got)
		}
	}
	if got := b.get("no:such"); got != "" {
		t.Fatalf("a bad tenant key's bot: %q", got)
	}
	open.mu.Lock()
	defer open.mu.Unlock()
	if open.calls["tenant_a"] != 1 || open.calls["tenant_b"] != 1 || open.calls["tenant_c"] != 1 || open.calls[""] != 0 {
		t.Fatalf("lookups %v; want one per tenant", open.calls)
	}
}
