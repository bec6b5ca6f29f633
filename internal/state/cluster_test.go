package state_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/state"
	"github.com/botd/botd/internal/state/statetest"
)

// These need a real Redis Cluster (BOTD_TEST_REDIS_URL=redis+cluster://…):
// they skip without one, and fail with BOTD_TEST_REQUIRE_CLUSTER=1 (CI).

// keyslot asks the cluster which slot key is in.
func keyslot(t *testing.T, rdb redis.UniversalClient, key string) int {
	t.Helper()
	n, err := rdb.Do(context.Background(), "CLUSTER", "KEYSLOT", key).Int()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// differ fails unless the keys are in at least two slots: the operation
// that uses them together would be refused (CROSSSLOT) if it sent them to
// the cluster in one script.
func differ(t *testing.T, rdb redis.UniversalClient, what string, keys ...string) {
	t.Helper()
	slots := map[int]bool{}
	for _, k := range keys {
		slots[keyslot(t, rdb, k)] = true
	}
	if len(slots) < 2 {
		t.Fatalf("%s: keys %v all in one slot; pick keys that tell", what, keys)
	}
}

// Every script and MULTI of state, with keys of different interactions,
// records, chats and messages in one call, against a real cluster: each
// either keeps its keys in one slot by design or takes steps.
func TestEveryScriptOnCluster(t *testing.T) {
	rdb := statetest.Cluster(t)
	ctx := context.Background()
	k := state.NewKeys(state.KeyPrefix(rdb))
	s := state.New(rdb, time.Hour, nil)

	// createCmd, and the command's first interaction in another slot.
	it := newInteraction("itx_c1")
	it.SourceMessageID = "om_c1"
	differ(t, rdb, "interaction and its command", k.Interaction("itx_c1"), k.Command("om_c1"))
	if err := s.CreateInteraction(ctx, it); err != nil {
		t.Fatal(err)
	}
	if first, err := s.FirstInteraction(ctx, "om_c1"); err != nil || first != "itx_c1" {
		t.Fatalf("first interaction: %q %v", first, err)
	}
	// updateCmd.
	it.Status = flows.StatusSubmitted
	if err := s.UpdateInteraction(ctx, it); err != nil {
		t.Fatal(err)
	}

	// claimCmd over keys in different slots, all or none.
	claims := []string{"event:ev_c1", "message:om_c1", "legacy:sig_c1"}
	differ(t, rdb, "claims", k.Claim(claims[0]), k.Claim(claims[1]), k.Claim(claims[2]))
	if taken, _, err := s.Claim(ctx, time.Minute, claims...); err != nil || taken != "" {
		t.Fatalf("claim: %q %v", taken, err)
	}
	if taken, _, err := s.Claim(ctx, time.Minute, "event:ev_c2", "message:om_c1"); err != nil || taken != "message:om_c1" {
		t.Fatalf("second claim: %q %v", taken, err)
	}
	if n := rdb.Exists(ctx, k.Claim("event:ev_c2")).Val(); n != 0 {
		t.Fatal("a refused claim left its other key taken")
	}
	if err := s.Keep(ctx, time.Minute, claims...); err != nil {
		t.Fatal(err)
	}
	if err := s.Release(ctx, claims...); err != nil {
		t.Fatal(err)
	}

	// beginCmd, and the ambiguous set in another slot.
	differ(t, rdb, "outbox and the ambiguous set", k.Outbox("itx_c1"), k.Ambiguous())
	for range 2 {
		if _, err := s.Begin(ctx, "itx_c1", "post_final"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Begin(ctx, "itx_c2", "send_form"); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.FlagIfStarted(ctx, "itx_c2", "send_form"); err != nil || !ok {
		t.Fatalf("flag: %v %v", ok, err)
	}
	if amb := rdb.ZRange(ctx, k.Ambiguous(), 0, -1).Val(); fmt.Sprint(amb) != "[post_final:itx_c1 send_form:itx_c2]" {
		t.Fatalf("ambiguous: %v", amb)
	}

	// createRecordCmd, updateRecordCmd, placeCmd, pruneCmd: one record in
	// three indexes, each in a slot of its own.
	ix := func(open bool) []flows.Index {
		return []flows.Index{{Name: "open:oc_c1", Score: 1, In: open},
			{Name: "member:tk:ou_c1", Score: 1, In: true}, {Name: "member:tk:ou_c2", Score: 1, In: true}}
	}
	differ(t, rdb, "record and its indexes", k.Record("todo", "td_c1"), k.Index("todo", "open:oc_c1"),
		k.Index("todo", "member:tk:ou_c1"), k.Index("todo", "member:tk:ou_c2"))
	r := flows.StoredRecord{Kind: "todo", ID: "td_c1", Data: []byte(`{}`), Index: ix(true)}
	if err := s.CreateRecord(ctx, r); err != nil {
		t.Fatal(err)
	}
	r.Version, r.Index = 1, ix(false)
	if err := s.UpdateRecord(ctx, r); err != nil {
		t.Fatal(err)
	}
	if list, total, err := s.ListRecords(ctx, "todo", "open:oc_c1", 0, 10); err != nil || len(list) != 0 || total != 0 {
		t.Fatalf("open list after closing: %v %d %v", ids(list), total, err)
	}
	for _, name := range []string{"member:tk:ou_c1", "member:tk:ou_c2"} {
		if list, _, err := s.ListRecords(ctx, "todo", name, 0, 10); err != nil || len(list) != 1 {
			t.Fatalf("%s: %v %v", name, ids(list), err)
		}
	}
	if err := state.JoinOnly(ctx, s, flows.StoredRecord{Kind: "todo", ID: "td_c1", Index: ix(true)}, 2); err != nil {
		t.Fatal(err) // a late join: the reader's prune removes it
	}
	if list, _, _ := s.ListRecords(ctx, "todo", "open:oc_c1", 0, 10); len(list) != 0 {
		t.Fatalf("a stale join listed: %v", ids(list))
	}

	// The due set: members of every shard, read in one call.
	base := time.Now().Add(-time.Hour)
	var members []string
	for i := range 64 {
		m := fmt.Sprintf("rem:rm_%02d:k", i)
		members = append(members, m)
		if err := s.Schedule(ctx, m, base.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	due, err := s.Due(ctx, time.Now(), 100)
	if err != nil || fmt.Sprint(due) != fmt.Sprint(members) {
		t.Fatalf("due: %v %v", due, err)
	}
	if err := s.Unschedule(ctx, members...); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.Due(ctx, time.Now(), 100); len(due) != 0 {
		t.Fatalf("after unschedule: %v", due)
	}

	// fairUseCmd: chats in different slots, each in one call.
	f := state.NewFairUse(rdb)
	differ(t, rdb, "two chats", k.FairChat("oc_c1"), k.FairChat("oc_c2"))
	for _, chat := range []string{"oc_c1", "oc_c2"} {
		for i := range 3 {
			v, err := f.CountCommand(ctx, chat, "ou_c1", flows.FairUse{MemberCommands: 2, ChatCommands: 10, Window: time.Minute})
			if err != nil || v.Allowed != (i < 2) {
				t.Fatalf("%s command %d: %+v %v", chat, i, v, err)
			}
		}
	}

	// The members cache's MULTI, for chats in different slots.
	m := state.NewMembers(rdb, state.MemberTTLs{Keep: time.Minute, Absence: time.Minute, Failure: time.Second}, nil)
	differ(t, rdb, "two chats' members", k.Members("oc_c1"), k.Members("oc_c2"))
	for _, chat := range []string{"oc_c1", "oc_c2"} {
		if err := m.Store(ctx, chat, []string{"ou_c1"}, true); err != nil {
			t.Fatal(err)
		}
		if a, err := m.Lookup(ctx, chat, "ou_c1"); err != nil || a != state.MemberYes {
			t.Fatalf("%s: %v %v", chat, a, err)
		}
	}
}

// A due set copied over from one server sits in shard 0; on a cluster its
// members are moved to their shards as they come due, and read from there
// (a tick later), so that Unschedule finds them; a later schedule of one
// of them wins over its old entry.
func TestDueSetFromOneServer(t *testing.T) {
	rdb := statetest.Client(t)
	ctx := context.Background()
	s := state.Stepped(state.New(rdb, time.Hour, nil))
	k := state.NewKeys(state.KeyPrefix(rdb))
	base := time.Now().Add(-time.Minute)
	var strays []string
	for i := 0; len(strays) < 3; i++ {
		m := fmt.Sprintf("rem:rm_old%d:k", i)
		if state.DueShardKey(s, m) != k.Due(0) {
			strays = append(strays, m)
			rdb.ZAdd(ctx, k.Due(0), redis.Z{Score: float64(base.UnixMilli()), Member: m})
		}
	}
	// A later snooze of the first one, in its own shard.
	if err := s.Schedule(ctx, strays[0], time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	due, err := s.Due(ctx, time.Now(), 10)
	if err != nil || len(due) != 0 {
		t.Fatalf("first read: %v %v; want the strays moved, not returned", due, err)
	}
	due, err = s.Due(ctx, time.Now(), 10)
	slices.Sort(due) // same due time: any order
	if err != nil || fmt.Sprint(due) != fmt.Sprint(strays[1:]) {
		t.Fatalf("second read: %v %v; want %v (the first one is snoozed)", due, err, strays[1:])
	}
	if err := s.Unschedule(ctx, due...); err != nil {
		t.Fatal(err)
	}
	due, _ = s.Due(ctx, time.Now(), 10)
	if len(due) != 0 {
		t.Fatalf("members left due after Unschedule: %v", due)
	}
	if n := rdb.ZCard(ctx, k.Due(0)).Val(); n != 0 {
		t.Fatalf("shard 0 still holds %d strays", n)
	}
	if score := rdb.ZScore(ctx, state.DueShardKey(s, strays[0]), strays[0]).Val(); int64(score) < time.Now().UnixMilli() {
		t.Fatal("the old entry overwrote the later snooze")
	}
}

// The keys of 1,000 interactions spread over the cluster's masters: none
// holds more than half of them.
func TestInteractionsSpreadOverMasters(t *testing.T) {
	rdb := statetest.Cluster(t)
	ctx := context.Background()
	s := state.New(rdb, time.Hour, nil)
	const n = 1000
	for i := range n {
		it := newInteraction(flows.NewID())
		it.SourceMessageID = fmt.Sprintf("om_spread_%04d", i)
		if err := s.CreateInteraction(ctx, it); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Begin(ctx, it.ID, "send_form"); err != nil {
			t.Fatal(err)
		}
		if taken, _, err := s.Claim(ctx, time.Minute, "event:ev_spread_"+it.ID, "message:"+it.SourceMessageID); err != nil || taken != "" {
			t.Fatalf("claim: %q %v", taken, err)
		}
	}
	cc := rdb.(interface{ Unwrap() redis.UniversalClient }).Unwrap().(*redis.ClusterClient)
	prefix := state.KeyPrefix(rdb)
	perMaster := map[string]int{}
	var mu sync.Mutex // ForEachMaster runs the masters at once
	total := 0
	err := cc.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
		iter := m.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		c := 0
		for iter.Next(ctx) {
			c++
		}
		mu.Lock()
		perMaster[m.Options().Addr] = c
		mu.Unlock()
		return iter.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range perMaster {
		total += c
	}
	if want := 5 * n; total != want { // itx, cmd, outbox and two claims each
		t.Fatalf("found %d keys over the masters, want %d", total, want)
	}
	if len(perMaster) < 3 {
		t.Fatalf("the cluster has %d masters; the test wants three", len(perMaster))
	}
	var report []string
	for addr, c := range perMaster {
		report = append(report, fmt.Sprintf("%s: %d", addr, c))
		if c*2 > total {
			t.Errorf("master %s holds %d of %d keys", addr, c, total)
		}
	}
	t.Logf("keys of %d interactions by master: %s", n, strings.Join(report, ", "))
}
