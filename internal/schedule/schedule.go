// Package schedule turns the due set into jobs. Reminders and due-date
// nudges are members of one Redis sorted set scored by their due time
// (internal/state); on every replica a Scheduler reads the members that
// have come due by botd's clock, enqueues a job for each on the durable
// queue and then removes them.
//
// asynq's own periodic scheduler is not used: every instance running it
// enqueues every tick, and a registered task cannot be moved or cancelled
// in place. Here a reschedule or a cancel is a change of the reminder
// record and of one sorted-set member, and the clock is botd's own
// (clock.Func), so tests and the playground fast-forward it.
//
// Exactly once: replicas read the same members and enqueue with the member
// as the task id, so the queue keeps one; a crash between the enqueue and
// the removal enqueues the member again later, which the job, guarded by
// its record (a reminder, a todo), turns into nothing. Nothing about a
// schedule lives only in a process.
//
// A store app's due set holds every tenant's members, each qualified
// "TENANT/MEMBER" (tenant.Qualify; internal/state): the scheduler hands
// each to the enqueue bare, with its tenant put back in the context
// (tenant.With), so the job it queues is that tenant's, and unschedules
// it in that tenant's name. One set for every tenant keeps the read the
// same few keys every 500 ms however many tenants there are.
package schedule

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/botd/botd/internal/clock"
	"github.com/botd/botd/internal/jobs/retry"
	"github.com/botd/botd/internal/tenant"
)

// DueSet is the part of the store the scheduler uses.
type DueSet interface {
	// Due returns up to limit members due at now, earliest first: every
	// tenant's, a store app's qualified "TENANT/MEMBER".
	Due(ctx context.Context, now time.Time, limit int) ([]string, error)
	// Unschedule removes members, bare, of ctx's tenant (a store app's).
	Unschedule(ctx context.Context, members ...string) error
}

// EnqueueFunc enqueues the job of one due member; flows.Engine.EnqueueDue is
// one. An error that retry.Retryable judges permanent (its Retryable method
// reports false) means the member can never run, and it is dropped; any
// other error keeps it for the next tick.
type EnqueueFunc func(ctx context.Context, member string) error

// Config tunes a Scheduler. Zero values take the defaults in brackets.
type Config struct {
	// Interval is how often the due set is read [500ms]: the most a
	// reminder fires after its time while botd runs, plus queue latency.
	Interval time.Duration
	// Batch is how many members one read takes [500]; a tick with a full
	// batch reads again at once, so a 9:00 storm is drained in a loop.
	Batch int
	// Now is the clock [time.Now].
	Now clock.Func
	// Metrics records the scheduler's work; nil records nothing.
	Metrics *Metrics
}

// Scheduler moves due members of the due set onto the job queue.
type Scheduler struct {
	set     DueSet
	enqueue EnqueueFunc
	cfg     Config
	log     *zap.Logger
	nudge   chan struct{}
	stop    chan struct{}
	wg      sync.WaitGroup
	once    sync.Once
}

// New returns a scheduler; Start runs it.
func New(set DueSet, enqueue EnqueueFunc, cfg Config, log *zap.Logger) *Scheduler {
	if cfg.Interval <= 0 {
		cfg.Interval = 500 * time.Millisecond
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 500
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Scheduler{set: set, enqueue: enqueue, cfg: cfg, log: log.Named("schedule"),
		nudge: make(chan struct{}, 1), stop: make(chan struct{})}
}

// Start runs the loop in the background until Stop.
func (s *Scheduler) Start() {
	s.wg.Add(1)
	go s.loop()
}

// Stop ends the loop and waits for a tick in progress.
func (s *Scheduler) Stop() {
	s.once.Do(func() { close(s.stop) })
	s.wg.Wait()
}

// Nudge makes the loop read the due set now rather than at the next tick:
// after the clock was moved forward, or an occurrence was set for now.
func (s *Scheduler) Nudge() {
	select {
	case s.nudge <- struct{}{}:
	default:
	}
}

func (s *Scheduler) loop() {
	defer s.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-s.stop
		cancel()
	}()
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		if _, err := s.Tick(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("cannot read the due set; trying again at the next tick", zap.Error(err))
		}
		select {
		case <-s.stop:
			return
		case <-t.C:
		case <-s.nudge:
		}
	}
}

// Tick enqueues every member due now and returns how many it enqueued. A
// member whose enqueue fails stays in the due set for the next tick, unless
// it can never run.
func (s *Scheduler) Tick(ctx context.Context) (int, error) {
	total := 0
	for {
		now := s.cfg.Now()
		members, err := s.set.Due(ctx, now, s.cfg.Batch)
		if err != nil {
			return total, err
		}
		done := make([]string, 0, len(members))
		for _, m := range members {
			err := s.enqueue(occurrence(ctx, m))
			switch {
			case err == nil:
				done = append(done, m)
				total++
				s.cfg.Metrics.enqueued(dueTime(m), now)
			case !retry.Retryable(err):
				s.log.Error("due member dropped: nothing can run it", zap.String("occurrence", m), zap.Error(err))
				done = append(done, m)
			default:
				s.log.Warn("cannot enqueue a due occurrence; keeping it for the next tick", zap.String("occurrence", m), zap.Error(err))
			}
		}
		if len(done) > 0 {
			// If this fails, or the process dies first, the members are
			// enqueued again later: the jobs are idempotent.
			if err := s.unschedule(ctx, done); err != nil {
				return total, err
			}
		}
		if len(members) < s.cfg.Batch || len(done) == 0 {
			return total, nil
		}
	}
}

// occurrence is the context and the bare member the enqueue of member
// takes: a store app's member carries its tenant, which goes into ctx.
func occurrence(ctx context.Context, member string) (context.Context, string) {
	if key, bare, ok := tenant.Split(member); ok {
		return tenant.With(ctx, key), bare
	}
	return ctx, member
}

// unschedule removes members (as Due returned them) in their tenants'
// names, one call per tenant (one for a self-built app's).
func (s *Scheduler) unschedule(ctx context.Context, members []string) error {
	var order []string // tenants in the order met; "" is no tenant's
	byTenant := map[string][]string{}
	for _, m := range members {
		key, bare, _ := tenant.Split(m)
		if _, seen := byTenant[key]; !seen {
			order = append(order, key)
		}
		byTenant[key] = append(byTenant[key], bare)
	}
	for _, key := range order {
		tctx := ctx
		if key != "" {
			tctx = tenant.With(ctx, key)
		}
		if err := s.set.Unschedule(tctx, byTenant[key]...); err != nil {
			return err
		}
	}
	return nil
}
