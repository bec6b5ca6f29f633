package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zaptest"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/jobs"
	"github.com/botd/botd/internal/state/statetest"
)

// /metrics tells how much work waits in the shared queues: nothing before
// the first job, then the pending and scheduled jobs of each queue.
func TestQueueDepthMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	q := jobs.New(statetest.Client(t), jobs.Config{Metrics: reg}, zaptest.NewLogger(t))
	// gauge reads botd_job_queue_tasks{queue, state}, or with state ""
	// botd_job_queue_read_ok{queue}.
	gauge := func(queue, state string) float64 {
		t.Helper()
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if want := "botd_job_queue_tasks"; state == "" && mf.GetName() != "botd_job_queue_read_ok" ||
				state != "" && mf.GetName() != want {
				continue
			}
			for _, m := range mf.GetMetric() {
				labels := map[string]string{}
				for _, l := range m.GetLabel() {
					labels[l.GetName()] = l.GetValue()
				}
				if labels["queue"] == queue && labels["state"] == state {
					return m.GetGauge().GetValue()
				}
			}
		}
		t.Fatalf("no queue metric for queue=%q state=%q", queue, state)
		return 0
	}
	if n := gauge("interactive", "pending"); n != 0 {
		t.Fatalf("pending before any job: %v", n)
	}
	if n := gauge("interactive", "") + gauge("bulk", ""); n != 2 {
		t.Fatalf("queues read %v, want interactive and bulk", n)
	}

	// Not started: what is enqueued stays where it is.
	ctx := context.Background()
	for _, id := range []string{"itx_a", "itx_b"} {
		if err := q.Enqueue(ctx, flows.JobSendForm, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.EnqueueAfter(ctx, flows.JobFinish, "itx_c", time.Hour); err != nil {
		t.Fatal(err)
	}
	if n := gauge("interactive", "pending"); n != 2 {
		t.Errorf("interactive pending = %v, want 2", n)
	}
	if n := gauge("interactive", "scheduled"); n != 1 {
		t.Errorf("interactive scheduled = %v, want 1", n)
	}
	if n := gauge("bulk", "pending"); n != 0 {
		t.Errorf("bulk pending = %v, want 0", n)
	}
}
