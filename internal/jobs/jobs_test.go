package jobs_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap/zaptest"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/jobs"
	"github.com/botd/botd/internal/state/statetest"
)

type permanent struct{}

func (permanent) Error() string   { return "bad card" }
func (permanent) Retryable() bool { return false }

// recorder counts runs per job and fails the first failures[key] attempts.
type recorder struct {
	mu       sync.Mutex
	runs     map[string]int
	failures map[string]error
	failLeft map[string]int
	done     chan string
	gaveUp   map[string]int
}

func newRecorder() *recorder {
	return &recorder{runs: map[string]int{}, failures: map[string]error{}, failLeft: map[string]int{},
		done: make(chan string, 100), gaveUp: map[string]int{}}
}

func (r *recorder) RunJob(_ context.Context, kind flows.JobKind, id string) error {
	key := string(kind) + ":" + id
	r.mu.Lock()
	r.runs[key]++
	var err error
	if r.failLeft[key] > 0 {
		r.failLeft[key]--
		err = r.failures[key]
	}
	r.mu.Unlock()
	r.done <- key
	return err
}

func (r *recorder) AbandonJob(_ context.Context, kind flows.JobKind, id string, _ error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gaveUp[string(kind)+":"+id]++
}

func (r *recorder) abandoned(key string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.gaveUp[key]
}

func (r *recorder) count(key string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.runs[key]
}

func wait(t *testing.T, r *recorder, key string, n int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for r.count(key) < n {
		select {
		case <-r.done:
		case <-deadline:
			t.Fatalf("%s ran %d times, want %d", key, r.count(key), n)
		}
	}
}

func TestRunsRetriesAndGivesUp(t *testing.T) {
	q := jobs.New(statetest.Client(t), jobs.Config{}, zaptest.NewLogger(t))
	r := newRecorder()
	r.failures["finish:itx_retry"], r.failLeft["finish:itx_retry"] = errors.New("timeout"), 2
	r.failures["finish:itx_perm"], r.failLeft["finish:itx_perm"] = permanent{}, 5
	if err := q.Start(r); err != nil {
		t.Fatal(err)
	}
	stopAtEnd(t, q)
	ctx := context.Background()

	for _, id := range []string{"itx_ok", "itx_retry", "itx_perm"} {
		if err := q.Enqueue(ctx, flows.JobFinish, id); err != nil {
			t.Fatal(err)
		}
	}
	wait(t, r, "finish:itx_ok", 1)
	wait(t, r, "finish:itx_retry", 3) // two transient failures, then success
	wait(t, r, "finish:itx_perm", 1)

	// A permanent failure is not retried; give a retry time to show up.
	time.Sleep(1500 * time.Millisecond)
	if n := r.count("finish:itx_perm"); n != 1 {
		t.Errorf("permanent failure ran %d times, want 1", n)
	}
	if n := r.count("finish:itx_ok"); n != 1 {
		t.Errorf("successful job ran %d times, want 1", n)
	}
	if n := r.abandoned("finish:itx_perm"); n != 1 {
		t.Errorf("permanent failure abandoned %d times, want 1", n)
	}
	if n := r.abandoned("finish:itx_retry") + r.abandoned("finish:itx_ok"); n != 0 {
		t.Errorf("%d jobs that succeeded were abandoned", n)
	}
}

// Enqueueing the same job twice while it waits runs it once.
func TestEnqueueIsIdempotentWhileQueued(t *testing.T) {
	rdb := statetest.Client(t)
	q := jobs.New(rdb, jobs.Config{}, zaptest.NewLogger(t))
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if err := q.Enqueue(ctx, flows.JobSendForm, "itx_dup"); err != nil {
			t.Fatal(err)
		}
	}
	r := newRecorder()
	if err := q.Start(r); err != nil {
		t.Fatal(err)
	}
	stopAtEnd(t, q)
	wait(t, r, "send_form:itx_dup", 1)
	time.Sleep(300 * time.Millisecond)
	if n := r.count("send_form:itx_dup"); n != 1 {
		t.Fatalf("ran %d times, want 1", n)
	}
}

// stopAtEnd shuts q down when the test ends.
func stopAtEnd(t *testing.T, q *jobs.Queue) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := q.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
}

type deferred struct{ after time.Duration }

func (d deferred) Error() string             { return "paced" }
func (d deferred) Paced() bool               { return true }
func (d deferred) Retryable() bool           { return true }
func (d deferred) RetryDelay() time.Duration { return d.after }

// A job the rate limiter defers runs again at its turn without using up a
// retry: with MaxRetry 8, twenty deferrals still end in success.
func TestDeferredJobsDoNotUseRetries(t *testing.T) {
	q := jobs.New(statetest.Client(t), jobs.Config{RetryPollInterval: 20 * time.Millisecond}, zaptest.NewLogger(t))
	r := newRecorder()
	key := "send_form:itx_paced"
	r.failures[key], r.failLeft[key] = deferred{after: 10 * time.Millisecond}, 20
	if err := q.Start(r); err != nil {
		t.Fatal(err)
	}
	stopAtEnd(t, q)
	if err := q.Enqueue(context.Background(), flows.JobSendForm, "itx_paced"); err != nil {
		t.Fatal(err)
	}
	wait(t, r, key, 21)
}

// Jobs run with the priority of their kind on the context.
func TestJobsCarryPriority(t *testing.T) {
	q := jobs.New(statetest.Client(t), jobs.Config{}, zaptest.NewLogger(t))
	got := make(chan flows.Priority, 1)
	if err := q.Start(runnerFunc(func(ctx context.Context, _ flows.JobKind, _ string) error {
		got <- flows.PriorityFrom(ctx)
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	stopAtEnd(t, q)
	if err := q.Enqueue(context.Background(), flows.JobFinish, "itx_prio"); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-got:
		if p != flows.PriorityInteractive {
			t.Fatalf("priority %v, want interactive", p)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("job did not run")
	}
}

type runnerFunc func(ctx context.Context, kind flows.JobKind, id string) error

func (f runnerFunc) RunJob(ctx context.Context, kind flows.JobKind, id string) error {
	return f(ctx, kind, id)
}

func (runnerFunc) AbandonJob(context.Context, flows.JobKind, string, error) {}

// blocker is a runner whose jobs block until the test ends, ignoring their
// context: a job stuck far longer than any shutdown budget.
type blocker struct {
	started chan string
	release chan struct{}
}

func newBlocker(t *testing.T) *blocker {
	b := &blocker{started: make(chan string, 10), release: make(chan struct{})}
	t.Cleanup(b.unblock)
	return b
}

func (b *blocker) unblock() {
	select {
	case <-b.release:
	default:
		close(b.release)
	}
}

func (b *blocker) RunJob(_ context.Context, _ flows.JobKind, id string) error {
	b.started <- id
	<-b.release
	return nil
}

func (*blocker) AbandonJob(context.Context, flows.JobKind, string, error) {}

func waitStarted(t *testing.T, b *blocker, id string) {
	t.Helper()
	select {
	case got := <-b.started:
		if got != id {
			t.Fatalf("started %q, want %q", got, id)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("job %s did not start", id)
	}
}

// Shutdown returns when its context ends, even with a job stuck far beyond
// the queue's own ShutdownTimeout (here the 10 s default).
func TestShutdownHonoursItsContext(t *testing.T) {
	q := jobs.New(statetest.Client(t), jobs.Config{}, zaptest.NewLogger(t))
	b := newBlocker(t)
	if err := q.Start(b); err != nil {
		t.Fatal(err)
	}
	if err := q.Enqueue(context.Background(), flows.JobFinish, "itx_stuck"); err != nil {
		t.Fatal(err)
	}
	waitStarted(t, b, "itx_stuck")

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	err := q.Shutdown(ctx)
	// Generous margin over the 1 s deadline, well under the 10 s the
	// workers would otherwise wait.
	if took := time.Since(start); took > 6*time.Second {
		t.Errorf("Shutdown took %v with a 1s deadline", took)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want the deadline's error", err)
	}

	// The workers go on stopping in the background; once the job lets go,
	// a second Shutdown sees them stopped (and Redis may close).
	b.unblock()
	wctx, wcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer wcancel()
	if err := q.Shutdown(wctx); err != nil {
		t.Errorf("second Shutdown = %v, want the workers stopped", err)
	}
}

// With a ShutdownTimeout under the caller's deadline, the workers stop in
// time on their own: the stuck job is handed back to the queue, and another
// worker (a replica) runs it.
func TestShutdownHandsStuckJobsBack(t *testing.T) {
	rdb := statetest.Client(t)
	q := jobs.New(rdb, jobs.Config{ShutdownTimeout: time.Second}, zaptest.NewLogger(t))
	b := newBlocker(t)
	if err := q.Start(b); err != nil {
		t.Fatal(err)
	}
	if err := q.Enqueue(context.Background(), flows.JobFinish, "itx_stuck"); err != nil {
		t.Fatal(err)
	}
	waitStarted(t, b, "itx_stuck")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	if err := q.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown = %v, want the workers to stop within their own timeout", err)
	}
	if took := time.Since(start); took > 8*time.Second {
		t.Errorf("Shutdown took %v with ShutdownTimeout 1s", took)
	}

	replica := jobs.New(rdb, jobs.Config{}, zaptest.NewLogger(t))
	r := newRecorder()
	if err := replica.Start(r); err != nil {
		t.Fatal(err)
	}
	stopAtEnd(t, replica)
	wait(t, r, "finish:itx_stuck", 1)
}

// specRunner is a runner that declares its kinds, as the engine does.
type specRunner struct {
	runnerFunc
	specs []flows.JobSpec
}

func (r specRunner) JobSpecs() []flows.JobSpec { return r.specs }

// A kind's policy comes from the spec that declares it: a flow's bulk job
// runs on the bulk queue with its own retries, and a kind nobody declared
// cannot be enqueued (before, it ran with a default policy).
func TestSpecsComeFromTheDeclaringFlow(t *testing.T) {
	q := jobs.New(statetest.Client(t), jobs.Config{}, zaptest.NewLogger(t))
	ctx := context.Background()
	if err := q.Enqueue(ctx, "remind_fire", "rem:x:1"); !errors.Is(err, jobs.ErrUnknownKind) {
		t.Fatalf("enqueue of an undeclared kind = %v, want ErrUnknownKind", err)
	}
	type seen struct {
		p        flows.Priority
		maxRetry int
	}
	got := make(chan seen, 1)
	r := specRunner{
		runnerFunc: func(ctx context.Context, _ flows.JobKind, _ string) error {
			max, _ := asynq.GetMaxRetry(ctx)
			got <- seen{flows.PriorityFrom(ctx), max}
			return nil
		},
		specs: []flows.JobSpec{{Kind: "demo_fire", Priority: flows.PriorityBulk, MaxRetry: 3}},
	}
	if err := q.Start(r); err != nil {
		t.Fatal(err)
	}
	stopAtEnd(t, q)
	if err := q.Enqueue(ctx, "demo_fire", "demo:1"); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		if s.p != flows.PriorityBulk || s.maxRetry != 3 {
			t.Fatalf("ran with %+v, want bulk and 3 retries", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("job did not run")
	}
}

// A declaration the queue cannot honour is an error when botd starts.
func TestBadSpecsRefusedAtStart(t *testing.T) {
	for name, spec := range map[string]flows.JobSpec{
		"no retries":         {Kind: "demo", MaxRetry: 0},
		"unknown priority":   {Kind: "demo", Priority: 7, MaxRetry: 1},
		"bad kind":           {Kind: "demo job", MaxRetry: 1},
		"no kind":            {MaxRetry: 1},
		"a step's, reshaped": {Kind: flows.JobFinish, Priority: flows.PriorityBulk, MaxRetry: 25},
	} {
		t.Run(name, func(t *testing.T) {
			q := jobs.New(statetest.Client(t), jobs.Config{}, zaptest.NewLogger(t))
			if err := q.Register(spec); err == nil {
				t.Error("Register accepted it")
			}
			r := specRunner{runnerFunc: func(context.Context, flows.JobKind, string) error { return nil }, specs: []flows.JobSpec{spec}}
			if err := q.Start(r); err == nil {
				stopAtEnd(t, q)
				t.Error("Start accepted it")
			}
		})
	}
	// The same declaration twice is harmless (New registers the steps;
	// the engine declares them again).
	q := jobs.New(statetest.Client(t), jobs.Config{}, zaptest.NewLogger(t))
	if err := q.Register(flows.StepJobs()...); err != nil {
		t.Fatalf("registering the steps again: %v", err)
	}
}

// A job enqueued with a delay runs once the delay has passed, and the same
// job enqueued again meanwhile is the same job: a burst of changes is one
// run (how a flow coalesces card updates).
func TestEnqueueAfterCoalesces(t *testing.T) {
	q := jobs.New(statetest.Client(t), jobs.Config{RetryPollInterval: 20 * time.Millisecond}, zaptest.NewLogger(t))
	r := newRecorder()
	if err := q.Start(r); err != nil {
		t.Fatal(err)
	}
	stopAtEnd(t, q)
	ctx := context.Background()
	start := time.Now()
	for range 10 {
		if err := q.EnqueueAfter(ctx, flows.JobFinish, "itx_burst", 2*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	wait(t, r, "finish:itx_burst", 1)
	// asynq schedules to the second: a 2 s delay runs after 1 s at least.
	if ran := time.Since(start); ran < time.Second {
		t.Errorf("ran %v after the first enqueue, well before its delay", ran)
	}
	time.Sleep(500 * time.Millisecond) // a second run would show up here
	if n := r.count("finish:itx_burst"); n != 1 {
		t.Fatalf("ran %d times, want 1", n)
	}
	if err := q.EnqueueAfter(ctx, "nobody_declared", "x", time.Second); !errors.Is(err, jobs.ErrUnknownKind) {
		t.Errorf("EnqueueAfter of an undeclared kind = %v", err)
	}
}
