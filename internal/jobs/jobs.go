// Package jobs runs the steps of an interaction that must not happen inside a
// webhook request (calls to the Open API), and the flows' own jobs, as
// durable tasks on Redis, using asynq. Each kind's policy (its queue, its
// retries) comes from the flows.JobSpec that declares it, registered when
// botd starts. A task survives a crash of the process and is picked up by any
// replica; each runs until it succeeds, fails permanently, or runs out of
// retries.
package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/jobs/retry"
	"github.com/botd/botd/internal/tenant"
)

// deferredDelay is how long a deferred job (isFailure) that names no delay
// waits before it looks again.
const deferredDelay = 5 * time.Second

// Runner does the work of one job; *flows.Engine is one.
type Runner interface {
	RunJob(ctx context.Context, kind flows.JobKind, interactionID string) error
	// AbandonJob is told when a job will not run again: it failed
	// permanently or ran out of retries.
	AbandonJob(ctx context.Context, kind flows.JobKind, interactionID string, cause error)
}

// Config tunes the queue. Zero values take the defaults in brackets.
type Config struct {
	// Concurrency is how many jobs run at once in this process [20]. Jobs
	// mostly wait on the network, so this is well above the core count.
	Concurrency int
	// PollInterval is how often an idle worker looks for new jobs [20ms].
	// asynq polls rather than blocks; the default of 1 s would add up to a
	// second between a user's Submit and the card appearing.
	PollInterval time.Duration
	// RetryPollInterval is how often due retries are moved back to the
	// queue [250ms] (asynq's default is 5 s).
	RetryPollInterval time.Duration
	// JobTimeout bounds one attempt [30s].
	JobTimeout time.Duration
	// ShutdownTimeout is how long Shutdown waits for running jobs [10s];
	// jobs still running then are retried later, by this or another replica.
	// Keep it under the deadline given to Shutdown.
	ShutdownTimeout time.Duration
	// Queue names the queues: Queue+":interactive" and Queue+":bulk"
	// ["botd"], after the client's key prefix if it has one (New).
	Queue string
	// OrphanAfter is how long a running job's worker may go without a
	// heartbeat before the job is taken for orphaned (its process died) and
	// put back in its queue by any replica [10s; at least 8s, asynq's
	// heartbeat being every 5 s]. See orphans.go.
	OrphanAfter time.Duration
	// Metrics registers the job metrics; nil registers none.
	Metrics prometheus.Registerer
	// Tenants makes the queue a store app's (BOTD_APP_TYPE=store): a job
	// is enqueued for the tenant of its context (tenant.Require; none is
	// an error), carries it, and runs with it put back in its context;
	// its task id holds it, so that the same id in two tenants is two
	// jobs. False (a self-built app) keeps payloads and task ids as they
	// always were.
	Tenants bool
}

func (c Config) withDefaults() Config {
	if c.Concurrency <= 0 {
		c.Concurrency = 20
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 20 * time.Millisecond
	}
	if c.RetryPollInterval <= 0 {
		c.RetryPollInterval = 250 * time.Millisecond
	}
	if c.JobTimeout <= 0 {
		c.JobTimeout = 30 * time.Second
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 10 * time.Second
	}
	if c.Queue == "" {
		c.Queue = "botd"
	}
	if c.OrphanAfter <= 0 {
		c.OrphanAfter = 10 * time.Second
	}
	c.OrphanAfter = max(c.OrphanAfter, minOrphanAfter)
	return c
}

// queueName maps a priority to its asynq queue. Workers drain the
// interactive queue first (strict priority), so a member waiting for a form
// never queues behind a reminder storm.
func (c Config) queueName(p flows.Priority) string { return c.Queue + ":" + p.String() }

const taskPrefix = "botd:"

// payload names what a job works on: an interaction, or for a flow's own
// jobs a record or due-set member. The key stays "iid" so that jobs queued
// by an older botd still run. Tenant is a store app's tenant_key, and
// absent from a self-built app's jobs.
type payload struct {
	InteractionID string `json:"iid"`
	Tenant        string `json:"t,omitempty"`
}

// context is ctx with the job's tenant, if it has one.
func (p payload) context(ctx context.Context) context.Context {
	if p.Tenant == "" {
		return ctx
	}
	return tenant.With(ctx, p.Tenant)
}

// Queue enqueues jobs (it implements flows.Jobs) and, once started, runs
// them. Enqueue works on any replica; Start makes this replica a worker.
type Queue struct {
	runner  Runner // set by Start
	metrics *metrics
	cfg     Config
	client  *asynq.Client
	server  *asynq.Server
	rdb     redis.UniversalClient // botd's job leases and the orphan scan (orphans.go)
	log     *zap.Logger

	mu    sync.RWMutex
	specs map[flows.JobKind]flows.JobSpec // the kinds this queue takes (Register)

	stopOnce sync.Once
	stopped  chan struct{} // closed when the workers have stopped

	// stopScan ends the orphan scan (nil before Start); scanDone is closed
	// once it has ended.
	stopScan chan struct{}
	scanDone chan struct{}
}

// ErrUnknownKind is returned by Enqueue for a kind nobody registered:
// there is no policy for it and no worker would run it.
var ErrUnknownKind = errors.New("job kind not registered")

// Register declares kinds of jobs with their policy (priority, retries),
// as the flows that run them declare them (flows.Engine.JobSpecs). The
// queue takes only registered kinds. Registering a kind again with the
// same policy changes nothing; with another policy it is an error, as are a
// kind with an unknown priority, no retries, or a name asynq cannot carry.
// New registers the steps of an interaction (flows.StepJobs).
func (q *Queue) Register(specs ...flows.JobSpec) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, sp := range specs {
		switch old, seen := q.specs[sp.Kind]; {
		case !validKind(sp.Kind):
			return fmt.Errorf("jobs: register %q: a kind is lower-case letters, digits and '_'", sp.Kind)
		case sp.Priority != flows.PriorityInteractive && sp.Priority != flows.PriorityBulk:
			return fmt.Errorf("jobs: register %s: unknown priority %d", sp.Kind, sp.Priority)
		case sp.MaxRetry < 1:
			return fmt.Errorf("jobs: register %s: MaxRetry %d: want at least 1", sp.Kind, sp.MaxRetry)
		case seen && (old.Priority != sp.Priority || old.MaxRetry != sp.MaxRetry):
			return fmt.Errorf("jobs: register %s: registered twice with different policies", sp.Kind)
		}
		q.specs[sp.Kind] = sp
	}
	return nil
}

// spec returns kind's policy.
func (q *Queue) spec(kind flows.JobKind) (flows.JobSpec, bool) {
	q.mu.RLock()
	defer q.mu.RUnlock()
	sp, ok := q.specs[kind]
	return sp, ok
}

func validKind(k flows.JobKind) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	for _, c := range k {
		if c != '_' && !('a' <= c && c <= 'z') && !('0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

var _ flows.Jobs = (*Queue)(nil)

// New returns a queue on rdb: one server, a Sentinel-managed primary (a
// failover client) or a Redis Cluster (a cluster client), which asynq runs
// on as it does with its RedisFailoverClientOpt and RedisClusterClientOpt:
// those make these same go-redis clients, and botd passes its own so that
// the queue shares the pool, the timeouts and the URL's options. When rdb
// carries a key prefix (state.WithKeyPrefix: the URL's key_prefix), the
// queue names start with it, so that deployments (or tests) sharing a
// cluster never take each other's jobs. The caller keeps ownership of rdb.
func New(rdb redis.UniversalClient, cfg Config, log *zap.Logger) *Queue {
	cfg = cfg.withDefaults()
	if p, ok := rdb.(interface{ KeyPrefix() string }); ok {
		cfg.Queue = p.KeyPrefix() + cfg.Queue
	}
	log = log.Named("jobs")
	q := &Queue{cfg: cfg, client: asynq.NewClientFromRedisClient(rdb), rdb: rdb, log: log, metrics: newMetrics(cfg.Metrics),
		specs: map[flows.JobKind]flows.JobSpec{}}
	if err := q.Register(flows.StepJobs()...); err != nil {
		panic(err) // the engine's own steps: a bug in flows
	}
	if cfg.Metrics != nil {
		cfg.Metrics.MustRegister(newQueueCollector(asynq.NewInspectorFromRedisClient(rdb), map[string]string{
			cfg.queueName(flows.PriorityInteractive): flows.PriorityInteractive.String(),
			cfg.queueName(flows.PriorityBulk):        flows.PriorityBulk.String(),
		}, log))
	}
	q.server = asynq.NewServerFromRedisClient(rdb, asynq.Config{
		Concurrency: cfg.Concurrency,
		Queues: map[string]int{
			cfg.queueName(flows.PriorityInteractive): 10,
			cfg.queueName(flows.PriorityBulk):        1,
		},
		StrictPriority:           true,
		TaskCheckInterval:        cfg.PollInterval,
		DelayedTaskCheckInterval: cfg.RetryPollInterval,
		ShutdownTimeout:          cfg.ShutdownTimeout,
		RetryDelayFunc:           retryDelay,
		IsFailure:                isFailure,
		Logger:                   log.WithOptions(zap.AddCallerSkip(1)).Sugar(),
		LogLevel:                 asynq.WarnLevel,
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			if !isFailure(err) {
				log.Debug("job deferred (rate limiter, or waiting for the app_ticket)", zap.String("job", t.Type()),
					zap.ByteString("payload", t.Payload()), zap.Error(err))
				return
			}
			retried, _ := asynq.GetRetryCount(ctx)
			max, _ := asynq.GetMaxRetry(ctx)
			log.Warn("job failed", zap.String("job", t.Type()), zap.ByteString("payload", t.Payload()),
				zap.Int("attempt", retried+1), zap.Int("max_retry", max), zap.Error(err))
			if errors.Is(err, asynq.SkipRetry) || retried >= max {
				q.abandon(ctx, t, err)
			}
		}),
	})
	return q
}

// Enqueue queues kind for the interaction. A job of the same kind for the
// same interaction that is still queued makes this a no-op, so re-enqueueing
// is always safe.
func (q *Queue) Enqueue(ctx context.Context, kind flows.JobKind, interactionID string) error {
	return q.enqueue(ctx, kind, interactionID)
}

// EnqueueAfter queues kind for id to run once delay has passed: an asynq
// scheduled task, moved to the queue every RetryPollInterval once its time
// has come. asynq keeps that time in whole seconds, so a delay is honoured
// to the second. A job of the same kind and id still waiting or queued
// makes it a no-op.
func (q *Queue) EnqueueAfter(ctx context.Context, kind flows.JobKind, id string, delay time.Duration) error {
	return q.enqueue(ctx, kind, id, asynq.ProcessIn(delay))
}

func (q *Queue) enqueue(ctx context.Context, kind flows.JobKind, interactionID string, opts ...asynq.Option) error {
	p := payload{InteractionID: interactionID}
	taskID := string(kind) + ":" + interactionID
	if q.cfg.Tenants {
		// A store app's job without a tenant could reach no tenant's
		// state: refused here, where the caller still learns of it.
		key, err := tenant.Require(ctx)
		if err == nil {
			err = tenant.Check(key)
		}
		if err != nil {
			return fmt.Errorf("jobs: enqueue %s %s: %w", kind, interactionID, permanent{err})
		}
		p.Tenant = key
		taskID = string(kind) + ":" + key + ":" + interactionID
	}
	body, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("jobs: enqueue %s %s: %w", kind, interactionID, err)
	}
	sp, ok := q.spec(kind)
	if !ok {
		return fmt.Errorf("jobs: enqueue %s %s: %w", kind, interactionID, ErrUnknownKind)
	}
	task := asynq.NewTask(taskPrefix+string(kind), body, append([]asynq.Option{
		asynq.TaskID(taskID),
		asynq.Queue(q.cfg.queueName(sp.Priority)),
		asynq.MaxRetry(sp.MaxRetry),
		asynq.Timeout(q.cfg.JobTimeout)}, opts...)...)
	_, err = q.client.EnqueueContext(ctx, task)
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return nil // already queued: the queued one will do the work
	}
	if err != nil {
		return fmt.Errorf("jobs: enqueue %s %s: %w", kind, interactionID, err)
	}
	return nil
}

// Start runs jobs with r until Shutdown: every registered kind. A runner
// that declares its kinds (a JobSpecs method, as *flows.Engine has) has
// them registered first, so a kind it runs and the queue does not know is
// an error here, at start, rather than a job nobody takes.
func (q *Queue) Start(r Runner) error {
	if d, ok := r.(interface{ JobSpecs() []flows.JobSpec }); ok {
		if err := q.Register(d.JobSpecs()...); err != nil {
			return err
		}
	}
	q.runner = r
	mux := asynq.NewServeMux()
	q.mu.RLock()
	for kind, sp := range q.specs {
		mux.HandleFunc(taskPrefix+string(kind), func(ctx context.Context, t *asynq.Task) error {
			return q.run(ctx, r, sp, t)
		})
	}
	q.mu.RUnlock()
	if err := q.server.Start(mux); err != nil {
		return fmt.Errorf("jobs: start worker: %w", err)
	}
	// Work a dead process left running is resumed now, and then within
	// seconds of its worker's last heartbeat, rather than after asynq's
	// lease and recovery poll (orphans.go).
	q.stopScan, q.scanDone = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(q.scanDone)
		q.watchOrphans(q.stopScan)
	}()
	return nil
}

func (q *Queue) run(ctx context.Context, r Runner, sp flows.JobSpec, t *asynq.Task) error {
	kind := sp.Kind
	var p payload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.InteractionID == "" {
		return fmt.Errorf("jobs: bad payload for %s: %v: %w", kind, err, asynq.SkipRetry)
	}
	if q.cfg.Tenants && tenant.Check(p.Tenant) != nil {
		// Queued by a self-built botd, or damaged: no tenant's job.
		return fmt.Errorf("jobs: %s %s carries no tenant (store app): %w", kind, p.InteractionID, asynq.SkipRetry)
	}
	start := time.Now()
	taskID, _ := asynq.GetTaskID(ctx)
	queue, _ := asynq.GetQueueName(ctx)
	release := q.holdLease(ctx, queue, taskID)
	err := r.RunJob(flows.WithPriority(p.context(ctx), sp.Priority), kind, p.InteractionID)
	release()
	outcome := outcomeRetry
	defer func() { q.metrics.observe(string(kind), outcome, time.Since(start)) }()
	switch {
	case err == nil:
		outcome = outcomeOK
		return nil
	case errors.Is(err, flows.ErrNotFound):
		// The interaction or record expired or never existed: nothing left to do.
		outcome = outcomeDropped
		q.log.Info("job dropped: what it works on is gone", zap.String("job", string(kind)),
			zap.String("id", p.InteractionID))
		return nil
	case !isFailure(err):
		outcome = outcomeDeferred
		return err
	case !retry.Retryable(err):
		outcome = outcomeGiveUp
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	default:
		return err
	}
}

// abandon tells the runner that t will not run again (asynq archives it).
func (q *Queue) abandon(ctx context.Context, t *asynq.Task, cause error) {
	var p payload
	if json.Unmarshal(t.Payload(), &p) != nil || p.InteractionID == "" {
		return
	}
	kind := flows.JobKind(strings.TrimPrefix(t.Type(), taskPrefix))
	// The job's own deadline may be what failed it: give the runner time of
	// its own to record the failure and tell the member.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), q.cfg.JobTimeout)
	defer cancel()
	if q.cfg.Tenants && tenant.Check(p.Tenant) != nil {
		return // no tenant's: nothing to record it in
	}
	q.runner.AbandonJob(p.context(ctx), kind, p.InteractionID, cause)
}

// Shutdown stops taking jobs and waits for running ones, up to
// Config.ShutdownTimeout or until ctx ends, whichever comes first. Jobs
// still running when the ShutdownTimeout passes are handed back to the queue
// (and their contexts cancelled), to run again here or on another replica.
// If ctx ends first, Shutdown returns its error while the workers finish
// stopping in the background, within ShutdownTimeout: set that below the
// caller's deadline (internal/app derives it from BOTD_SHUTDOWN_TIMEOUT) so
// that the hand-back still finds Redis open. Calling Shutdown again waits
// for the same stop. It does not close the Redis client, which must stay
// open until Shutdown has returned nil: asynq's workers crash on a closed
// one.
func (q *Queue) Shutdown(ctx context.Context) error {
	q.stopOnce.Do(func() {
		q.stopped = make(chan struct{})
		go func() {
			defer close(q.stopped)
			if q.stopScan != nil {
				close(q.stopScan)
				<-q.scanDone
			}
			q.server.Shutdown()  // waits at most cfg.ShutdownTimeout for running jobs
			_ = q.client.Close() // the connection is the caller's: only the client's state goes
		}()
	})
	select {
	case <-q.stopped:
		return nil
	case <-ctx.Done():
		q.log.Warn("job workers still stopping at the shutdown deadline; jobs still running will run again later",
			zap.Duration("shutdown_timeout", q.cfg.ShutdownTimeout))
		return fmt.Errorf("jobs: shutdown: %w", context.Cause(ctx))
	}
}

// isFailure tells asynq which errors count against a job's retries. A job
// the rate limiter deferred (its turn is more than a moment away) did not
// fail: it is rescheduled for its turn without using up a retry, and without
// holding a worker while it waits. So is a job that waits for something
// the platform will send (Deferred: a store app's app_ticket, which may
// arrive long after botd started): it waits as long as it takes and is
// never dropped for it.
func isFailure(err error) bool {
	var p interface{ Paced() bool }
	if errors.As(err, &p) && p.Paced() {
		return false
	}
	return !deferred(err)
}

// deferred reports whether err says its job waits for something to come
// (a Deferred method reporting true).
func deferred(err error) bool {
	var d interface{ Deferred() bool }
	return errors.As(err, &d) && d.Deferred()
}

// permanent marks an error no retry can fix (retry.Retryable: false).
type permanent struct{ err error }

func (p permanent) Error() string   { return p.err.Error() }
func (p permanent) Unwrap() error   { return p.err }
func (p permanent) Retryable() bool { return false }

// retryDelay backs off exponentially from 200 ms to 5 min, and honours the
// delay an error asks for: a rate-limit reset the platform sent
// (x-ogw-ratelimit-reset), or the turn the rate limiter gave. A deferred
// job that names no delay looks again after deferredDelay.
func retryDelay(n int, err error, _ *asynq.Task) time.Duration {
	var ra interface{ RetryDelay() time.Duration }
	if errors.As(err, &ra) {
		if d := ra.RetryDelay(); d > 0 {
			return d
		}
	}
	if deferred(err) {
		return deferredDelay
	}
	d := 200 * time.Millisecond << min(n, 11)
	return min(d, 5*time.Minute)
}
