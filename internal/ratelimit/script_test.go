package ratelimit

import (
	"context"
	"testing"
	"time"

	"github.com/botd/botd/internal/flows"
)

// step is one Allow at a moment of the test clock, and what it must answer.
type step struct {
	at       time.Duration // since the start of the scenario
	bulk     bool
	call     func(Limits) Call
	allowed  bool
	wait     time.Duration // when refused
	rule     string        // when refused
	pauseFor time.Duration // instead of an Allow: Pause the call's API for this long
}

func TestAllowScript(t *testing.T) {
	const m = 50 * time.Millisecond // the default margin: windows are 1.05 s and 60.05 s
	del := func(l Limits) Call { return l.EphemeralDelete() }
	chatA := func(l Limits) Call { return l.MessageToChat("oc_a") }
	chatB := func(l Limits) Call { return l.MessageToChat("oc_b") }
	send := func(l Limits) Call { return l.EphemeralSend("oc_a") }

	tests := []struct {
		name  string
		lim   Limits
		steps []step
	}{
		{
			name: "per second: N allowed, the N+1st waits for the oldest to leave",
			lim:  Limits{AppPerSecond: 3},
			steps: []step{
				{at: 0, call: del, allowed: true},
				{at: 100 * time.Millisecond, call: del, allowed: true},
				{at: 200 * time.Millisecond, call: del, allowed: true},
				{at: 300 * time.Millisecond, call: del, wait: time.Second + m - 300*time.Millisecond, rule: "app per second"},
				{at: time.Second + m - time.Millisecond, call: del, wait: time.Millisecond, rule: "app per second"},
				{at: time.Second + m, call: del, allowed: true},
				// The second entry leaves at 1.15 s.
				{at: time.Second + m + 10*time.Millisecond, call: del, wait: 90 * time.Millisecond, rule: "app per second"},
			},
		},
		{
			name: "per minute binds after the per-second allowance is spread out",
			lim:  Limits{AppPerSecond: 50, AppPerMinute: 3},
			steps: []step{
				{at: 0, call: del, allowed: true},
				{at: 2 * time.Second, call: del, allowed: true},
				{at: 4 * time.Second, call: del, allowed: true},
				{at: 6 * time.Second, call: del, wait: time.Minute + m - 6*time.Second, rule: "app per minute"},
				{at: time.Minute + m, call: del, allowed: true},
			},
		},
		{
			name: "stacked rules consume all or nothing",
			lim:  Limits{MessagesPerChat: 2, AppPerSecond: 3},
			steps: []step{
				{at: 0, call: chatA, allowed: true},
				{at: 0, call: chatA, allowed: true},
				// Chat A is full; the app tier had room but must not be charged.
				{at: 0, call: chatA, wait: time.Second + m, rule: "messages per chat"},
				{at: 0, call: chatA, wait: time.Second + m, rule: "messages per chat"},
				{at: 0, call: chatB, allowed: true},
				// Now the app tier is full too: chat B has room, the app has not.
				{at: 10 * time.Millisecond, call: chatB, wait: time.Second + m - 10*time.Millisecond, rule: "app per second"},
			},
		},
		{
			name: "the longest wait over the blocking rules",
			lim:  Limits{EphemeralPerChat: 2, AppPerMinute: 3},
			steps: []step{
				{at: 0, call: func(l Limits) Call { return l.EphemeralSend("oc_b") }, allowed: true},
				{at: 2 * time.Second, call: send, allowed: true},
				{at: 2500 * time.Millisecond, call: del, allowed: true}, // another API: its own app tier
				{at: 2500 * time.Millisecond, call: send, allowed: true},
				// Chat oc_a has room again at 3.05 s, the app tier of
				// ephemeral.send at 60.05 s.
				{at: 2700 * time.Millisecond, call: send, wait: time.Minute + m - 2700*time.Millisecond, rule: "app per minute"},
				{at: 3100 * time.Millisecond, call: send, wait: time.Minute + m - 3100*time.Millisecond, rule: "app per minute"},
			},
		},
		{
			name: "bulk gets a share of the app tier, interactive all of it",
			lim:  Limits{AppPerSecond: 10, BulkShare: 0.5},
			steps: []step{
				{at: 0, bulk: true, call: del, allowed: true},
				{at: 10 * time.Millisecond, bulk: true, call: del, allowed: true},
				{at: 20 * time.Millisecond, bulk: true, call: del, allowed: true},
				{at: 30 * time.Millisecond, bulk: true, call: del, allowed: true},
				{at: 40 * time.Millisecond, bulk: true, call: del, allowed: true},
				{at: 50 * time.Millisecond, bulk: true, call: del, wait: time.Second + m - 50*time.Millisecond, rule: "app per second"},
				{at: 50 * time.Millisecond, call: del, allowed: true},
				{at: 60 * time.Millisecond, call: del, allowed: true},
				{at: 70 * time.Millisecond, call: del, allowed: true},
				{at: 80 * time.Millisecond, call: del, allowed: true},
				{at: 90 * time.Millisecond, call: del, allowed: true},
				{at: 100 * time.Millisecond, call: del, wait: time.Second + m - 100*time.Millisecond, rule: "app per second"},
				// Ten in the window, bulk may have five: six must leave, the
				// sixth oldest (at 50 ms) last.
				{at: 100 * time.Millisecond, bulk: true, call: del, wait: time.Second + m + 50*time.Millisecond - 100*time.Millisecond, rule: "app per second"},
			},
		},
		{
			name: "a pause holds the API back, not the others",
			lim:  Limits{},
			steps: []step{
				{at: 0, call: send, allowed: true},
				{at: 0, call: send, pauseFor: 3 * time.Second},
				{at: 0, call: send, wait: 3 * time.Second, rule: "pause"},
				{at: 0, call: del, allowed: true},
				// A shorter pause does not shorten the first.
				{at: time.Second, call: send, pauseFor: time.Second},
				{at: 2 * time.Second, call: send, wait: time.Second, rule: "pause"},
				{at: 3 * time.Second, call: send, allowed: true},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			start := clk.Now()
			l := newLimiter(t, nil, tt.lim, Options{Now: clk.Now})
			for i, s := range tt.steps {
				clk.Set(start.Add(s.at))
				ctx := context.Background()
				if s.bulk {
					ctx = flows.WithPriority(ctx, flows.PriorityBulk)
				}
				call := s.call(l.Limits())
				if s.pauseFor > 0 {
					if err := l.Pause(ctx, call.API(), s.pauseFor); err != nil {
						t.Fatalf("step %d: pause: %v", i, err)
					}
					continue
				}
				d, err := l.Allow(ctx, call)
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				want := Decision{Allowed: s.allowed, Wait: s.wait, Rule: s.rule}
				if d != want {
					t.Errorf("step %d (%s at %v): got %+v, want %+v", i, call, s.at, d, want)
				}
			}
		})
	}
}

// A caller that always has work and jumps to the moment it is let through
// gets the whole allowance: N in the first 1.05 s and so on, until the
// minute's allowance is used up, then the next minute's from 60.05 s on.
// The log never holds more than allowed in any second or minute (checked on
// the admissions). The quotas are a tenth of the documented ones, to keep
// the script runs few; the arithmetic is the same.
func TestSustainedLoadGetsTheWholeAllowance(t *testing.T) {
	clk := newClock()
	start := clk.Now()
	l := newLimiter(t, nil, Limits{AppPerSecond: 5, AppPerMinute: 100}, Options{Now: clk.Now})
	ctx := context.Background()
	call := l.Limits().EphemeralDelete()
	var admitted []time.Time
	for now := start; now.Before(start.Add(2 * time.Minute)); {
		clk.Set(now)
		d, err := l.Allow(ctx, call)
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed {
			admitted = append(admitted, now)
			continue
		}
		now = now.Add(d.Wait)
	}
	if n := len(admitted); n != 200 {
		t.Errorf("admitted %d in two minutes, want 200", n)
	}
	for _, w := range []struct {
		span  time.Duration
		limit int
	}{{time.Second, 5}, {time.Minute, 100}} {
		for i, j := 0, 0; j < len(admitted); j++ {
			for admitted[j].Sub(admitted[i]) >= w.span {
				i++
			}
			if j-i+1 > w.limit {
				t.Fatalf("%d admitted within %v ending at %v", j-i+1, w.span, admitted[j].Sub(start))
			}
		}
	}
	// The first 100 take 20 windows of 1.05 s; the 101st waits for the
	// first to leave the minute.
	if got := admitted[99].Sub(start); got != 19*(time.Second+50*time.Millisecond) {
		t.Errorf("the 100th was admitted at %v, want 19.95 s", got)
	}
	if got := admitted[100].Sub(start); got != time.Minute+50*time.Millisecond {
		t.Errorf("the 101st was admitted at %v, want 60.05 s", got)
	}
}
