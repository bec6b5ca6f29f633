package proctest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/botd/botd/internal/feishusim"
)

// recoveryBound is how long after its last start botd may take to finish
// work that was in flight when a process was killed. A job whose worker
// died is put back in its queue by the orphan scan once its heartbeat is
// OrphanAfter (10 s) old (internal/jobs/orphans.go); redelivered events wait
// for their webhook claim's 10 s lease. On a 2-core machine the work settles
// within about 20 s of the last start (docs/benchmarks.md); 45 s leaves room
// for -race and a loaded CI machine, and still fails if recovery falls back
// to asynq's own (its lease of 30 s, another 30 s of allowed skew, a poll
// every minute: 60 to 150 s).
const recoveryBound = 45 * time.Second

// Crash test: ~60 flows driven against one botd while it is SIGKILLed at
// random moments and started again at once, as a supervisor would. The
// platform redelivers the events botd did not acknowledge, and members click
// again when a click failed. In the end every command has its form, every
// submitted form exactly one group post and one delete, every cancelled form
// one delete and no post, and nothing happened twice (see checkRecord).
func TestCrashRecovery(t *testing.T) {
	w := newWorld(t, worldOpts{chats: 3, users: 5})
	// The real Open API takes tens to hundreds of milliseconds. With that
	// latency a job is in flight most of the time, so a kill often lands in
	// the middle of one: the case that needs the outbox and the recovery.
	w.sim.SetFault(func(*http.Request) *feishusim.Fault {
		return &feishusim.Fault{Delay: randBetween(50*time.Millisecond, 250*time.Millisecond)}
	})
	p := w.start("botd")
	flows := plan(w, "crash", 60, 6)
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()

	// Four senders spread their commands over ~8 s, about the span of the
	// kills, so that every kill lands in the middle of the traffic.
	d := &driver{sim: w.sim, events: w.platform(p, p), clicks: w.platform(p, p),
		senders: 4, clickers: 4, gap: time.Second, think: 300 * time.Millisecond,
		patience: 30 * time.Second}
	members, giveUp := context.WithCancel(ctx)
	defer giveUp()
	driven := make(chan struct{})
	go func() {
		defer close(driven)
		d.run(members, t, flows)
	}()

	lastStart, kills, killed := time.Now(), 4, 0
	for i := range kills {
		if !sleep(ctx, randBetween(500*time.Millisecond, 3*time.Second)) {
			break
		}
		p.Kill()
		if err := p.Start(); err != nil {
			t.Errorf("restart after kill %d: %v", i+1, err)
			break
		}
		lastStart, killed = time.Now(), killed+1
		t.Logf("kill %d of %d: botd killed and started again", i+1, kills)
	}
	settleBy := lastStart.Add(recoveryBound)

	// The members wait for their forms until the recovery bound, no longer.
	select {
	case <-driven:
	case <-time.After(time.Until(settleBy)):
		giveUp()
		<-driven
	}
	if err := w.waitSettled(ctx, flows, settleBy); err != nil {
		t.Error(err)
	}
	w.checkExactlyOnce(ctx, flows, true)
	w.checkNoJobsGivenUp(t)
	t.Logf("%d flows (%d submitted), %d kills; redeliveries %d, clicks repeated %d; settled %s after the last start",
		len(flows), submitted(flows), killed, d.redeliveries.Load(), d.reclicks.Load(), time.Since(lastStart).Round(time.Millisecond))
}
