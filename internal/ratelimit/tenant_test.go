package ratelimit

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/botd/botd/internal/jobs/retry"
	"github.com/botd/botd/internal/state"
	"github.com/botd/botd/internal/state/statetest"
	"github.com/botd/botd/internal/tenant"
)

// A store app's tenants each have the whole quota: the platform counts
// per API, per app, per tenant (§12.1). Tenant A using up its per-minute
// tier leaves tenant B's untouched, even for the same chat id.
func TestTenantsHaveTheirOwnWindows(t *testing.T) {
	rdb := statetest.Client(t)
	l := newLimiter(t, rdb, Limits{AppPerMinute: 2, EphemeralPerChat: 2}, Options{PerTenant: true})
	a := tenant.With(context.Background(), "tenant_a")
	b := tenant.With(context.Background(), "tenant_b")
	call := l.Limits().EphemeralSend("oc_same")

	for range 2 {
		if err := l.Wait(a, call); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := errors.AsType[*WaitError](l.Wait(a, call)); !ok {
		t.Fatal("tenant A's third call in the minute was not held back")
	}
	for range 2 {
		if err := l.Wait(b, call); err != nil {
			t.Fatalf("tenant B was held back by A's quota: %v", err)
		}
	}
	ctx := context.Background()
	prefix := state.KeyPrefix(rdb)
	if n := rdb.ZCard(ctx, AppKeyFor(prefix, APIEphemeralSend, "tenant_a")).Val(); n != 2 {
		t.Errorf("A's app log holds %d, want 2", n)
	}
	if n := rdb.ZCard(ctx, AppKeyFor(prefix, APIEphemeralSend, "tenant_b")).Val(); n != 2 {
		t.Errorf("B's app log holds %d, want 2", n)
	}
	if n := rdb.Exists(ctx, AppKey(prefix, APIEphemeralSend)).Val(); n != 0 {
		t.Error("a store app wrote the unscoped app log")
	}
	for _, k := range statetest.Keys(t, rdb, "botd:rl:*") {
		if !strings.Contains(k, ":tenant_a}") && !strings.Contains(k, ":tenant_b}") {
			t.Errorf("key %s is in no tenant's space", k)
		}
	}
}

// A pause after a 429 holds back that tenant only.
func TestPauseIsPerTenant(t *testing.T) {
	l := newLimiter(t, nil, Limits{}, Options{PerTenant: true})
	a := tenant.With(context.Background(), "tenant_a")
	b := tenant.With(context.Background(), "tenant_b")
	if err := l.Pause(a, APIMessageCreate, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if d, err := l.Allow(a, l.Limits().MessageToChat("oc_x")); err != nil || d.Allowed || d.Rule != rulePause {
		t.Fatalf("A after its pause: %+v %v", d, err)
	}
	if d, err := l.Allow(b, l.Limits().MessageToChat("oc_x")); err != nil || !d.Allowed {
		t.Fatalf("B during A's pause: %+v %v", d, err)
	}
}

// Without a tenant, a store app's call is refused, not counted anywhere.
func TestPerTenantRefusesWithoutTenant(t *testing.T) {
	rdb := statetest.Client(t)
	l := newLimiter(t, rdb, Limits{}, Options{PerTenant: true})
	ctx := context.Background()
	checks := map[string]func(context.Context) error{
		"wait":  func(ctx context.Context) error { return l.Wait(ctx, l.Limits().EphemeralDelete()) },
		"allow": func(ctx context.Context) error { _, err := l.Allow(ctx, l.Limits().ChatGet()); return err },
		"pause": func(ctx context.Context) error { return l.Pause(ctx, APIChatGet, time.Second) },
		"do": func(ctx context.Context) error {
			return l.Do(ctx, l.Limits().ChatMembers(), func(context.Context) error { t.Error("ran without a tenant"); return nil })
		},
	}
	for name, f := range checks {
		err := f(ctx)
		if !errors.Is(err, tenant.ErrMissing) || retry.Retryable(err) {
			t.Errorf("%s without a tenant: %v, want tenant.ErrMissing, permanent", name, err)
		}
		if err := f(tenant.With(ctx, "a:b")); err == nil || retry.Retryable(err) {
			t.Errorf("%s with a malformed tenant: %v, want a permanent error", name, err)
		}
	}
	if keys := statetest.Keys(t, rdb, "botd:rl:*"); len(keys) != 0 {
		t.Fatalf("keys written without a tenant: %v", keys)
	}
}

// A self-built app's limiter ignores the context's tenant: its keys are
// those it always had.
func TestSelfBuiltKeysUnchanged(t *testing.T) {
	rdb := statetest.Client(t)
	l := newLimiter(t, rdb, Limits{}, Options{})
	ctx := tenant.With(context.Background(), "tenant_a")
	if err := l.Wait(ctx, l.Limits().EphemeralSend("oc_x")); err != nil {
		t.Fatal(err)
	}
	prefix := state.KeyPrefix(rdb)
	if n := rdb.ZCard(context.Background(), AppKey(prefix, APIEphemeralSend)).Val(); n != 1 {
		t.Fatalf("the self-built app log holds %d, want 1", n)
	}
	if got := AppKey("", APIEphemeralSend); got != "botd:rl:{ephemeral.send}:app" {
		t.Fatalf("AppKey = %s", got)
	}
}

// The slot rule holds per tenant: one call's keys share a slot, and the
// tenants of one API spread over several.
func TestTenantKeysShareASlot(t *testing.T) {
	slots := map[int]bool{}
	for _, ten := range []string{"t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8"} {
		l := &Limiter{perTenant: true}
		ctx := tenant.With(context.Background(), ten)
		for _, c := range every(DefaultLimits(), 4) {
			sc, err := l.scope(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			want := statetest.Slot(pauseKeyOf(sc))
			for _, r := range sc.rules {
				if got := statetest.Slot(r.key); got != want {
					t.Errorf("%s in %s: %s in slot %d, its pause in %d", c, ten, r.key, got, want)
				}
				if !strings.Contains(r.key, "{"+string(c.api)+":"+ten+"}") {
					t.Errorf("key %s does not carry API and tenant in its tag", r.key)
				}
			}
			if c.api == APIEphemeralSend {
				slots[want] = true
			}
		}
	}
	if len(slots) < 4 {
		t.Errorf("eight tenants' ephemeral.send keys in %d slots", len(slots))
	}
}
