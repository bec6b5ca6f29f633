package main

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/botd/botd/internal/feishusim"
	"github.com/botd/botd/internal/ratelimit"
	"github.com/botd/botd/internal/state"
)

// ephemeralsFor returns the ephemeral cards sent to viewer so far.
func (w *world) ephemeralsFor(viewer string) []feishusim.Ephemeral {
	var out []feishusim.Ephemeral
	for _, e := range w.sim.Ephemerals() {
		if e.OpenID == viewer {
			out = append(out, e)
		}
	}
	return out
}

// A flood: 100 commands from one member in 2 s, with the default caps (5
// per member per 10 s, 60 per chat). botd shows that member 5 forms and one
// private "slow down" notice and ignores the rest without a single Open API
// call; another member's command in the middle of the flood gets its form
// promptly.
func TestFairUseFloodEndToEnd(t *testing.T) {
	w := newWorld(t)
	const flood, over = 100, 2 * time.Second

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		statuses = map[int]int{}
		bobSent  time.Time
	)
	tick := time.NewTicker(over / flood)
	defer tick.Stop()
	for i := range flood {
		<-tick.C
		if i == flood/2 {
			wg.Go(func() {
				mu.Lock()
				bobSent = time.Now()
				mu.Unlock()
				if res := w.sendText(t, bob, "/todo Water plants"); res.Status != http.StatusOK {
					t.Errorf("bob's command answered %d: %s", res.Status, res.Body)
				}
			})
		}
		wg.Go(func() {
			res, err := w.platform.SendText(context.Background(), feishusim.MessageOpts{
				ChatID: chatID, ChatType: "group", SenderOpenID: alice, Text: "/todo spam",
			})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			statuses[res.Status]++
			mu.Unlock()
		})
	}

	// Bob's form arrives promptly: the flood holds nothing up. (Promptly:
	// a form takes tens of milliseconds; the bound is generous for any CI,
	// and far below the flood's own cost if commands queued behind it.)
	form := w.formFor(t, bob, 1)
	mu.Lock()
	took := form.SentAt.Sub(bobSent)
	mu.Unlock()
	t.Logf("bob's form arrived %v after his command, during the flood", took)
	if took > 5*time.Second {
		t.Errorf("bob's form took %v during the flood", took)
	}
	wg.Wait()
	if statuses[http.StatusOK] != flood {
		t.Fatalf("deliveries answered %v, want %d × 200 (refused commands are handled, not failed)", statuses, flood)
	}

	eventually(t, "alice's forms and notice", func() bool { return len(w.ephemeralsFor(alice)) >= 6 })
	settle()
	var forms, notices int
	for _, e := range w.ephemeralsFor(alice) {
		switch card := string(e.Card); {
		case strings.Contains(card, "faster than botd takes them"):
			notices++
		case strings.Contains(card, "spam"):
			forms++
		default:
			t.Errorf("unexpected card for alice: %s", card)
		}
	}
	if forms != 5 || notices != 1 {
		t.Fatalf("alice got %d forms and %d notices, want 5 and 1", forms, notices)
	}
	// Nothing else reached the platform: 5 forms, 1 notice, bob's form,
	// and at most one chat lookup per command that was not dropped.
	if n := len(w.calls("/open-apis/ephemeral/v1/send")); n != 7 {
		t.Errorf("%d ephemeral sends, want 7", n)
	}
	lookups := len(w.calls("/open-apis/im/v1/chats/" + chatID))
	if lookups < 1 || lookups > 7 {
		t.Errorf("%d chat lookups for 7 commands let through", lookups)
	}
	// Chat lookups are paced like every Open API call: each one is in the
	// app-tier log of GET chat, which every replica reads.
	rdb := w.bot.RedisClient()
	if n := rdb.ZCard(context.Background(), ratelimit.AppKey(state.KeyPrefix(rdb), ratelimit.APIChatGet)).Val(); int(n) != lookups {
		t.Errorf("%d chat lookups paced, %d made", n, lookups)
	}
	if n := len(w.sim.Messages()); n != 0 {
		t.Errorf("%d group posts, want 0", n)
	}
}
