package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap/zaptest"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/jobs"
	"github.com/botd/botd/internal/state"
	"github.com/botd/botd/internal/state/statetest"
)

// interactiveQ is the interactive queue of a queue on rdb (under its key
// prefix on a cluster, see jobs.New).
func interactiveQ(rdb redis.UniversalClient) string { return state.KeyPrefix(rdb) + "botd:interactive" }

// orphan leaves task id of the interactive queue as a SIGKILLed worker
// does: active, with the lease its last heartbeat wrote lastBeat ago, and
// nobody to extend it. These are asynq v0.26's keys (internal/base); if an
// upgrade moves them, these tests fail rather than the scan silently
// finding nothing.
func orphan(t *testing.T, rdb redis.UniversalClient, id string, lastBeat time.Duration) {
	t.Helper()
	ctx := context.Background()
	k := func(s string) string { return "asynq:{" + interactiveQ(rdb) + "}:" + s }
	if n, err := rdb.LRem(ctx, k("pending"), 0, id).Result(); err != nil || n != 1 {
		t.Fatalf("take %s from pending: %d %v", id, n, err)
	}
	_, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.LPush(ctx, k("active"), id)
		p.ZAdd(ctx, k("lease"), redis.Z{Member: id, Score: float64(time.Now().Add(-lastBeat).Add(30 * time.Second).Unix())})
		p.HSet(ctx, k("t:"+id), "state", "active")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func taskState(t *testing.T, rdb redis.UniversalClient, id string) string {
	t.Helper()
	s, err := rdb.HGet(context.Background(), "asynq:{"+interactiveQ(rdb)+"}:t:"+id, "state").Result()
	if err != nil && err != redis.Nil {
		t.Fatal(err)
	}
	return s
}

// A job whose process died mid-run is run again by a live replica within
// seconds of the dead worker's last heartbeat, not after asynq's lease and
// recovery poll (30 s + 30 s, polled every minute): without the orphan scan
// this test times out.
func TestOrphanedJobResumesWithinSeconds(t *testing.T) {
	rdb := statetest.Client(t)
	reg := prometheus.NewRegistry()
	q := jobs.New(rdb, jobs.Config{OrphanAfter: 8 * time.Second, Metrics: reg}, zaptest.NewLogger(t))
	ctx := context.Background()
	for _, id := range []string{"itx_died_now", "itx_died_before"} {
		if err := q.Enqueue(ctx, flows.JobFinish, id); err != nil {
			t.Fatal(err)
		}
	}
	orphan(t, rdb, "finish:itx_died_now", 0)
	orphan(t, rdb, "finish:itx_died_before", 20*time.Second)

	r := newRecorder()
	start := time.Now()
	if err := q.Start(r); err != nil {
		t.Fatal(err)
	}
	stopAtEnd(t, q)
	// Died 20 s ago: resumed by the scan at start.
	wait(t, r, "finish:itx_died_before", 1)
	// Died just now: resumed once its heartbeat is 8 s old (the asynq
	// recoverer alone would take 60 s or more). 25 s leaves room for -race.
	deadline := time.After(25 * time.Second)
	for r.count("finish:itx_died_now") < 1 {
		select {
		case <-r.done:
		case <-deadline:
			t.Fatalf("orphan not resumed within 25 s (state %q)", taskState(t, rdb, "finish:itx_died_now"))
		}
	}
	if took := time.Since(start); took < 6*time.Second {
		t.Errorf("a job whose worker beat %s ago was taken for orphaned; OrphanAfter is 8 s", took)
	}
	time.Sleep(500 * time.Millisecond)
	for _, key := range []string{"finish:itx_died_now", "finish:itx_died_before"} {
		if n := r.count(key); n != 1 {
			t.Errorf("%s ran %d times, want 1", key, n)
		}
	}
	if resumed, ages := gathered(t, reg); resumed != 2 || ages != 2 {
		t.Errorf("botd_orphans_resumed_total{job=finish} = %v, botd_orphan_age_seconds count %d; want 2 and 2", resumed, ages)
	}
}

// gathered returns botd_orphans_resumed_total{job="finish"} and the
// sample count of botd_orphan_age_seconds from reg.
func gathered(t *testing.T, reg *prometheus.Registry) (resumed float64, ages uint64) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			switch mf.GetName() {
			case "botd_orphans_resumed_total":
				for _, l := range m.GetLabel() {
					if l.GetName() == "job" && l.GetValue() == "finish" {
						resumed = m.GetCounter().GetValue()
					}
				}
			case "botd_orphan_age_seconds":
				ages = m.GetHistogram().GetSampleCount()
			}
		}
	}
	return resumed, ages
}

// Only a job both of whose heartbeats stopped is requeued: asynq's lease
// extension and botd's own lease key. Several scans, as several replicas
// make, requeue it once; one requeued too often is left to asynq.
func TestOrphanScanTellsLiveFromDead(t *testing.T) {
	rdb := statetest.Client(t)
	q := jobs.New(rdb, jobs.Config{OrphanAfter: 8 * time.Second}, zaptest.NewLogger(t))
	ctx := context.Background()
	cases := []struct {
		id        string
		lastBeat  time.Duration
		botdLease bool
		want      string // task state after the scans
	}{
		{"itx_dead", 20 * time.Second, false, "pending"},
		{"itx_beating", 2 * time.Second, false, "active"},   // asynq heartbeat seen
		{"itx_slow_beat", 20 * time.Second, true, "active"}, // botd's lease alive
		{"itx_lapsed", 20 * time.Second, false, "pending"},  // botd's lease ran out
	}
	for _, c := range cases {
		if err := q.Enqueue(ctx, flows.JobFinish, c.id); err != nil {
			t.Fatal(err)
		}
		orphan(t, rdb, "finish:"+c.id, c.lastBeat)
		if c.id == "itx_lapsed" { // a lease whose key outlived its time (no expiry in miniredis)
			if err := rdb.Set(ctx, "botd:jobs:{"+interactiveQ(rdb)+"}:lease:finish:"+c.id, time.Now().Add(-time.Second).UnixMilli(), time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
		}
		if c.botdLease {
			if err := rdb.Set(ctx, "botd:jobs:{"+interactiveQ(rdb)+"}:lease:finish:"+c.id, time.Now().Add(time.Minute).UnixMilli(), time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	total := 0
	for range 3 { // three replicas scanning at once
		n, err := q.ResumeOrphans(ctx)
		if err != nil {
			t.Fatal(err)
		}
		total += n
	}
	if total != 2 {
		t.Errorf("requeued %d, want 2", total)
	}
	for _, c := range cases {
		if got := taskState(t, rdb, "finish:"+c.id); got != c.want {
			t.Errorf("%s: state %q, want %q", c.id, got, c.want)
		}
	}
	if n, _ := rdb.LLen(ctx, "asynq:{"+interactiveQ(rdb)+"}:pending").Result(); n != 2 {
		t.Errorf("pending list holds %d, want 2", n)
	}

	// A job that dies with its process every time: requeued five times,
	// then left to asynq's recoverer, which counts attempts.
	const id = "finish:itx_poison"
	if err := q.Enqueue(ctx, flows.JobFinish, "itx_poison"); err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		orphan(t, rdb, id, 20*time.Second)
		n, err := q.ResumeOrphans(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{true: 1, false: 0}[i < 5]; n != want {
			t.Fatalf("round %d: requeued %d, want %d", i+1, n, want)
		}
		if i == 5 {
			if got := taskState(t, rdb, id); got != "active" {
				t.Errorf("after 5 requeues: state %q, want it left active for asynq", got)
			}
		}
	}
}

// A job that runs longer than OrphanAfter on a live replica is not taken
// for orphaned by another replica's scans: it runs once.
func TestLongLiveJobIsNotResumed(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a job for 12 s")
	}
	rdb := statetest.Client(t)
	worker := jobs.New(rdb, jobs.Config{OrphanAfter: 8 * time.Second}, zaptest.NewLogger(t))
	other := jobs.New(rdb, jobs.Config{OrphanAfter: 8 * time.Second}, zaptest.NewLogger(t))
	r := &slowRunner{recorder: newRecorder(), hold: 12 * time.Second}
	if err := worker.Start(r); err != nil {
		t.Fatal(err)
	}
	stopAtEnd(t, worker)
	ctx := context.Background()
	if err := worker.Enqueue(ctx, flows.JobFinish, "itx_long"); err != nil {
		t.Fatal(err)
	}
	wait(t, r.recorder, "finish:itx_long", 1)
	for end := time.Now().Add(14 * time.Second); time.Now().Before(end); time.Sleep(time.Second) {
		n, err := other.ResumeOrphans(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("a live job was requeued %d times", n)
		}
	}
	if n := r.count("finish:itx_long"); n != 1 {
		t.Errorf("ran %d times, want 1", n)
	}
}

// slowRunner holds every job for hold.
type slowRunner struct {
	*recorder
	hold time.Duration
}

func (s *slowRunner) RunJob(ctx context.Context, kind flows.JobKind, id string) error {
	err := s.recorder.RunJob(ctx, kind, id)
	select {
	case <-time.After(s.hold):
	case <-ctx.Done():
	}
	return err
}
