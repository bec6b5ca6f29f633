package state_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/state"
	"github.com/botd/botd/internal/state/statetest"
)

func countCommand(t *testing.T, f *state.FairUse, chat, member string, caps flows.FairUse) flows.FairUseVerdict {
	t.Helper()
	v, err := f.CountCommand(context.Background(), chat, member, caps)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// The member cap: the first MemberCommands pass, the next is refused with
// the one notice, the rest are refused silently; other members and other
// chats are not affected, and the refused commands do not fill the chat.
func TestFairUseMemberCap(t *testing.T) {
	f := state.NewFairUse(statetest.Client(t))
	caps := flows.FairUse{MemberCommands: 3, ChatCommands: 5, Window: time.Minute}
	for i := range 3 {
		if v := countCommand(t, f, "oc_1", "ou_a", caps); !v.Allowed {
			t.Fatalf("command %d refused: %+v", i+1, v)
		}
	}
	v := countCommand(t, f, "oc_1", "ou_a", caps)
	if v.Allowed || !v.Notify || v.ChatCap || v.RetryIn <= 0 || v.RetryIn > time.Minute {
		t.Fatalf("4th command: %+v, want refused by the member cap with the notice", v)
	}
	for i := range 20 {
		if v := countCommand(t, f, "oc_1", "ou_a", caps); v.Allowed || v.Notify {
			t.Fatalf("refusal %d after the first: %+v, want refused silently", i+2, v)
		}
	}
	// The chat counted only ou_a's 3 admitted commands: two more fit.
	for _, m := range []string{"ou_b", "ou_c"} {
		if v := countCommand(t, f, "oc_1", m, caps); !v.Allowed {
			t.Fatalf("%s refused: %+v (did the flood fill the chat?)", m, v)
		}
	}
	if v := countCommand(t, f, "oc_2", "ou_a", caps); !v.Allowed {
		t.Fatalf("ou_a in another chat refused: %+v", v)
	}
}

// The chat cap refuses every member once the chat is full, and each member
// is told once.
func TestFairUseChatCap(t *testing.T) {
	f := state.NewFairUse(statetest.Client(t))
	caps := flows.FairUse{MemberCommands: 10, ChatCommands: 2, Window: time.Minute}
	for _, m := range []string{"ou_a", "ou_b"} {
		if v := countCommand(t, f, "oc_1", m, caps); !v.Allowed {
			t.Fatalf("%s refused: %+v", m, v)
		}
	}
	for _, m := range []string{"ou_c", "ou_a"} {
		v := countCommand(t, f, "oc_1", m, caps)
		if v.Allowed || !v.ChatCap || !v.Notify {
			t.Fatalf("%s over the chat cap: %+v, want refused with a notice", m, v)
		}
		if v := countCommand(t, f, "oc_1", m, caps); v.Allowed || v.Notify {
			t.Fatalf("%s again: %+v, want refused silently", m, v)
		}
	}
}

// A cap of 0 is no cap; no caps at all touch nothing.
func TestFairUseOff(t *testing.T) {
	rdb := statetest.Client(t)
	f := state.NewFairUse(rdb)
	for range 10 {
		if v := countCommand(t, f, "oc_1", "ou_a", flows.FairUse{}); !v.Allowed {
			t.Fatal("refused with no caps")
		}
		if v := countCommand(t, f, "oc_2", "ou_a", flows.FairUse{ChatCommands: 100, Window: time.Minute}); !v.Allowed {
			t.Fatal("refused with no member cap")
		}
	}
	if keys := statetest.Keys(t, rdb, "botd:fair:*{oc_1}*"); len(keys) != 0 {
		t.Errorf("no caps wrote %v", keys)
	}
}

// Replicas racing on one member: exactly the cap is admitted and exactly
// one of them sends the notice.
func TestFairUseRacingReplicas(t *testing.T) {
	rdb := statetest.Client(t)
	caps := flows.FairUse{MemberCommands: 5, ChatCommands: 60, Window: time.Minute}
	var (
		mu                sync.Mutex
		admitted, notices int
		wg                sync.WaitGroup
	)
	for range 4 { // replicas
		f := state.NewFairUse(rdb)
		for range 25 {
			wg.Go(func() {
				v, err := f.CountCommand(context.Background(), "oc_1", "ou_a", caps)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if v.Allowed {
					admitted++
				}
				if v.Notify {
					notices++
				}
			})
		}
	}
	wg.Wait()
	if admitted != 5 || notices != 1 {
		t.Fatalf("admitted %d, notices %d; want 5 and 1", admitted, notices)
	}
}

// When the window passes the member is admitted again, and a refusal in
// the new window is told again (once).
func TestFairUseWindowPasses(t *testing.T) {
	f := state.NewFairUse(statetest.Client(t))
	caps := flows.FairUse{MemberCommands: 1, Window: time.Second}
	if v := countCommand(t, f, "oc_1", "ou_a", caps); !v.Allowed {
		t.Fatal("first command refused")
	}
	if v := countCommand(t, f, "oc_1", "ou_a", caps); v.Allowed || !v.Notify {
		t.Fatalf("second command: %+v", v)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		v := countCommand(t, f, "oc_1", "ou_a", caps)
		if v.Allowed {
			break
		}
		if v.Notify {
			t.Fatal("told twice in one window")
		}
		if time.Now().After(deadline) {
			t.Fatal("still refused 10 s after a 1 s window")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if v := countCommand(t, f, "oc_1", "ou_a", caps); v.Allowed || !v.Notify {
		t.Fatalf("first refusal of the new window: %+v, want the notice again", v)
	}
}
