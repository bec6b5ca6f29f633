package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/tenant"
)

// rulePause is Decision.Rule when a pause after a 429 holds the call back.
const rulePause = "pause"

// maxPause bounds a pause asked for by the platform, in case a reset header
// is nonsense: no documented window is longer than a minute.
const maxPause = 2 * time.Minute

// Options are the limiter's collaborators; all are optional.
type Options struct {
	// Registerer receives the metrics (see metrics.go); nil registers none.
	Registerer prometheus.Registerer
	// Logger reports what the limiter cannot return (a failed pause).
	Logger *zap.Logger
	// Now, when set, is the time the scripts use instead of the Redis
	// server's clock. It is for tests that step time by hand; production
	// leaves it nil so that replicas with skewed clocks agree.
	Now func() time.Time
	// PerTenant is for a store app: every call is counted in the windows
	// of the tenant its context carries (tenant.From), and a call without
	// one is refused (keys.go).
	PerTenant bool
}

// Limiter paces Open API calls to Limits, with its state in Redis shared by
// all replicas. A nil *Limiter paces nothing. It is safe for concurrent use.
type Limiter struct {
	rdb       redis.Scripter
	prefix    string // the client's key prefix (state.WithKeyPrefix), "" for none
	perTenant bool   // Options.PerTenant
	lim       Limits
	now       func() time.Time
	log       *zap.Logger
	metrics   *metrics
	queues    queues

	// Members of the logs must be unique across replicas: a random prefix
	// per limiter and a counter.
	id  string
	seq atomic.Uint64
}

// Decision is the outcome of one Allow.
type Decision struct {
	Allowed bool
	// Wait is how long until the call would be allowed (when not Allowed).
	Wait time.Duration
	// Rule names the quota that needs the longest wait, e.g. "app per
	// second", or "pause" after a 429.
	Rule string
}

// New returns a limiter on rdb (a *redis.Client, a *redis.ClusterClient,
// or any client that runs scripts) keeping to lim; its zero fields take the
// defaults. Its keys go under rdb's key prefix when rdb has one (a
// KeyPrefix method: state.WithKeyPrefix). The caller keeps ownership of
// rdb.
func New(rdb redis.Scripter, lim Limits, opts Options) (*Limiter, error) {
	lim = lim.withDefaults()
	if err := lim.validate(); err != nil {
		return nil, err
	}
	if rdb == nil && !lim.Off {
		return nil, errors.New("ratelimit: no redis client")
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, fmt.Errorf("ratelimit: %w", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand, Go ≥ 1.24)
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	var prefix string
	if p, ok := rdb.(interface{ KeyPrefix() string }); ok {
		prefix = p.KeyPrefix()
	}
	return &Limiter{rdb: rdb, prefix: prefix, perTenant: opts.PerTenant, lim: lim, now: opts.Now, log: log.Named("ratelimit"),
		metrics: m, id: hex.EncodeToString(b[:])}, nil
}

// Limits returns the limits in force, defaults filled in. On a nil limiter
// they are the defaults with Off set.
func (l *Limiter) Limits() Limits {
	if l == nil {
		lim := DefaultLimits()
		lim.Off = true
		return lim
	}
	return l.lim
}

func (l *Limiter) off() bool { return l == nil || l.lim.Off }

// Allow makes one attempt to admit call, at the priority carried by ctx
// (flows.PriorityFrom). When allowed, the call has been counted and must be
// made; when not, nothing was counted.
func (l *Limiter) Allow(ctx context.Context, call Call) (Decision, error) {
	if l.off() || len(call.rules) == 0 {
		return Decision{Allowed: true}, nil
	}
	call, err := l.scope(ctx, call)
	if err != nil {
		return Decision{}, err
	}
	return l.allow(ctx, call)
}

// scope moves a store app's call into the windows of its context's tenant
// (keys.go). A self-built app's call, and one already scoped, are returned
// as they are.
func (l *Limiter) scope(ctx context.Context, call Call) (Call, error) {
	if !l.perTenant || call.tenant != "" {
		return call, nil
	}
	t, err := tenant.Require(ctx)
	if err == nil {
		err = tenant.Check(t)
	}
	if err != nil {
		return Call{}, &tenantError{api: call.api, err: err}
	}
	rules := make([]rule, len(call.rules))
	for i, r := range call.rules {
		r.key = inTenant(r.key, t)
		rules[i] = r
	}
	return Call{api: call.api, rules: rules, tenant: t}, nil
}

// pauseKeyOf is the pause key of a (scoped) call's API.
func pauseKeyOf(call Call) string {
	if call.tenant != "" {
		return inTenant(pauseKey(call.api), call.tenant)
	}
	return pauseKey(call.api)
}

// allow is Allow for a scoped call.
func (l *Limiter) allow(ctx context.Context, call Call) (Decision, error) {
	bulk := flows.PriorityFrom(ctx) == flows.PriorityBulk
	limits := make([]int, len(call.rules))
	for i, r := range call.rules {
		limits[i] = r.limit
		if bulk && r.app {
			limits[i] = max(1, int(math.Floor(float64(r.limit)*l.lim.BulkShare)))
		}
	}
	var nowMS int64
	if l.now != nil {
		nowMS = l.now().UnixMilli()
	}
	member := l.id + ":" + strconv.FormatUint(l.seq.Add(1), 36)
	v, err := runAllow(ctx, l.rdb, l.prefix, nowMS, member, call.rules, limits, pauseKeyOf(call))
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit: %s: %w", call.api, err)
	}
	if v.allowed {
		return Decision{Allowed: true}, nil
	}
	d := Decision{Wait: v.wait, Rule: rulePause}
	if v.rule > 0 && v.rule <= len(call.rules) {
		d.Rule = call.rules[v.rule-1].name
	}
	return d, nil
}

// Wait returns when call has been admitted and counted, sleeping in between
// while the wait is short. It returns a *WaitError, having counted nothing,
// when the total wait would exceed Limits.MaxWait, and the context's error
// when ctx ends first. Waiters of one process for the same quota take turns
// in order (see queues).
func (l *Limiter) Wait(ctx context.Context, call Call) error {
	if l.off() || len(call.rules) == 0 {
		return nil
	}
	call, err := l.scope(ctx, call)
	if err != nil {
		return err
	}
	start := time.Now()
	key := lineKey(call, flows.PriorityFrom(ctx))
	ln := l.queues.join(key)
	defer l.queues.leave(key, ln)

	timer := time.NewTimer(l.lim.MaxWait)
	defer timer.Stop()
	select {
	case ln.head <- struct{}{}:
		defer func() { <-ln.head }()
	case <-ctx.Done():
		return fmt.Errorf("ratelimit: %s: waiting in line: %w", call.api, context.Cause(ctx))
	case <-timer.C:
		// MaxWait went by in the line. One last try decides between going
		// now and handing back with the exact wait.
		return l.lastTry(ctx, call, start)
	}

	for {
		d, err := l.allow(ctx, call)
		if err != nil {
			return err
		}
		if d.Allowed {
			l.metrics.waited(ctx, call.api, time.Since(start))
			return nil
		}
		if time.Since(start)+d.Wait > l.lim.MaxWait {
			l.metrics.deferredCall(ctx, call.api)
			return &WaitError{API: call.api, Rule: d.Rule, After: d.Wait}
		}
		timer.Reset(d.Wait)
		select {
		case <-ctx.Done():
			return fmt.Errorf("ratelimit: %s: waiting for %s: %w", call.api, d.Rule, context.Cause(ctx))
		case <-timer.C:
		}
	}
}

// lastTry is one Allow for a call that used up MaxWait in the line.
func (l *Limiter) lastTry(ctx context.Context, call Call, start time.Time) error {
	d, err := l.allow(ctx, call)
	if err != nil {
		return err
	}
	if d.Allowed {
		l.metrics.waited(ctx, call.api, time.Since(start))
		return nil
	}
	l.metrics.deferredCall(ctx, call.api)
	return &WaitError{API: call.api, Rule: d.Rule, After: d.Wait}
}

// Pause refuses every call to api's app tier, on every replica, for d
// (at most two minutes): the platform said so with a 429. A store app's
// pause is its context's tenant's only. A later pause
// that ends sooner does not shorten an earlier one.
func (l *Limiter) Pause(ctx context.Context, api API, d time.Duration) error {
	if l.off() || d <= 0 {
		return nil
	}
	d = min(d, maxPause)
	call, err := l.scope(ctx, Call{api: api})
	if err != nil {
		return err
	}
	var nowMS int64
	if l.now != nil {
		nowMS = l.now().UnixMilli()
	}
	if _, err := runPause(ctx, l.rdb, nowMS, l.prefix+pauseKeyOf(call), d); err != nil {
		return fmt.Errorf("ratelimit: pause %s for %s: %w", api, d, err)
	}
	l.metrics.paused(api)
	return nil
}
