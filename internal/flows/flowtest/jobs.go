package flowtest

import (
	"context"
	"sync"
	"time"

	"github.com/botd/botd/internal/flows"
)

// Job is one enqueued job.
type Job struct {
	Kind  flows.JobKind
	ID    string
	After time.Duration // EnqueueAfter's delay; Drain runs the job regardless
}

// Jobs records enqueued jobs; Env.Drain runs them. With Inline set,
// Enqueue also runs the job at once, as a queue with no latency would; a
// failing inline run is kept (Errs), as the real queue would retry it.
type Jobs struct {
	mu     sync.Mutex
	jobs   []Job
	errs   []error
	fail   error
	inline *flows.Engine
}

var _ flows.Jobs = (*Jobs)(nil)

// Enqueue implements flows.Jobs.
func (j *Jobs) Enqueue(ctx context.Context, kind flows.JobKind, id string) error {
	return j.enqueue(ctx, Job{Kind: kind, ID: id})
}

// EnqueueAfter implements flows.Jobs. The job is recorded with its delay;
// the fake keeps no time, so Drain runs it with the others, in order.
func (j *Jobs) EnqueueAfter(ctx context.Context, kind flows.JobKind, id string, delay time.Duration) error {
	return j.enqueue(ctx, Job{Kind: kind, ID: id, After: delay})
}

func (j *Jobs) enqueue(ctx context.Context, job Job) error {
	kind, id := job.Kind, job.ID
	j.mu.Lock()
	if j.fail != nil {
		err := j.fail
		j.fail = nil
		j.mu.Unlock()
		return err
	}
	j.jobs = append(j.jobs, job)
	e := j.inline
	j.mu.Unlock()
	if e != nil {
		if err := e.RunJob(ctx, kind, id); err != nil {
			j.mu.Lock()
			j.errs = append(j.errs, err)
			j.mu.Unlock()
		}
	}
	return nil
}

// Fail makes the next Enqueue fail with err.
func (j *Jobs) Fail(err error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.fail = err
}

// Inline makes Enqueue run each job on e at once (nil: no longer).
func (j *Jobs) Inline(e *flows.Engine) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.inline = e
}

// List returns the jobs enqueued so far, in order.
func (j *Jobs) List() []Job {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]Job(nil), j.jobs...)
}

// Errs returns the errors of failed inline runs.
func (j *Jobs) Errs() []error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]error(nil), j.errs...)
}
