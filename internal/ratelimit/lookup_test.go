package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/botd/botd/internal/ephemeral"
	"github.com/botd/botd/internal/state"
	"github.com/botd/botd/internal/state/statetest"
)

// Lookups count against their own API's app tier: over it, Do hands back a
// WaitError and the lookup is not made.
func TestDoPacesLookups(t *testing.T) {
	rdb := statetest.Client(t)
	l := newLimiter(t, rdb, Limits{AppPerMinute: 2}, Options{})
	ctx := context.Background()
	calls := 0
	lookup := func(context.Context) error { calls++; return nil }
	for range 2 {
		if err := l.Do(ctx, l.Limits().ChatMembers(), lookup); err != nil {
			t.Fatal(err)
		}
	}
	err := l.Do(ctx, l.Limits().ChatMembers(), lookup)
	if we, ok := errors.AsType[*WaitError](err); !ok || we.API != APIChatMembers {
		t.Fatalf("third lookup: %v, want a WaitError on %s", err, APIChatMembers)
	}
	if calls != 2 {
		t.Fatalf("%d lookups made, want 2", calls)
	}
	// Chat info has its own counters.
	if err := l.Do(ctx, l.Limits().ChatGet(), lookup); err != nil {
		t.Fatalf("GET chat paced with the member list: %v", err)
	}
	if n := rdb.ZCard(ctx, AppKey(state.KeyPrefix(rdb), APIChatMembers)).Val(); n != 2 {
		t.Errorf("member list log holds %d, want 2", n)
	}
	if n := rdb.ZCard(ctx, AppKey(state.KeyPrefix(rdb), APIChatGet)).Val(); n != 1 {
		t.Errorf("chat log holds %d, want 1", n)
	}
}

// A 429 on a lookup pauses that API for every replica; the error comes back.
func TestDoHonoursRateLimitError(t *testing.T) {
	rdb := statetest.Client(t)
	one := newLimiter(t, rdb, Limits{}, Options{})
	two := newLimiter(t, rdb, Limits{}, Options{})
	ctx := context.Background()
	limited := &ephemeral.APIError{Op: "chat.get", HTTPStatus: 429, Code: 99991400, RetryAfter: 3 * time.Second}
	err := one.Do(ctx, one.Limits().ChatGet(), func(context.Context) error { return limited })
	if !errors.Is(err, limited) {
		t.Fatalf("Do = %v, want the platform's error", err)
	}
	called := false
	err = two.Do(ctx, two.Limits().ChatGet(), func(context.Context) error { called = true; return nil })
	if we, ok := errors.AsType[*WaitError](err); !ok || we.Rule != rulePause || called {
		t.Fatalf("next lookup on another replica: %v (called %v), want a WaitError for the pause", err, called)
	}
}

// A store app's "no app_ticket yet" asks its job to wait, not the API: it
// pauses nothing.
func TestDoDoesNotPauseForAMissingAppTicket(t *testing.T) {
	rdb := statetest.Client(t)
	l := newLimiter(t, rdb, Limits{}, Options{})
	ctx := context.Background()
	err := l.Do(ctx, l.Limits().ChatGet(), func(context.Context) error { return fmt.Errorf("chat.get: %w", ephemeral.ErrNoAppTicket) })
	if !errors.Is(err, ephemeral.ErrNoAppTicket) {
		t.Fatalf("Do = %v, want the missing ticket", err)
	}
	called := false
	if err := l.Do(ctx, l.Limits().ChatGet(), func(context.Context) error { called = true; return nil }); err != nil || !called {
		t.Fatalf("next lookup: %v (called %v), want it made", err, called)
	}
}

// Off, or no limiter: Do just runs the lookup.
func TestDoOff(t *testing.T) {
	var nilLimiter *Limiter
	for _, l := range []*Limiter{nilLimiter, newLimiter(t, nil, Limits{Off: true}, Options{})} {
		ran := false
		if err := l.Do(context.Background(), l.Limits().ChatGet(), func(context.Context) error { ran = true; return nil }); err != nil || !ran {
			t.Fatalf("Do = %v, ran %v", err, ran)
		}
	}
}
