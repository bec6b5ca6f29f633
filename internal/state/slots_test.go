package state_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/botd/botd/internal/state"
	"github.com/botd/botd/internal/state/statetest"
)

// The slot rules of keys.go, checked on the keys themselves (no cluster
// needed): keys one script or MULTI changes together share a slot, under
// any key prefix, and the keys of different records, interactions and
// chats do not pile up in one.
func TestSlotRules(t *testing.T) {
	for _, prefix := range []string{"", "test:abc:", "prod.eu:"} {
		k := state.NewKeys(prefix)
		together := map[string][]string{
			"fair use of a chat":     {k.FairMember("oc_1", "ou_a"), k.FairChat("oc_1"), k.FairNotice("oc_1", "ou_a")},
			"fair use, odd chat id":  {k.FairMember("o}c{", "ou_a"), k.FairChat("o}c{"), k.FairNotice("o}c{", "ou_a")},
			"members of a chat":      {k.Members("oc_1"), k.MembersAt("oc_1"), k.MembersFailed("oc_1")},
			"an index, its versions": {k.Index("todo", "open:oc_1"), k.IndexVersions("todo", "open:oc_1")},
			"a member index":         {k.Index("rem", "member:tk:ou_a"), k.IndexVersions("rem", "member:tk:ou_a")},
		}
		for what, keys := range together {
			for _, key := range keys[1:] {
				if statetest.Slot(key) != statetest.Slot(keys[0]) {
					t.Errorf("prefix %q, %s: %s in slot %d, %s in slot %d", prefix, what,
						keys[0], statetest.Slot(keys[0]), key, statetest.Slot(key))
				}
			}
		}
		// Keys that live alone keep the names older botd wrote.
		if prefix == "" {
			for got, want := range map[string]string{
				k.Interaction("itx_a"): "botd:itx:itx_a", k.Record("todo", "td_a"): "botd:todo:td_a",
				k.Index("todo", "open:oc_1"): "botd:todos:open:oc_1", k.Due(0): state.DueKey,
				k.Ambiguous(): state.AmbiguousKey, k.Command("om_1"): "botd:cmd:om_1",
			} {
				if got != want {
					t.Errorf("key %s, want the old name %s", got, want)
				}
			}
		}
		// Spread: 1,000 of each kind of key over three equal slot ranges.
		spread := map[string]func(i int) string{
			"interactions": func(i int) string { return k.Interaction(fmt.Sprintf("itx_%04d", i)) },
			"outboxes":     func(i int) string { return k.Outbox(fmt.Sprintf("itx_%04d", i)) },
			"records":      func(i int) string { return k.Record("todo", fmt.Sprintf("td_%04d", i)) },
			"claims":       func(i int) string { return k.Claim(fmt.Sprintf("event:ev_%04d", i)) },
			"chats":        func(i int) string { return k.FairChat(fmt.Sprintf("oc_%04d", i)) },
			"due shards":   func(i int) string { return k.Due(i % state.DueShards) },
		}
		for what, key := range spread {
			var thirds [3]int
			n := 1000
			if what == "due shards" {
				n = state.DueShards
			}
			for i := range n {
				thirds[statetest.Slot(key(i))*3/16384]++
			}
			for _, c := range thirds {
				if c*2 > n {
					t.Errorf("prefix %q: %s: %v of %d in one third of the slots", prefix, what, thirds, n)
				}
			}
		}
	}
}

// Slot agrees with the cluster's own CLUSTER KEYSLOT.
func TestSlotMatchesCluster(t *testing.T) {
	rdb := statetest.Cluster(t)
	ctx := context.Background()
	k := state.NewKeys(state.KeyPrefix(rdb))
	for _, key := range []string{k.Interaction("itx_a"), k.FairChat("oc_1"), k.IndexVersions("todo", "open:oc_1"),
		k.Due(7), "{}", "a{}b", "a{b}c{d}", "{x", "plain"} {
		got, err := rdb.Do(ctx, "CLUSTER", "KEYSLOT", key).Int()
		if err != nil {
			t.Fatal(err)
		}
		if got != statetest.Slot(key) {
			t.Errorf("%s: cluster says slot %d, statetest.Slot %d", key, got, statetest.Slot(key))
		}
	}
}

// A store app's tenants: under "t:TENANT:" the keys of one script still
// share a slot (the tenant is no tag), a tenant's keys keep the old names
// after its prefix, and one tenant's keys, like many tenants' same key,
// spread over the slots.
func TestTenantSlotRules(t *testing.T) {
	for _, prefix := range []string{"", "test:abc:"} {
		base := state.NewKeys(prefix)
		k := base.ForTenant("tenant_a")
		together := map[string][]string{
			"fair use of a chat":     {k.FairMember("oc_1", "ou_a"), k.FairChat("oc_1"), k.FairNotice("oc_1", "ou_a")},
			"members of a chat":      {k.Members("oc_1"), k.MembersAt("oc_1"), k.MembersFailed("oc_1")},
			"an index, its versions": {k.Index("todo", "open:oc_1"), k.IndexVersions("todo", "open:oc_1")},
		}
		for what, keys := range together {
			for _, key := range keys[1:] {
				if statetest.Slot(key) != statetest.Slot(keys[0]) {
					t.Errorf("prefix %q, %s: %s and %s in different slots", prefix, what, keys[0], key)
				}
			}
		}
		for got, want := range map[string]string{
			k.Interaction("itx_a"): prefix + "botd:t:tenant_a:itx:itx_a", k.Record("todo", "td_a"): prefix + "botd:t:tenant_a:todo:td_a",
			k.Due(0): base.Due(0), k.Ambiguous(): base.Ambiguous(),
		} {
			if got != want {
				t.Errorf("key %s, want %s", got, want)
			}
		}
		spread := map[string]func(i int) string{
			"one tenant's interactions": func(i int) string { return k.Interaction(fmt.Sprintf("itx_%04d", i)) },
			"many tenants' same chat":   func(i int) string { return base.ForTenant(fmt.Sprintf("t%04d", i)).Interaction("itx_1") },
		}
		for what, key := range spread {
			var thirds [3]int
			for i := range 1000 {
				thirds[statetest.Slot(key(i))*3/16384]++
			}
			for _, c := range thirds {
				if c*2 > 1000 {
					t.Errorf("prefix %q: %s: %v in one third of the slots", prefix, what, thirds)
				}
			}
		}
	}
}
