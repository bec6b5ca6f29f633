package state_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/botd/botd/internal/state"
	"github.com/botd/botd/internal/state/statetest"
)

type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stepClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// A stored list answers members for Keep and non-members for Absence;
// a failure is remembered for Failure and forgotten by the next list.
func TestMembersCache(t *testing.T) {
	ctx := context.Background()
	rdb := statetest.Client(t)
	clock := &stepClock{now: time.Now()}
	ttls := state.MemberTTLs{Keep: time.Minute, Absence: 15 * time.Second, Failure: 5 * time.Second}
	m := state.NewMembers(rdb, ttls, clock.Now)
	other := state.NewMembers(rdb, ttls, clock.Now) // another replica

	want := func(who string, a state.MemberAnswer) {
		t.Helper()
		got, err := other.Lookup(ctx, "oc_1", who)
		if err != nil || got != a {
			t.Fatalf("Lookup(%s) = %v, %v; want %v", who, got, err, a)
		}
	}
	want("ou_a", state.MemberUnknown)
	if err := m.Store(ctx, "oc_1", []string{"ou_a", "ou_b"}, true); err != nil {
		t.Fatal(err)
	}
	want("ou_a", state.MemberYes)
	want("ou_x", state.MemberNo)
	want("", state.MemberNo) // the placeholder is nobody

	clock.advance(20 * time.Second) // past Absence
	want("ou_a", state.MemberYes)
	want("ou_x", state.MemberUnknown)

	if err := m.Fail(ctx, "oc_1", 0); err != nil {
		t.Fatal(err)
	}
	want("ou_a", state.MemberYes) // a known member stays one
	want("ou_x", state.MemberFailed)
	clock.advance(6 * time.Second)
	want("ou_x", state.MemberUnknown)

	if err := m.Fail(ctx, "oc_1", 0); err != nil {
		t.Fatal(err)
	}
	if err := m.Store(ctx, "oc_1", []string{"ou_x"}, true); err != nil { // ou_a left, ou_x joined
		t.Fatal(err)
	}
	want("ou_x", state.MemberYes)
	want("ou_a", state.MemberNo)

	clock.advance(time.Minute) // past Keep
	want("ou_x", state.MemberUnknown)

	if err := m.Store(ctx, "oc_2", nil, true); err != nil { // a chat with no human members
		t.Fatal(err)
	}
	if got, err := m.Lookup(ctx, "oc_2", "ou_a"); err != nil || got != state.MemberNo {
		t.Fatalf("empty list: %v, %v", got, err)
	}
	if ttl := rdb.PTTL(ctx, statetest.Key(rdb, "botd:members:{oc_2}")).Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("list TTL %v", ttl)
	}

	// A list cut short answers for those in it, for nobody's absence; a
	// long failure keeps the others from reading it again at once.
	if err := m.Store(ctx, "oc_3", []string{"ou_a"}, false); err != nil {
		t.Fatal(err)
	}
	if err := m.Fail(ctx, "oc_3", time.Minute); err != nil {
		t.Fatal(err)
	}
	clock.advance(30 * time.Second) // past Failure, within the long failure
	for who, want := range map[string]state.MemberAnswer{"ou_a": state.MemberYes, "ou_z": state.MemberFailed} {
		if got, err := m.Lookup(ctx, "oc_3", who); err != nil || got != want {
			t.Errorf("partial list, %s: %v, %v; want %v", who, got, err, want)
		}
	}
}
