package jobs_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/jobs"
	"github.com/botd/botd/internal/jobs/retry"
	"github.com/botd/botd/internal/state/statetest"
	"github.com/botd/botd/internal/tenant"
)

// A store app's jobs carry their tenant and run with it; the same job id
// in two tenants is two jobs, and a job without a tenant is refused.
func TestJobsCarryTheirTenant(t *testing.T) {
	q := jobs.New(statetest.Client(t), jobs.Config{Tenants: true}, zaptest.NewLogger(t))
	var mu sync.Mutex
	ran := map[string]int{}
	done := make(chan struct{}, 10)
	if err := q.Start(runnerFunc(func(ctx context.Context, kind flows.JobKind, id string) error {
		key, _ := tenant.From(ctx)
		mu.Lock()
		ran[key+" "+string(kind)+":"+id]++
		mu.Unlock()
		done <- struct{}{}
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	stopAtEnd(t, q)
	for _, key := range []string{"tenant_a", "tenant_b"} {
		ctx := tenant.With(context.Background(), key)
		for range 2 { // a second enqueue of one tenant's job while queued is a no-op
			if err := q.Enqueue(ctx, flows.JobFinish, "itx_same"); err != nil {
				t.Fatal(err)
			}
		}
	}
	for range 2 {
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("jobs ran: %v", ran)
		}
	}
	time.Sleep(300 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if len(ran) != 2 || ran["tenant_a finish:itx_same"] != 1 || ran["tenant_b finish:itx_same"] != 1 {
		t.Fatalf("ran %v; want each tenant's job once, with its tenant", ran)
	}
	err := q.Enqueue(context.Background(), flows.JobFinish, "itx_none")
	if !errors.Is(err, tenant.ErrMissing) {
		t.Fatalf("enqueue without a tenant: %v; want tenant.ErrMissing", err)
	}
	if retry.Retryable(err) {
		t.Fatal("enqueue without a tenant: the error should say no retry helps")
	}
}

// noTicket is the platform's "no app_ticket yet" (ephemeral.ErrNoAppTicket):
// a job waits for it, however long, without using up its retries.
type noTicket struct{}

func (noTicket) Error() string             { return "no app_ticket yet" }
func (noTicket) Retryable() bool           { return true }
func (noTicket) Deferred() bool            { return true }
func (noTicket) RetryDelay() time.Duration { return 10 * time.Millisecond }

// A job that waits for the app_ticket is deferred, not failed: far more
// attempts than its MaxRetry (send_form: 8) still end in success, and
// nothing is abandoned.
func TestJobsWaitForTheAppTicket(t *testing.T) {
	q := jobs.New(statetest.Client(t), jobs.Config{RetryPollInterval: 20 * time.Millisecond, Tenants: true}, zaptest.NewLogger(t))
	r := newRecorder()
	key := "send_form:itx_ticket"
	r.failures[key], r.failLeft[key] = noTicket{}, 15
	if err := q.Start(r); err != nil {
		t.Fatal(err)
	}
	stopAtEnd(t, q)
	if err := q.Enqueue(tenant.With(context.Background(), "tenant_a"), flows.JobSendForm, "itx_ticket"); err != nil {
		t.Fatal(err)
	}
	wait(t, r, key, 16)
	if n := r.abandoned(key); n != 0 {
		t.Fatalf("abandoned %d times while waiting for the ticket", n)
	}
}
