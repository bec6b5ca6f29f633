package schedule

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/botd/botd/internal/state"
	"github.com/botd/botd/internal/state/statetest"
	"github.com/botd/botd/internal/tenant"
)

type permanentErr struct{}

func (permanentErr) Error() string   { return "no flow claims it" }
func (permanentErr) Retryable() bool { return false }

// fakeClock is botd's clock in these tests: it moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// The scheduler enqueues what is due by botd's clock, not the wall clock,
// removes what it enqueued, keeps what failed for a retry and drops what
// can never run.
func TestTickFollowsTheClock(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{now: time.Date(2024, 11, 14, 8, 0, 0, 0, time.UTC)}
	store := state.New(statetest.Client(t), time.Hour, clock.Now)
	var mu sync.Mutex
	var got []string
	failOnce := map[string]bool{"rem:b:2": true}
	enqueue := func(_ context.Context, m string) error {
		mu.Lock()
		defer mu.Unlock()
		if m == "bogus:1" {
			return fmt.Errorf("wrapped: %w", permanentErr{})
		}
		if failOnce[m] {
			delete(failOnce, m)
			return errors.New("redis hiccup")
		}
		got = append(got, m)
		return nil
	}
	s := New(store, enqueue, Config{Now: clock.Now, Batch: 2, Metrics: NewMetrics(nil)}, zaptest.NewLogger(t))
	base := clock.Now()
	for m, after := range map[string]time.Duration{"rem:a:1": time.Minute, "rem:b:2": time.Minute, "rem:c:3": time.Minute,
		"bogus:1": time.Minute, "rem:later:4": time.Hour} {
		if err := store.Schedule(ctx, m, base.Add(after)); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.Tick(ctx); err != nil || n != 0 {
		t.Fatalf("before anything is due: %d, %v", n, err)
	}
	clock.Advance(2 * time.Minute)
	if _, err := s.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Tick(ctx); err != nil { // the failed one again
		t.Fatal(err)
	}
	mu.Lock()
	if fmt.Sprint(len(got)) != "3" {
		t.Fatalf("enqueued %v, want rem:a, rem:b, rem:c once each", got)
	}
	mu.Unlock()
	left, _ := store.Due(ctx, base.Add(48*time.Hour), 10)
	if fmt.Sprint(left) != "[rem:later:4]" {
		t.Fatalf("due set left %v, want only the later one", left)
	}
}

// Start, Nudge and Stop: a nudged scheduler does not wait for its tick.
func TestLoopNudgeAndStop(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{now: time.Now()}
	store := state.New(statetest.Client(t), time.Hour, clock.Now)
	fired := make(chan string, 1)
	s := New(store, func(_ context.Context, m string) error { fired <- m; return nil },
		Config{Now: clock.Now, Interval: time.Hour}, zaptest.NewLogger(t))
	s.Start()
	defer s.Stop()
	if err := store.Schedule(ctx, "rem:x:1", clock.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	s.Nudge()
	select {
	case m := <-fired:
		if m != "rem:x:1" {
			t.Fatalf("fired %s", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a nudge did not read the due set")
	}
}

// A store app's due set holds both tenants' occurrence of the same
// member: each is enqueued once, with its own tenant in the context, and
// each is unscheduled in its tenant's name only.
func TestTickRestoresTheTenant(t *testing.T) {
	clock := &fakeClock{now: time.Date(2024, 11, 14, 8, 0, 0, 0, time.UTC)}
	store := state.New(statetest.Client(t), time.Hour, clock.Now, state.WithTenants(true))
	var mu sync.Mutex
	got := map[string]int{}
	enqueue := func(ctx context.Context, m string) error {
		key, ok := tenant.From(ctx)
		if !ok {
			return errors.New("no tenant")
		}
		mu.Lock()
		defer mu.Unlock()
		got[key+" "+m]++
		return nil
	}
	s := New(store, enqueue, Config{Now: clock.Now, Metrics: NewMetrics(nil)}, zaptest.NewLogger(t))
	for _, key := range []string{"tenant_a", "tenant_b"} {
		ctx := tenant.With(context.Background(), key)
		if err := store.Schedule(ctx, "rem:r_1:1", clock.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := store.Schedule(ctx, "rem:r_2:1", clock.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(2 * time.Minute)
	if n, err := s.Tick(context.Background()); err != nil || n != 2 {
		t.Fatalf("tick: %d, %v", n, err)
	}
	if len(got) != 2 || got["tenant_a rem:r_1:1"] != 1 || got["tenant_b rem:r_1:1"] != 1 {
		t.Fatalf("enqueued %v; want each tenant's occurrence once, in its tenant", got)
	}
	left, _ := store.Due(context.Background(), clock.Now().Add(48*time.Hour), 10)
	slices.Sort(left)
	if !slices.Equal(left, []string{"tenant_a/rem:r_2:1", "tenant_b/rem:r_2:1"}) {
		t.Fatalf("due set left %v; want both tenants' later occurrence", left)
	}
}
