package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/botd/botd/internal/ephemeral"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/jobs"
	"github.com/botd/botd/internal/state"
	"github.com/botd/botd/internal/tenant"
)

// A store app (应用商店应用, BOTD_APP_TYPE=store) serves every tenant that
// installed it, at once. What differs from a self-built app is wired here:
// the bot's open_id is learnt per tenant, and a tenant that removes the
// app has everything botd keeps for it deleted, by a job. Every other
// package learns the mode at construction (New) and scopes its keys,
// tokens and rate-limit windows by the tenant of each context.

// App types (Config.AppType).
const (
	AppTypeSelfBuilt = ephemeral.AppTypeSelfBuilt // 企业自建应用: one tenant (the default)
	AppTypeStore     = ephemeral.AppTypeStore     // 应用商店应用: many tenants
)

// storeApp reports whether cfg is a store app's.
func (c Config) storeApp() bool { return c.AppType == AppTypeStore }

// checkAppType refuses an unknown app type, and a store app on the long
// connection, which the platform offers to self-built apps only
// (feishu-platform.md §5).
func checkAppType(cfg Config) error {
	switch cfg.AppType {
	case "", AppTypeSelfBuilt:
		return nil
	case AppTypeStore:
		if cfg.longConnection() {
			return errors.New("app type store: event mode websocket is for self-built apps only; use event mode webhook")
		}
		return nil
	}
	return fmt.Errorf("app type %q: want %q or %q", cfg.AppType, AppTypeSelfBuilt, AppTypeStore)
}

// botFailTTL is how long a failed bot info lookup of a tenant is not
// retried: commands meanwhile tell mentions of the bot apart by position,
// as a self-built app's do until its id is known.
const (
	botFailTTL     = 30 * time.Second
	botLookupLimit = 500 * time.Millisecond
	maxBotTenants  = 100_000
)

// botLookup is the part of the Open API client tenantBots calls.
type botLookup interface {
	BotOpenID(ctx context.Context) (string, error)
}

// tenantBots is flows.Deps.BotOpenID for a store app: the bot's open_id in
// each tenant, asked for the first time a tenant's command is parsed (one
// lookup per tenant and process at a time; the others wait for it) and
// kept; a failure is kept for botFailTTL.
type tenantBots struct {
	open botLookup
	log  *zap.Logger
	base context.Context // ends when the app stops

	mu  sync.Mutex
	ids map[string]*botEntry
}

type botEntry struct {
	done      chan struct{} // closed when the lookup ends
	id        string
	failUntil time.Time
}

func newTenantBots(base context.Context, open botLookup, log *zap.Logger) *tenantBots {
	return &tenantBots{open: open, log: log, base: base, ids: map[string]*botEntry{}}
}

// get returns the bot's open_id in the tenant, or "" while it cannot be
// had.
func (b *tenantBots) get(tenantKey string) string {
	if tenant.Check(tenantKey) != nil {
		return ""
	}
	b.mu.Lock()
	e, ok := b.ids[tenantKey]
	if ok {
		select {
		case <-e.done:
			if e.id == "" && time.Now().After(e.failUntil) {
				ok = false // failed long enough ago: ask again
			}
		default:
		}
	}
	if !ok {
		if len(b.ids) >= maxBotTenants {
			b.ids = map[string]*botEntry{} // crude but bounded: start over
		}
		e = &botEntry{done: make(chan struct{})}
		b.ids[tenantKey] = e
		go b.lookup(tenantKey, e)
	}
	b.mu.Unlock()
	select {
	case <-e.done:
	case <-time.After(botLookupLimit):
		return "" // the lookup goes on for the next command
	}
	return e.id
}

func (b *tenantBots) lookup(tenantKey string, e *botEntry) {
	ctx, cancel := context.WithTimeout(tenant.With(b.base, tenantKey), 10*time.Second)
	defer cancel()
	id, err := b.open.BotOpenID(ctx)
	if err != nil {
		b.log.Warn("cannot fetch the bot's info in a tenant yet; mentions of the bot there are told apart by position until then",
			zap.String("tenant_key", tenantKey), zap.Error(err))
		e.failUntil = time.Now().Add(botFailTTL)
	} else {
		e.id = id
		b.log.Info("bot identity resolved", zap.String("tenant_key", tenantKey), zap.String("bot_open_id", id))
	}
	close(e.done)
}

// forget drops the tenant's bot id (the tenant removed the app).
func (b *tenantBots) forget(tenantKey string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.ids, tenantKey)
}

// jobTenantRemoved deletes what botd keeps for a tenant that removed the
// app (tenantRunner). It runs as a job, not in the removal event's
// request: a SCAN of a big keyspace takes longer than the platform waits
// for an answer, and a job is retried until it is done. Its id says which
// sweep it is (removalNow, removalLate); its tenant is the job's.
const (
	jobTenantRemoved flows.JobKind = "tenant_removed"
	removalNow                     = "now"
	removalLate                    = "late"
	// removalLateAfter is when the second sweep runs: after every job of
	// the tenant that was running at the first has ended (JobTimeout) and
	// written whatever it was writing.
	removalLateAfter = time.Minute
	// removedMarkTTL bounds how long a removal stays marked: the late sweep
	// runs only while it is (a reinstall clears it, so that the sweep never
	// deletes a new installation's state).
	removedMarkTTL = 10 * time.Minute
)

func removedMark(tenantKey string) string { return "tenant_removed:" + tenantKey }

// tenantRunner is the job runner of a store app: the engine, and the
// removal of tenants.
type tenantRunner struct {
	*flows.Engine
	store   *state.Store
	appKeys *state.Cache // the app's own cache (unscoped): removal marks
	open    interface {
		ForgetTenant(ctx context.Context, tenantKey string) error
	}
	bots  *tenantBots
	queue *jobs.Queue
	log   *zap.Logger
}

// removalSpec is the removal job's policy: bulk, and retried for a while
// (each run goes on where the last one stopped: RemoveTenant is
// idempotent).
var removalSpec = flows.JobSpec{Kind: jobTenantRemoved, Priority: flows.PriorityBulk, MaxRetry: 10}

// JobSpecs implements the queue's discovery of kinds: the engine's and the
// removal job.
func (r *tenantRunner) JobSpecs() []flows.JobSpec {
	return append(r.Engine.JobSpecs(), removalSpec)
}

// RunJob implements jobs.Runner.
func (r *tenantRunner) RunJob(ctx context.Context, kind flows.JobKind, id string) error {
	if kind != jobTenantRemoved {
		return r.Engine.RunJob(ctx, kind, id)
	}
	key, err := tenant.Require(ctx)
	if err != nil {
		return flows.Permanent(err)
	}
	if id == removalLate {
		mark, err := r.appKeys.Get(ctx, removedMark(key))
		if err != nil {
			return err
		}
		if mark == "" {
			r.log.Info("tenant removal: second sweep skipped: the tenant installed the app again", zap.String("tenant_key", key))
			return nil
		}
	}
	start := time.Now()
	n, err := r.store.RemoveTenant(ctx, key)
	log := r.log.With(zap.String("tenant_key", key), zap.String("sweep", id), zap.Int("keys", n.Keys),
		zap.Int("schedules", n.Due), zap.Int("ambiguous", n.Ambiguous), zap.Duration("took", time.Since(start)))
	if err != nil {
		log.Warn("tenant removal: cleanup cut short; retrying", zap.Error(err))
		return err
	}
	if err := r.open.ForgetTenant(ctx, key); err != nil {
		log.Warn("tenant removal: cannot drop the tenant's token", zap.Error(err))
		return err
	}
	r.bots.forget(key)
	log.Info("tenant removal: the tenant's state is deleted")
	return nil
}

// AbandonJob implements jobs.Runner.
func (r *tenantRunner) AbandonJob(ctx context.Context, kind flows.JobKind, id string, cause error) {
	if kind != jobTenantRemoved {
		r.Engine.AbandonJob(ctx, kind, id, cause)
		return
	}
	key, _ := tenant.From(ctx)
	r.log.Error("tenant removal: gave up; the tenant's keys stay until they expire (records: 400 days) or the platform sends the removal again",
		zap.String("tenant_key", key), zap.String("sweep", id), zap.Error(cause))
}

// tenantRemoved is the webhook's OnTenantRemoved: it marks the removal and
// queues both sweeps. ctx carries the tenant.
func (r *tenantRunner) tenantRemoved(ctx context.Context, tenantKey string) error {
	ctx = tenant.With(ctx, tenantKey)
	if err := r.appKeys.Set(ctx, removedMark(tenantKey), time.Now().UTC().Format(time.RFC3339), removedMarkTTL); err != nil {
		return fmt.Errorf("tenant %s removed the app: %w", tenantKey, err)
	}
	if err := r.queue.Enqueue(ctx, jobTenantRemoved, removalNow); err != nil {
		return fmt.Errorf("tenant %s removed the app: %w", tenantKey, err)
	}
	if err := r.queue.EnqueueAfter(ctx, jobTenantRemoved, removalLate, removalLateAfter); err != nil {
		return fmt.Errorf("tenant %s removed the app: %w", tenantKey, err)
	}
	r.log.Info("tenant removed the app: deleting its state", zap.String("tenant_key", tenantKey))
	return nil
}

// tenantInstalled is the webhook's OnTenantInstalled: a tenant that comes
// back is no longer being removed.
func (r *tenantRunner) tenantInstalled(ctx context.Context, tenantKey string) error {
	if err := r.appKeys.Delete(ctx, removedMark(tenantKey)); err != nil {
		return fmt.Errorf("tenant %s installed the app: %w", tenantKey, err)
	}
	r.log.Info("tenant installed the app", zap.String("tenant_key", tenantKey))
	return nil
}

// startStoreApp says that botd runs as a store app and asks the platform
// for an app_ticket now, rather than within the hour: until one arrives no
// tenant token can be had, and every job waits (they are not lost).
func (a *App) startStoreApp(ctx context.Context) {
	a.log.Info("botd is a store app (BOTD_APP_TYPE=store): serving every tenant that installed it; " +
		"each tenant's state, jobs and tokens are kept apart by its tenant_key; " +
		"work waits until the platform pushes an app_ticket to the event URL")
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := a.open.ResendAppTicket(rctx); err != nil {
		a.log.Warn("cannot ask the platform to resend the app_ticket; it pushes one every hour, and botd asks again when it needs one",
			zap.Error(err))
	}
}

// storeHook is hook for a store app (tenants set), nil for a self-built one,
// which has no app events to hear.
func storeHook(tenants *tenantRunner, hook func(context.Context, string) error) func(context.Context, string) error {
	if tenants == nil {
		return nil
	}
	return hook
}
