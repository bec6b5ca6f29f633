package ratelimit

import (
	"context"
	"testing"
	"time"

	"github.com/botd/botd/internal/state"
	"github.com/botd/botd/internal/state/statetest"
)

// every is one call of each kind botd makes, for chats, users and messages
// that land in different slots.
func every(l Limits, n int) []Call {
	var calls []Call
	for _, id := range []string{"a", "b", "c", "d"}[:n] {
		calls = append(calls, l.EphemeralSend("oc_"+id), l.MessageToChat("oc_"+id), l.MessageToUser("ou_"+id),
			l.MessageUpdate("om_"+id))
	}
	return append(calls, l.EphemeralDelete(), l.ChatGet(), l.ChatMembers())
}

// The slot rule of keys.go: every key of one call (its rules' logs and its
// API's pause), under any key prefix, is in one slot; different APIs are
// not all in one.
func TestCallKeysShareASlot(t *testing.T) {
	apis := map[int]bool{}
	for _, prefix := range []string{"", "test:x1:"} {
		for _, c := range every(DefaultLimits(), 4) {
			want := statetest.Slot(prefix + pauseKey(c.api))
			for _, r := range c.rules {
				if got := statetest.Slot(prefix + r.key); got != want {
					t.Errorf("%s: %s in slot %d, its pause in %d", c, r.key, got, want)
				}
			}
			apis[want] = true
		}
	}
	if len(apis) < 4 {
		t.Errorf("six APIs in %d slots", len(apis))
	}
}

// The allow and pause scripts on a real cluster, for every kind of call
// and chats in different slots: each runs in its API's slot.
func TestScriptsOnCluster(t *testing.T) {
	rdb := statetest.Cluster(t)
	ctx := context.Background()
	l := newLimiter(t, rdb, Limits{}, Options{})
	for _, c := range every(l.Limits(), 4) {
		d, err := l.Allow(ctx, c)
		if err != nil || !d.Allowed {
			t.Fatalf("%s: %+v %v", c, d, err)
		}
	}
	if err := l.Pause(ctx, APIMessageCreate, time.Second); err != nil {
		t.Fatal(err)
	}
	if d, err := l.Allow(ctx, l.Limits().MessageToChat("oc_a")); err != nil || d.Allowed || d.Rule != rulePause {
		t.Fatalf("after a pause: %+v %v", d, err)
	}
	if n := rdb.ZCard(ctx, AppKey(state.KeyPrefix(rdb), APIMessageCreate)).Val(); n != 8 {
		t.Fatalf("message create's app tier holds %d, want 8", n)
	}
}
