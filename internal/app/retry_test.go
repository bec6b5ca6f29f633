package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap/zaptest"

	"github.com/botd/botd/internal/ephemeral"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/jobs"
	"github.com/botd/botd/internal/jobs/retry"
	"github.com/botd/botd/internal/ratelimit"
	"github.com/botd/botd/internal/schedule"
	"github.com/botd/botd/internal/state/statetest"
)

// retryCase is one kind of error and whether botd's one rule retries it.
type retryCase struct {
	name  string
	err   error
	retry bool
}

// retryCases covers every kind of error the job queue and the scheduler
// see: the Open API client's (sorted by its one table of platform codes),
// the engine's permanent errors, the rate limiter's deferral, and errors
// that classify nothing (retried: see package retry).
func retryCases(t *testing.T) []retryCase {
	engine := newTestApp(t, nil).engine
	unclaimed := engine.EnqueueDue(context.Background(), "nobody-claims-this:1")
	if unclaimed == nil {
		t.Fatal("EnqueueDue of an unclaimed member succeeded")
	}
	_, dialErr := net.Dial("tcp", "127.0.0.1:1")
	return []retryCase{
		{"plain error", errors.New("boom"), true},
		{"redis error", fmt.Errorf("state: save: %w", redis.ErrClosed), true},
		{"dial error", dialErr, true},
		{"deadline", fmt.Errorf("job: %w", context.DeadlineExceeded), true},
		{"canceled", context.Canceled, true},
		{"rate limited 429", &ephemeral.APIError{Op: "ephemeral.send", HTTPStatus: 429, Code: 99991400}, true},
		{"message rate limit", &ephemeral.APIError{Op: "im.message.create", HTTPStatus: 200, Code: 230020}, true},
		{"5xx unknown code", &ephemeral.APIError{Op: "ephemeral.send", HTTPStatus: 502}, true},
		{"token rejected twice", &ephemeral.APIError{Op: "ephemeral.send", HTTPStatus: 400, Code: 99991663}, true},
		{"bot removed", fmt.Errorf("send form: %w", &ephemeral.APIError{Op: "ephemeral.send", HTTPStatus: 400, Code: 230002}), false},
		{"chat disbanded", &ephemeral.APIError{Op: "chat.get", HTTPStatus: 400, Code: 232006}, false},
		{"permanent code on 5xx", &ephemeral.APIError{Op: "ephemeral.send", HTTPStatus: 500, Code: 230001}, false},
		{"unknown code on 4xx", &ephemeral.APIError{Op: "ephemeral.send", HTTPStatus: 400, Code: 12345}, false},
		{"invalid argument", fmt.Errorf("post: %w", ephemeral.ErrInvalidArgument), false},
		{"engine: unclaimed due member", unclaimed, false},
		{"paced by the limiter", &ratelimit.WaitError{API: "im.message.create", Rule: "app per minute", After: 10 * time.Millisecond}, true},
		{"joined: first classified wins", errors.Join(errors.New("x"), ephemeral.ErrInvalidArgument), false},
	}
}

// Every caller that sorts errors agrees, on every kind: the rule itself,
// the Open API client's Retryable, the scheduler (drop a due member or keep
// it) and the job queue (retry a job or give it up).
func TestEveryCallerAgreesOnRetries(t *testing.T) {
	cases := retryCases(t)
	for _, c := range cases {
		if got := retry.Retryable(c.err); got != c.retry {
			t.Errorf("%s: retry.Retryable = %v, want %v", c.name, got, c.retry)
		}
		if got := ephemeral.Retryable(c.err); got != c.retry {
			t.Errorf("%s: ephemeral.Retryable = %v, want %v", c.name, got, c.retry)
		}
		if kept := schedulerKeeps(t, c.err); kept != c.retry {
			t.Errorf("%s: the scheduler keeps the member = %v, want %v", c.name, kept, c.retry)
		}
	}
	if retry.Retryable(nil) || ephemeral.Retryable(nil) {
		t.Error("nil is retryable")
	}

	// The job queue: each case's job fails once with its error; a retried
	// job then succeeds, a job given up is abandoned.
	r := &onceFailing{errs: map[string]error{}, runs: map[string]int{}, abandoned: map[string]bool{}}
	for i, c := range cases {
		r.errs[fmt.Sprintf("case%d", i)] = c.err
	}
	q := jobs.New(statetest.Client(t), jobs.Config{RetryPollInterval: 20 * time.Millisecond}, zaptest.NewLogger(t))
	if err := q.Start(r); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = q.Shutdown(ctx)
	})
	for id := range r.errs {
		if err := q.Enqueue(context.Background(), flows.JobFinish, id); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for !r.allSettled() {
		if time.Now().After(deadline) {
			t.Fatal("jobs neither retried nor abandoned in 20 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // a wrong extra retry would show up here
	for i, c := range cases {
		retried, abandoned := r.outcome(fmt.Sprintf("case%d", i))
		if retried != c.retry || abandoned == c.retry {
			t.Errorf("%s: the job queue retried = %v, abandoned = %v; want retried = %v", c.name, retried, abandoned, c.retry)
		}
	}
}

// schedulerKeeps reports whether the scheduler keeps a due member whose
// enqueue failed with err (for the next tick) rather than drop it.
func schedulerKeeps(t *testing.T, err error) bool {
	set := &oneDue{member: "rem:x:1"}
	s := schedule.New(set, func(context.Context, string) error { return err }, schedule.Config{}, zaptest.NewLogger(t))
	if _, terr := s.Tick(context.Background()); terr != nil {
		t.Fatal(terr)
	}
	return !set.unscheduled
}

// oneDue is a due set holding one member until it is unscheduled.
type oneDue struct {
	member      string
	unscheduled bool
}

func (d *oneDue) Due(context.Context, time.Time, int) ([]string, error) {
	if d.unscheduled {
		return nil, nil
	}
	return []string{d.member}, nil
}

func (d *oneDue) Unschedule(context.Context, ...string) error { d.unscheduled = true; return nil }

// onceFailing fails each job's first run with its error and lets the
// next run succeed.
type onceFailing struct {
	mu        sync.Mutex
	errs      map[string]error
	runs      map[string]int
	abandoned map[string]bool
}

func (r *onceFailing) RunJob(_ context.Context, _ flows.JobKind, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.runs[id]++
	if r.runs[id] == 1 {
		return r.errs[id]
	}
	return nil
}

func (r *onceFailing) AbandonJob(_ context.Context, _ flows.JobKind, id string, _ error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.abandoned[id] = true
}

func (r *onceFailing) allSettled() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id := range r.errs {
		if r.runs[id] < 2 && !r.abandoned[id] {
			return false
		}
	}
	return true
}

func (r *onceFailing) outcome(id string) (retried, abandoned bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.runs[id] >= 2, r.abandoned[id]
}
