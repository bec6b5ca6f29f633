package state_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/state"
	"github.com/botd/botd/internal/state/statetest"
)

func TestShares(t *testing.T) {
	rdb := statetest.Client(t)
	s := state.New(rdb, 0, nil)
	ctx := context.Background()
	at := time.Date(2024, 11, 14, 8, 0, 0, 0, time.UTC)
	first := flows.Share{MessageID: "om_1", ChatID: "oc_a", Lang: flows.LocaleZhCN, By: "ou_alice", At: at}
	if err := s.AddShares(ctx, "todo", "td_x", []flows.Share{first}); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.Share(ctx, "todo", "td_x", "om_1")
	if err != nil || !ok || got.ChatID != "oc_a" || got.Lang != flows.LocaleZhCN || got.By != "ou_alice" || !got.At.Equal(at) || got.MessageID != "om_1" {
		t.Fatalf("share: %+v %v %v", got, ok, err)
	}
	// Recording the same message again keeps the first record.
	again := first
	again.ChatID, again.Lang = "oc_b", flows.LocaleEnUS
	if err := s.AddShares(ctx, "todo", "td_x", []flows.Share{again}); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.Share(ctx, "todo", "td_x", "om_1"); got.ChatID != "oc_a" {
		t.Fatalf("a repeat overwrote the share: %+v", got)
	}
	// Another record, another kind, another message: none of them.
	for _, q := range [][3]string{{"todo", "td_y", "om_1"}, {"rem", "td_x", "om_1"}, {"todo", "td_x", "om_2"}} {
		if _, ok, err := s.Share(ctx, q[0], q[1], q[2]); ok || err != nil {
			t.Errorf("%v: found %v, %v", q, ok, err)
		}
	}
	if ttl := rdb.PTTL(ctx, statetest.Key(rdb, "botd:webshare:todo:td_x")).Val(); ttl <= 0 || ttl > state.RecordTTL {
		t.Errorf("shares TTL %v, want up to %v", ttl, state.RecordTTL)
	}
	// Bad kinds and ids are refused before Redis.
	if err := s.AddShares(ctx, "to do", "td_x", []flows.Share{first}); err == nil {
		t.Error("bad kind accepted")
	}
	if _, _, err := s.Share(ctx, "todo", "td:x", "om_1"); err == nil {
		t.Error("bad id accepted")
	}
}

// The newest MaxShares are kept: the oldest go first.
func TestSharesBounded(t *testing.T) {
	rdb := statetest.Client(t)
	s := state.New(rdb, 0, nil)
	ctx := context.Background()
	at := time.Date(2024, 11, 14, 8, 0, 0, 0, time.UTC)
	for batch := range 6 {
		var list []flows.Share
		for i := range 10 {
			n := batch*10 + i
			list = append(list, flows.Share{MessageID: fmt.Sprintf("om_%03d", n), ChatID: "oc_a", Lang: flows.LocaleEnUS,
				By: "ou_a", At: at.Add(time.Duration(n) * time.Second)})
		}
		if err := s.AddShares(ctx, "rem", "rm_x", list); err != nil {
			t.Fatal(err)
		}
	}
	if n := rdb.HLen(ctx, statetest.Key(rdb, "botd:webshare:rem:rm_x")).Val(); n != flows.MaxShares {
		t.Fatalf("%d shares kept, want %d", n, flows.MaxShares)
	}
	for i, want := range map[int]bool{0: false, 9: false, 10: true, 59: true} {
		if _, ok, _ := s.Share(ctx, "rem", "rm_x", fmt.Sprintf("om_%03d", i)); ok != want {
			t.Errorf("share %d kept %v, want %v", i, ok, want)
		}
	}
}
