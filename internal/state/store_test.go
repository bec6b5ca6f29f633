package state_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/state"
	"github.com/botd/botd/internal/state/statetest"
)

func newInteraction(id string) *flows.Interaction {
	return &flows.Interaction{
		ID: id, Flow: "todo", TenantKey: "tk", ChatID: "oc_1", UserID: "ou_1",
		Status: flows.StatusPending, Form: map[string]string{"title": "Buy milk"},
	}
}

func TestCreateLoadUpdate(t *testing.T) {
	ctx := context.Background()
	s := state.New(statetest.Client(t), time.Hour, nil)

	it := newInteraction("itx_a")
	if err := s.CreateInteraction(ctx, it); err != nil {
		t.Fatal(err)
	}
	if it.Version != 1 || it.CreatedAt.IsZero() {
		t.Fatalf("after create: version %d, created %v", it.Version, it.CreatedAt)
	}
	if err := s.CreateInteraction(ctx, newInteraction("itx_a")); !errors.Is(err, flows.ErrExists) {
		t.Fatalf("second create: %v, want ErrExists", err)
	}

	got, err := s.Interaction(ctx, "itx_a")
	if err != nil {
		t.Fatal(err)
	}
	if got.Form["title"] != "Buy milk" || got.Version != 1 || got.Status != flows.StatusPending {
		t.Fatalf("loaded %+v", got)
	}

	got.Status = flows.StatusSubmitted
	if err := s.UpdateInteraction(ctx, got); err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 {
		t.Fatalf("version after update = %d, want 2", got.Version)
	}
	// A writer still holding version 1 must lose.
	stale := *it
	stale.Status = flows.StatusCancelled
	if err := s.UpdateInteraction(ctx, &stale); !errors.Is(err, flows.ErrConflict) {
		t.Fatalf("stale update: %v, want ErrConflict", err)
	}
	again, _ := s.Interaction(ctx, "itx_a")
	if again.Status != flows.StatusSubmitted || again.Version != 2 {
		t.Fatalf("stale update changed state: %+v", again)
	}

	if _, err := s.Interaction(ctx, "itx_missing"); !errors.Is(err, flows.ErrNotFound) {
		t.Fatalf("missing: %v, want ErrNotFound", err)
	}
	if err := s.UpdateInteraction(ctx, newInteraction("itx_missing")); !errors.Is(err, flows.ErrNotFound) {
		t.Fatalf("update missing: %v, want ErrNotFound", err)
	}
}

// Many writers race from the same version: exactly one may win.
func TestUpdateIsCompareAndSet(t *testing.T) {
	ctx := context.Background()
	s := state.New(statetest.Client(t), time.Hour, nil)
	if err := s.CreateInteraction(ctx, newInteraction("itx_race")); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			it, err := s.Interaction(ctx, "itx_race")
			if err != nil {
				t.Error(err)
				return
			}
			it.Version = 1 // everyone read version 1
			it.Status = flows.StatusSubmitted
			err = s.UpdateInteraction(ctx, it)
			switch {
			case err == nil:
				mu.Lock()
				wins++
				mu.Unlock()
			case !errors.Is(err, flows.ErrConflict):
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d writers won, want 1", wins)
	}
}

func TestClaimRelease(t *testing.T) {
	ctx := context.Background()
	s := state.New(statetest.Client(t), time.Hour, nil)
	if taken, _, err := s.Claim(ctx, time.Hour, "event:e1", "message:m1"); err != nil || taken != "" {
		t.Fatalf("first claim: %q %v", taken, err)
	}
	// Taken while still being handled (a lease): not handled yet.
	if taken, handled, err := s.Claim(ctx, time.Hour, "event:e1"); err != nil || taken != "event:e1" || handled {
		t.Fatalf("second claim: %q handled=%v %v, want event:e1 taken, not handled", taken, handled, err)
	}
	// All or none: a new event id for a message already claimed takes nothing.
	if taken, _, _ := s.Claim(ctx, time.Hour, "event:e2", "message:m1"); taken != "message:m1" {
		t.Fatalf("claim with a taken message: %q", taken)
	}
	if taken, _, _ := s.Claim(ctx, time.Hour, "event:e2"); taken != "" {
		t.Fatalf("event:e2 was left claimed by a refused claim: %q", taken)
	}
	// Kept: handled.
	if err := s.Keep(ctx, time.Hour, "event:e1", "message:m1"); err != nil {
		t.Fatal(err)
	}
	if taken, handled, _ := s.Claim(ctx, time.Hour, "event:e1"); taken != "event:e1" || !handled {
		t.Fatalf("claim after keep: %q handled=%v, want handled", taken, handled)
	}
	if err := s.Release(ctx, "event:e1", "message:m1"); err != nil {
		t.Fatal(err)
	}
	if taken, _, err := s.Claim(ctx, time.Hour, "event:e1", "message:m1"); err != nil || taken != "" {
		t.Fatalf("claim after release: %q %v", taken, err)
	}
}

func TestCache(t *testing.T) {
	ctx := context.Background()
	c := state.NewCache(statetest.Client(t))
	if v, err := c.Get(ctx, "k"); err != nil || v != "" {
		t.Fatalf("miss: %q %v", v, err)
	}
	if err := c.Set(ctx, "k", "t-1", time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, _ := c.Get(ctx, "k"); v != "t-1" {
		t.Fatalf("hit: %q", v)
	}
	if err := c.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if v, _ := c.Get(ctx, "k"); v != "" {
		t.Fatalf("after delete: %q", v)
	}
}

func TestOutbox(t *testing.T) {
	ctx := context.Background()
	rdb := statetest.Client(t)
	s := state.New(rdb, time.Hour, nil)

	// First run: nothing known; it completes.
	e, err := s.Begin(ctx, "itx_o", "send_form")
	if err != nil || e.State != flows.OutboxNone {
		t.Fatalf("first begin: %+v %v", e, err)
	}
	if err := s.Complete(ctx, "itx_o", "send_form", "om_1"); err != nil {
		t.Fatal(err)
	}
	e, _ = s.Begin(ctx, "itx_o", "send_form")
	if e.State != flows.OutboxDone || e.Result != "om_1" {
		t.Fatalf("after complete: %+v", e)
	}

	// A run that started and vanished (crash) is reported as started and
	// flagged ambiguous; an aborted one is not.
	if e, _ = s.Begin(ctx, "itx_o", "post_final"); e.State != flows.OutboxNone {
		t.Fatalf("post begin: %+v", e)
	}
	if e, _ = s.Begin(ctx, "itx_o", "post_final"); e.State != flows.OutboxStarted {
		t.Fatalf("restarted effect: %+v, want started", e)
	}
	if _, err := s.Begin(ctx, "itx_o", "delete:om_1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Abort(ctx, "itx_o", "delete:om_1"); err != nil {
		t.Fatal(err)
	}
	if e, _ = s.Begin(ctx, "itx_o", "delete:om_1"); e.State != flows.OutboxNone {
		t.Fatalf("after abort: %+v, want none", e)
	}
	amb, err := rdb.ZRange(ctx, statetest.Key(rdb, state.AmbiguousKey), 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(amb) != 1 || amb[0] != "post_final:itx_o" {
		t.Fatalf("ambiguous = %v, want [post_final:itx_o]", amb)
	}

	// FlagIfStarted flags only an effect left started.
	if ok, err := s.FlagIfStarted(ctx, "itx_o", "send_form"); err != nil || ok {
		t.Fatalf("flag a done effect: %v %v, want false", ok, err)
	}
	if ok, _ := s.FlagIfStarted(ctx, "itx_o", "never_started"); ok {
		t.Fatal("flagged an effect never started")
	}
	if _, err := s.Begin(ctx, "itx_p", "send_form"); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.FlagIfStarted(ctx, "itx_p", "send_form"); err != nil || !ok {
		t.Fatalf("flag a started effect: %v %v, want true", ok, err)
	}
	if n, _ := rdb.ZCard(ctx, statetest.Key(rdb, state.AmbiguousKey)).Result(); n != 2 {
		t.Fatalf("ambiguous has %d members, want 2", n)
	}
}
