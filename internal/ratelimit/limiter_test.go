package ratelimit

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/state"
	"github.com/botd/botd/internal/state/statetest"
)

// The tests below run on the Redis server's clock (Options.Now is nil).

func TestWaitSleepsForShortWaits(t *testing.T) {
	l := newLimiter(t, nil, Limits{AppPerSecond: 2}, Options{})
	ctx := context.Background()
	start := time.Now()
	for range 3 {
		if err := l.Wait(ctx, l.Limits().EphemeralDelete()); err != nil {
			t.Fatal(err)
		}
	}
	// The third waits for the first to leave the 1.05 s window.
	if took := time.Since(start); took < time.Second || took > 3*time.Second {
		t.Errorf("three calls at 2/s took %v, want about 1.05 s", took)
	}
}

func TestWaitErrorBeyondMaxWait(t *testing.T) {
	rdb := statetest.Client(t)
	reg := prometheus.NewRegistry()
	l := newLimiter(t, rdb, Limits{AppPerMinute: 2}, Options{Registerer: reg})
	ctx := context.Background()
	call := l.Limits().EphemeralDelete()
	for range 2 {
		if err := l.Wait(ctx, call); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	err := l.Wait(flows.WithPriority(ctx, flows.PriorityBulk), call)
	if took := time.Since(start); took > time.Second {
		t.Errorf("WaitError took %v: the limiter slept instead of handing back", took)
	}
	we, ok := errors.AsType[*WaitError](err)
	if !ok {
		t.Fatalf("err = %v, want a *WaitError", err)
	}
	if we.After < 55*time.Second || we.After > time.Minute+time.Second || we.Rule != "app per minute" || we.API != APIEphemeralDelete {
		t.Errorf("WaitError = %+v, want about a minute on app per minute", we)
	}
	// What the job queue looks for, through wrapping.
	var sorted interface {
		Retryable() bool
		RetryDelay() time.Duration
		Paced() bool
	}
	if !errors.As(errors.Join(errors.New("job"), err), &sorted) || !sorted.Retryable() || !sorted.Paced() || sorted.RetryDelay() != we.After {
		t.Errorf("WaitError does not sort as a paced retry: %v", err)
	}
	// Nothing was counted for the refused call.
	if n := rdb.ZCard(ctx, AppKey(state.KeyPrefix(rdb), APIEphemeralDelete)).Val(); n != 2 {
		t.Errorf("app log holds %d entries, want 2", n)
	}
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			got[f.GetName()] += m.GetCounter().GetValue() + float64(m.GetHistogram().GetSampleCount())
		}
	}
	if got["botd_ratelimit_deferred_total"] != 1 || got["botd_ratelimit_wait_seconds"] != 2 {
		t.Errorf("metrics = %v, want 1 deferred and 2 waits observed", got)
	}
}

func TestWaitHonoursContext(t *testing.T) {
	l := newLimiter(t, nil, Limits{AppPerSecond: 1, MaxWait: 10 * time.Second}, Options{})
	call := l.Limits().EphemeralDelete()
	if err := l.Wait(context.Background(), call); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := l.Wait(ctx, call)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's deadline", err)
	}
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Errorf("Wait returned %v after the deadline", took)
	}
}

func TestOffAndNil(t *testing.T) {
	off, err := New(nil, Limits{Off: true}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var none *Limiter
	for name, l := range map[string]*Limiter{"off": off, "nil": none} {
		call := l.Limits().EphemeralSend("oc_a")
		for range 100 {
			if err := l.Wait(context.Background(), call); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		if err := l.Pause(context.Background(), APIEphemeralSend, time.Minute); err != nil {
			t.Fatalf("%s: pause: %v", name, err)
		}
	}
}

func TestNewRejectsBadLimits(t *testing.T) {
	rdb := statetest.Client(t)
	for _, lim := range []Limits{
		{BulkShare: 1.5},
		{AppPerSecond: -1},
		{Margin: -time.Second},
	} {
		if _, err := New(rdb, lim, Options{}); err == nil {
			t.Errorf("New(%+v) accepted", lim)
		}
	}
	if _, err := New(nil, Limits{}, Options{}); err == nil {
		t.Error("New without a Redis client accepted")
	}
}

// Two replicas share one Redis: together they admit no more than one would.
func TestReplicasShareTheLimit(t *testing.T) {
	rdb := statetest.Client(t)
	lim := Limits{AppPerSecond: 7, MessagesPerChat: 50}
	replicas := []*Limiter{newLimiter(t, rdb, lim, Options{}), newLimiter(t, rdb, lim, Options{})}
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			l := replicas[i%2]
			d, err := l.Allow(context.Background(), l.Limits().MessageToChat("oc_a"))
			if err != nil {
				t.Error(err)
				return
			}
			if d.Allowed {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	// The 40 attempts take far less than the 1.05 s window.
	if n := allowed.Load(); n != 7 {
		t.Errorf("two replicas admitted %d calls, want 7", n)
	}
}

// BenchmarkAllow measures one admission: a script run over three rules.
func BenchmarkAllow(b *testing.B) {
	l := newLimiter(b, nil, Limits{EphemeralPerChat: 1 << 30, AppPerSecond: 1 << 30, AppPerMinute: 1 << 30}, Options{})
	ctx := context.Background()
	call := l.Limits().EphemeralSend("oc_bench")
	for b.Loop() {
		d, err := l.Allow(ctx, call)
		if err != nil || !d.Allowed {
			b.Fatal(d, err)
		}
	}
}

// Waiters in line behind the head also give up after MaxWait, without
// holding their workers for the head's whole wait.
func TestWaitersInLineHandBack(t *testing.T) {
	l := newLimiter(t, nil, Limits{AppPerSecond: 1, MaxWait: 300 * time.Millisecond}, Options{})
	call := l.Limits().EphemeralDelete()
	var ok, deferred atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			err := l.Wait(context.Background(), call)
			if _, paced := errors.AsType[*WaitError](err); paced {
				deferred.Add(1)
			} else if err == nil {
				ok.Add(1)
			} else {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 || deferred.Load() != 7 {
		t.Errorf("%d admitted and %d handed back, want 1 and 7", ok.Load(), deferred.Load())
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("took %v, want the waiters handed back within MaxWait", took)
	}
	if n := len(l.queues.lines); n != 0 {
		t.Errorf("%d lines left behind", n)
	}
}
