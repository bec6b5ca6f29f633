package state_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/state"
	"github.com/botd/botd/internal/state/statetest"
	"github.com/botd/botd/internal/tenant"
)

// Two tenants of a store app with the same chat, user, message and record
// ids: whatever one writes, the other never reads, finds, counts or
// deletes. Run on one server and as on a cluster (stepped records,
// sharded due set).
func TestTenantsNeverMeet(t *testing.T) {
	for _, stepped := range []bool{false, true} {
		t.Run(fmt.Sprintf("stepped=%v", stepped), func(t *testing.T) {
			rdb := statetest.Client(t)
			s := state.New(rdb, time.Hour, nil, state.WithTenants(true))
			if stepped {
				s = state.Stepped(s)
			}
			a := tenant.With(context.Background(), "tenant_a")
			b := tenant.With(context.Background(), "tenant_b")

			// Interactions and the command index.
			for ctx, flow := range map[context.Context]string{a: "todo", b: "remind"} {
				it := &flows.Interaction{ID: "itx_same", Flow: flow, ChatID: "oc_1", UserID: "ou_1", SourceMessageID: "om_1"}
				if err := s.CreateInteraction(ctx, it); err != nil {
					t.Fatalf("create in %v: %v", ctx, err)
				}
			}
			for ctx, flow := range map[context.Context]string{a: "todo", b: "remind"} {
				it, err := s.Interaction(ctx, "itx_same")
				if err != nil || it.Flow != flow {
					t.Fatalf("interaction: %+v, %v; want flow %s", it, err, flow)
				}
				if first, err := s.FirstInteraction(ctx, "om_1"); err != nil || first != "itx_same" {
					t.Fatalf("first interaction: %q, %v", first, err)
				}
			}
			it, _ := s.Interaction(a, "itx_same")
			it.Status = flows.StatusDone
			if err := s.UpdateInteraction(a, it); err != nil {
				t.Fatal(err)
			}
			if other, _ := s.Interaction(b, "itx_same"); other.Status == flows.StatusDone || other.Version != 1 {
				t.Fatalf("tenant b's interaction changed with a's: %+v", other)
			}

			// Claims: the same message in two tenants is two deliveries.
			for _, ctx := range []context.Context{a, b} {
				if taken, _, err := s.Claim(ctx, time.Minute, "message:om_1"); err != nil || taken != "" {
					t.Fatalf("claim: %q, %v", taken, err)
				}
			}
			if err := s.Keep(a, time.Minute, "message:om_1"); err != nil {
				t.Fatal(err)
			}
			if err := s.Release(b, "message:om_1"); err != nil {
				t.Fatal(err)
			}
			if taken, handled, _ := s.Claim(a, time.Minute, "message:om_1"); taken == "" || !handled {
				t.Fatalf("tenant a's kept claim lost: %q %v", taken, handled)
			}

			// Records and their indexes.
			for ctx, title := range map[context.Context]string{a: "A's", b: "B's"} {
				r := flows.StoredRecord{Kind: "todo", ID: "td_same", Data: []byte(`"` + title + `"`),
					Index: []flows.Index{{Name: "open:oc_1", In: true, Score: 1}}}
				if err := s.CreateRecord(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			r, _ := s.Record(a, "todo", "td_same")
			r.Data, r.Index = []byte(`"A's, closed"`), []flows.Index{{Name: "open:oc_1", In: false}}
			if err := s.UpdateRecord(a, r); err != nil {
				t.Fatal(err)
			}
			if got, n, err := s.ListRecords(a, "todo", "open:oc_1", 0, 10); err != nil || n != 0 || len(got) != 0 {
				t.Fatalf("tenant a's open todos: %d %v", n, err)
			}
			got, n, err := s.ListRecords(b, "todo", "open:oc_1", 0, 10)
			if err != nil || n != 1 || string(got[0].Data) != `"B's"` {
				t.Fatalf("tenant b's open todos: %v %d %v", got, n, err)
			}

			// Shares.
			if err := s.AddShares(a, "todo", "td_same", []flows.Share{{MessageID: "om_s", ChatID: "oc_2"}}); err != nil {
				t.Fatal(err)
			}
			if _, ok, err := s.Share(b, "todo", "td_same", "om_s"); err != nil || ok {
				t.Fatalf("tenant b sees a's share: %v %v", ok, err)
			}

			// Outbox.
			if _, err := s.Begin(a, "itx_same", "post"); err != nil {
				t.Fatal(err)
			}
			if err := s.Complete(a, "itx_same", "post", "om_final"); err != nil {
				t.Fatal(err)
			}
			if e, err := s.Entry(b, "itx_same", "post"); err != nil || e.State != flows.OutboxNone {
				t.Fatalf("tenant b sees a's outbox: %+v %v", e, err)
			}
			if _, err := s.Begin(b, "itx_same", "send"); err != nil {
				t.Fatal(err)
			}
			if e, _ := s.Begin(b, "itx_same", "send"); e.State != flows.OutboxStarted {
				t.Fatalf("restart: %+v", e)
			}
			amb, err := rdb.ZRange(context.Background(), statetest.Key(rdb, state.AmbiguousKey), 0, -1).Result()
			if err != nil || !slices.Equal(amb, []string{"tenant_b/send:itx_same"}) {
				t.Fatalf("ambiguous set %v, %v; want tenant b's one effect, qualified", amb, err)
			}

			// The due set: one for both, members qualified, each tenant's
			// Unschedule its own.
			at := time.UnixMilli(1000)
			for _, ctx := range []context.Context{a, b} {
				if err := s.Schedule(ctx, "rem:r_1:1", at); err != nil {
					t.Fatal(err)
				}
			}
			due, err := s.Due(context.Background(), at, 10)
			slices.Sort(due)
			if err != nil || !slices.Equal(due, []string{"tenant_a/rem:r_1:1", "tenant_b/rem:r_1:1"}) {
				t.Fatalf("due %v, %v", due, err)
			}
			if err := s.Unschedule(a, "rem:r_1:1"); err != nil {
				t.Fatal(err)
			}
			if due, _ := s.Due(context.Background(), at, 10); !slices.Equal(due, []string{"tenant_b/rem:r_1:1"}) {
				t.Fatalf("due after a's unschedule: %v", due)
			}

			// The cache, member lists and fair use.
			ca := state.NewCache(rdb, state.WithTenants(true))
			if err := ca.Set(a, "chat:oc_1", "A's chat", time.Minute); err != nil {
				t.Fatal(err)
			}
			if v, err := ca.Get(b, "chat:oc_1"); err != nil || v != "" {
				t.Fatalf("tenant b reads a's cache: %q %v", v, err)
			}
			m := state.NewMembers(rdb, state.MemberTTLs{Keep: time.Minute, Absence: time.Minute, Failure: time.Second}, nil, state.WithTenants(true))
			if err := m.Store(a, "oc_1", []string{"ou_1"}, true); err != nil {
				t.Fatal(err)
			}
			if ans, err := m.Lookup(b, "oc_1", "ou_1"); err != nil || ans != state.MemberUnknown {
				t.Fatalf("tenant b's member lookup: %v %v; want unknown", ans, err)
			}
			f := state.NewFairUse(rdb, state.WithTenants(true))
			caps := flows.FairUse{MemberCommands: 1, Window: time.Minute}
			for _, ctx := range []context.Context{a, b} {
				if v, err := f.CountCommand(ctx, "oc_1", "ou_1", caps); err != nil || !v.Allowed {
					t.Fatalf("first command: %+v %v", v, err)
				}
			}

			// Every key of theirs is under their prefix, and nothing else
			// was written but the two shared sets.
			for _, k := range statetest.Keys(t, rdb, "botd:*") {
				k = strings.TrimPrefix(k, state.KeyPrefix(rdb))
				if !strings.HasPrefix(k, "botd:t:tenant_a:") && !strings.HasPrefix(k, "botd:t:tenant_b:") &&
					!strings.HasPrefix(k, "botd:due") && k != state.AmbiguousKey {
					t.Errorf("key %s is no tenant's", k)
				}
			}
		})
	}
}

// A store app's state refuses to work without a tenant: no method falls
// back on keys nobody owns.
func TestTenantsRequired(t *testing.T) {
	rdb := statetest.Client(t)
	s := state.New(rdb, time.Hour, nil, state.WithTenants(true))
	ctx := context.Background()
	bad := tenant.With(ctx, "no:colons")
	for _, c := range []context.Context{ctx, bad} {
		errs := map[string]error{}
		errs["create"] = s.CreateInteraction(c, &flows.Interaction{ID: "itx_1"})
		_, errs["load"] = s.Interaction(c, "itx_1")
		_, _, errs["claim"] = s.Claim(c, time.Second, "event:e")
		errs["keep"] = s.Keep(c, time.Second, "event:e")
		errs["release"] = s.Release(c, "event:e")
		errs["record"] = s.CreateRecord(c, flows.StoredRecord{Kind: "todo", ID: "td_1", Data: []byte("{}")})
		_, errs["read record"] = s.Record(c, "todo", "td_1")
		_, _, errs["list"] = s.ListRecords(c, "todo", "open:oc_1", 0, 1)
		errs["schedule"] = s.Schedule(c, "rem:x", time.Now())
		errs["unschedule"] = s.Unschedule(c, "rem:x")
		_, errs["begin"] = s.Begin(c, "itx_1", "post")
		_, errs["flag"] = s.FlagIfStarted(c, "itx_1", "post")
		errs["shares"] = s.AddShares(c, "todo", "td_1", []flows.Share{{MessageID: "om_1"}})
		errs["cache"] = state.NewCache(rdb, state.WithTenants(true)).Set(c, "k", "v", time.Second)
		_, errs["members"] = state.NewMembers(rdb, state.MemberTTLs{}, nil, state.WithTenants(true)).Lookup(c, "oc_1", "ou_1")
		_, errs["fair use"] = state.NewFairUse(rdb, state.WithTenants(true)).CountCommand(c, "oc_1", "ou_1", flows.FairUse{MemberCommands: 1, Window: time.Second})
		for what, err := range errs {
			if err == nil {
				t.Errorf("%s without a (good) tenant: no error", what)
			} else if c == ctx && !errors.Is(err, tenant.ErrMissing) {
				t.Errorf("%s without a tenant: %v, want tenant.ErrMissing", what, err)
			}
		}
	}
	if keys := statetest.Keys(t, rdb, "*"); len(keys) != 0 {
		t.Fatalf("keys written without a tenant: %v", keys)
	}
}

// A self-built app's keys do not change, even when a context carries a
// tenant (the receiver puts every event's tenant_key there).
func TestSelfBuiltKeysUnscoped(t *testing.T) {
	rdb := statetest.Client(t)
	s := state.New(rdb, time.Hour, nil)
	ctx := tenant.With(context.Background(), "tenant_a")
	if err := s.CreateInteraction(ctx, &flows.Interaction{ID: "itx_1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Schedule(ctx, "rem:r:1", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := state.NewCache(rdb).Set(ctx, "chat:oc_1", "x", time.Minute); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"botd:itx:itx_1", "botd:cache:chat:oc_1"} {
		if n, _ := rdb.Exists(context.Background(), statetest.Key(rdb, key)).Result(); n != 1 {
			t.Errorf("%s missing: the self-built key changed", key)
		}
	}
	if due, _ := s.Due(ctx, time.Now().Add(time.Second), 5); !slices.Equal(due, []string{"rem:r:1"}) {
		t.Errorf("due %v: a self-built member changed", due)
	}
}

// RemoveTenant deletes every key and schedule of one tenant, leaves the
// other's alone, and does nothing the second time.
func TestRemoveTenant(t *testing.T) {
	rdb := statetest.Client(t)
	s := state.New(rdb, time.Hour, nil, state.WithTenants(true))
	cache := state.NewCache(rdb, state.WithTenants(true))
	a := tenant.With(context.Background(), "tenant_a")
	b := tenant.With(context.Background(), "tenant_b")
	const n = 1200 // more than one SCAN step and one batch
	for _, ctx := range []context.Context{a, b} {
		for i := range n {
			if err := s.CreateInteraction(ctx, &flows.Interaction{ID: fmt.Sprintf("itx_%d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.CreateRecord(ctx, flows.StoredRecord{Kind: "todo", ID: "td_1", Data: []byte("{}"),
			Index: []flows.Index{{Name: "open:oc_1", In: true, Score: 1}}}); err != nil {
			t.Fatal(err)
		}
		if err := cache.Set(ctx, "chat:oc_1", "x", time.Minute); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if err := s.Schedule(ctx, fmt.Sprintf("rem:r_%d:1", i), time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		if err := state.FlagAmbiguous(ctx, s, "itx_1", "send"); err != nil {
			t.Fatal(err)
		}
	}
	// A tenant whose key starts like a's is not a's.
	if err := cache.Set(tenant.With(context.Background(), "tenant_a2"), "k", "v", time.Minute); err != nil {
		t.Fatal(err)
	}
	before := len(statetest.Keys(t, rdb, "botd:t:tenant_b:*"))
	// n interactions, the record and its index, the cache entry; on a
	// cluster also the index's versions (records.go's stepped writes).
	ofA := len(statetest.Keys(t, rdb, "botd:t:tenant_a:*"))
	if ofA < n+3 {
		t.Fatalf("tenant a has %d keys, want at least %d", ofA, n+3)
	}

	got, err := s.RemoveTenant(context.Background(), "tenant_a")
	if err != nil {
		t.Fatal(err)
	}
	if want := (state.Removed{Keys: ofA, Due: 3, Ambiguous: 1}); got != want {
		t.Errorf("removed %+v, want %+v", got, want)
	}
	if keys := statetest.Keys(t, rdb, "botd:t:tenant_a:*"); len(keys) != 0 {
		t.Errorf("%d keys of tenant a left, e.g. %s", len(keys), keys[0])
	}
	if after := len(statetest.Keys(t, rdb, "botd:t:tenant_b:*")); after != before {
		t.Errorf("tenant b had %d keys, has %d", before, after)
	}
	if v, _ := cache.Get(tenant.With(context.Background(), "tenant_a2"), "k"); v != "v" {
		t.Error("tenant a2's key went with a's")
	}
	due, _ := s.Due(context.Background(), time.Now().Add(time.Minute), 100)
	if len(due) != 3 || slices.ContainsFunc(due, func(m string) bool { return !strings.HasPrefix(m, "tenant_b/") }) {
		t.Errorf("due after removing a: %v", due)
	}
	amb, _ := rdb.ZRange(context.Background(), statetest.Key(rdb, state.AmbiguousKey), 0, -1).Result()
	if !slices.Equal(amb, []string{"tenant_b/send:itx_1"}) {
		t.Errorf("ambiguous after removing a: %v", amb)
	}
	if again, err := s.RemoveTenant(context.Background(), "tenant_a"); err != nil || again != (state.Removed{}) {
		t.Errorf("second removal: %+v, %v; want nothing", again, err)
	}
	if _, err := s.RemoveTenant(context.Background(), "tenant_*"); err == nil {
		t.Error("a pattern for a tenant key was taken")
	}
}
