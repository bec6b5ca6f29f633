// Package app wires botd: configuration in, a running server out. It is
// the only package that knows every other one; cmd/botd parses flags and
// files into an app.Config, and tests and the playground run the same
// wiring on a free port.
package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/botd/botd/internal/clock"
	"github.com/botd/botd/internal/ephemeral"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/builtin"
	"github.com/botd/botd/internal/jobs"
	"github.com/botd/botd/internal/longconn"
	"github.com/botd/botd/internal/ratelimit"
	"github.com/botd/botd/internal/requestid"
	"github.com/botd/botd/internal/schedule"
	"github.com/botd/botd/internal/state"
	"github.com/botd/botd/internal/webapp"
	"github.com/botd/botd/internal/webhook"
)

// Config is what botd runs with, already validated and typed (cmd/botd
// reads it from the file and the environment).
type Config struct {
	Addr              string // listen address
	AppID, AppSecret  string
	VerificationToken string
	EncryptKey        string // empty: no encryption and no signatures
	OpenBaseURL       string // feishu, lark, or an http(s) URL
	RedisURL          string // empty: the in-process store
	Admins            []string
	Rules             map[string]flows.Rule     // who may start each flow; none: anyone
	Templates         map[string]flows.Template // card-builder final cards, by flow
	Limits            ratelimit.Limits
	Timezone          *time.Location // default zone for dates in commands
	Locale            string         // default card language
	JobWorkers        int
	// PreviousEncryptKey and PreviousVerificationToken are accepted besides
	// the current ones during a rotation (webhook.Config); empty: none.
	PreviousEncryptKey, PreviousVerificationToken string
	// OrphanAfter is how long a job's worker may miss its heartbeats before
	// the job is run again elsewhere (jobs.Config.OrphanAfter); zero: 10 s.
	OrphanAfter time.Duration
	// LegacyCardCallbacks accepts the older card request URL format on
	// /webhook/card (signed with the verification token only).
	LegacyCardCallbacks bool
	MetricsAddr         string        // empty: /metrics on Addr
	FairUse             flows.FairUse // commands per member and chat
	// ShutdownTimeout is the budget Stop is given (BOTD_SHUTDOWN_TIMEOUT);
	// the job workers wait for running jobs for most of it. Zero: the job
	// queue's own default. Stop is bounded by its ctx either way.
	ShutdownTimeout time.Duration

	// EventMode is EventModeWebhook (empty means it) or EventModeWebSocket.
	EventMode string

	// AppType is AppTypeSelfBuilt (empty means it) or AppTypeStore: a store
	// app serves many tenants, every key, job and token scoped by tenant
	// (store.go). A store app takes events over webhooks only.
	AppType string

	// WebApp configures the web app at /app/ (session life, proxy trust,
	// page hosts); its AppID and Now are filled in by New.
	WebApp webapp.Config
}

// App is botd, wired: the HTTP server, the flow engine, the scheduler and
// the job workers on one Redis.
type App struct {
	cfg     Config
	log     *zap.Logger
	redis   *state.Conn
	open    *ephemeral.Client
	queue   *jobs.Queue
	engine  *flows.Engine
	sched   *schedule.Scheduler
	server  *http.Server
	ln      net.Listener
	metrics *http.Server // nil: /metrics is served on server
	metLn   net.Listener // metrics' listener, once started
	runner  jobs.Runner  // what the job workers run: the engine
	served  chan error
	botID   botIdentity
	stopped chan struct{}

	stopOnce sync.Once
	onStop   []func(context.Context) error // teardown, run in reverse order

	recv *longconn.Receiver // websocket mode's long connection; nil in webhook mode

	bots *tenantBots // a store app's bot open_id per tenant; nil for a self-built app

	// backfill puts records older than the member indexes into them, once
	// (flows.Engine.BackfillMemberIndexes); Start runs it in the background.
	backfill func(context.Context) error
}

// Options are what tests and the playground change about botd beyond its
// Config.
type Options struct {
	// Now is botd's clock [time.Now]. The playground moves it forward to
	// show a reminder firing without waiting for it.
	Now clock.Func
}

// New builds botd from cfg. It connects to Redis but does not listen or run
// jobs until Start.
func New(ctx context.Context, cfg Config, log *zap.Logger, opts Options) (_ *App, err error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	a := &App{cfg: cfg, log: log, served: make(chan error, 1), stopped: make(chan struct{})}
	defer func() {
		if err != nil {
			_ = a.teardown(context.Background())
		}
	}()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	a.redis, err = state.Connect(ctx, cfg.RedisURL, log.Named("state"))
	if err != nil {
		return nil, err
	}
	a.onStop = append(a.onStop, func(context.Context) error { return a.redis.Close() })

	if err := checkAppType(cfg); err != nil {
		return nil, err
	}
	// A store app's state is every tenant's, each under its own keys; a
	// self-built app's keys stay as they always were.
	scoped := state.WithTenants(cfg.storeApp())
	a.open, err = ephemeral.New(ephemeral.Config{
		AppType:    cfg.AppType,
		AppID:      cfg.AppID,
		AppSecret:  cfg.AppSecret,
		BaseURL:    cfg.OpenBaseURL,
		TokenCache: state.NewCache(a.redis.Client),
		Now:        opts.Now, // the token's expiry is judged on botd's clock
	}, log.Named("openapi"))
	if err != nil {
		return nil, err
	}
	a.onStop = append(a.onStop, func(context.Context) error { a.open.Close(); return nil })

	store := state.New(a.redis.Client, 0, opts.Now, scoped)
	limiter, err := ratelimit.New(a.redis.Client, cfg.Limits, ratelimit.Options{Registerer: reg, Logger: log.Named("ratelimit"),
		PerTenant: cfg.storeApp()})
	if err != nil {
		return nil, err
	}
	a.queue = jobs.New(a.redis.Client, jobs.Config{Metrics: reg, Concurrency: cfg.JobWorkers, PollInterval: jobPollInterval,
		ShutdownTimeout: jobsShutdownTimeout(cfg.ShutdownTimeout), OrphanAfter: cfg.OrphanAfter, Tenants: cfg.storeApp()}, log)
	schedMetrics := schedule.NewMetrics(reg)
	lookups := pacedLookups{open: a.open, l: limiter}
	members := newMemberDirectory(lookups, state.NewMembers(a.redis.Client, memberTTLs, nil, scoped), log.Named("members"))
	a.onStop = append(a.onStop, func(context.Context) error { members.Close(); return nil })
	chats := &chatDirectory{open: lookups, cache: state.NewCache(a.redis.Client, scoped), ttl: chatInfoTTL, log: log.Named("chats")}
	botOpenID := func(string) string { return a.botID.get() }
	if cfg.storeApp() {
		bctx, cancel := context.WithCancel(context.Background())
		a.onStop = append(a.onStop, func(context.Context) error { cancel(); return nil })
		a.bots = newTenantBots(bctx, a.open, log.Named("bots"))
		botOpenID = a.bots.get
	}
	a.engine = flows.New(flows.Deps{
		Store:           store,
		Records:         store,
		Due:             store,
		Sender:          ratelimit.NewSender(a.open, limiter),
		Jobs:            a.queue,
		Logger:          log,
		BotOpenID:       botOpenID,
		DefaultLocale:   cfg.Locale,
		DefaultTimezone: cfg.Timezone,
		Outbox:          store,
		Clock:           flows.Clock(opts.Now),
		Admins:          adminSet(cfg.Admins),
		Chats:           chats,
		Members:         members,
		Shares:          store,
		FairUse:         cfg.FairUse,
		FairUseCounter:  state.NewFairUse(a.redis.Client, scoped),
		Rules:           cfg.Rules,
		Templates:       cfg.Templates,
		TemplateCard: func(t flows.Template, vars map[string]any) any {
			return ephemeral.TemplateCard{ID: t.ID, VersionName: t.VersionName, Variables: vars}
		},
		ObserveLateness: schedMetrics.ObserveLateness,
	}, builtin.Flows()...)
	// Every replica runs a scheduler: they race harmlessly (see package
	// schedule), and any one of them alive keeps reminders firing.
	a.sched = schedule.New(store, a.engine.EnqueueDue, schedule.Config{Now: opts.Now, Metrics: schedMetrics}, log)
	a.runner = a.engine
	var tenants *tenantRunner // a store app's: the engine, and tenants' removal
	if cfg.storeApp() {
		tenants = &tenantRunner{Engine: a.engine, store: store, appKeys: state.NewCache(a.redis.Client), open: a.open,
			bots: a.bots, queue: a.queue, log: log.Named("tenants")}
		a.runner = tenants
	}
	// The queue takes the kinds the flows declare, with their policies; a
	// bad or conflicting declaration stops botd here.
	if err := a.queue.Register(a.runner.(interface{ JobSpecs() []flows.JobSpec }).JobSpecs()...); err != nil {
		return nil, err
	}

	if err := checkEventMode(cfg.EventMode); err != nil {
		return nil, err
	}
	hooks, err := webhook.New(webhook.Config{
		AppID:               cfg.AppID,
		VerificationToken:   cfg.VerificationToken,
		EncryptKey:          cfg.EncryptKey,
		LegacyCardCallbacks: cfg.LegacyCardCallbacks,
		LongConnection:      cfg.longConnection(),
		// A rotation's previous secrets; empty: none.
		PreviousEncryptKey:        cfg.PreviousEncryptKey,
		PreviousVerificationToken: cfg.PreviousVerificationToken,
		StoreApp:                  cfg.storeApp(),
		OnAppTicket:               storeHook(tenants, func(ctx context.Context, ticket string) error { return a.open.SetAppTicket(ctx, ticket) }),
		OnTenantRemoved:           storeHook(tenants, func(ctx context.Context, key string) error { return tenants.tenantRemoved(ctx, key) }),
		OnTenantInstalled:         storeHook(tenants, func(ctx context.Context, key string) error { return tenants.tenantInstalled(ctx, key) }),
	}, a.engine, store, log.Named("webhook"), reg)
	if err != nil {
		return nil, err
	}
	if cfg.longConnection() {
		if a.recv, err = newReceiver(cfg, hooks, log, reg); err != nil {
			return nil, err
		}
	}

	r := chi.NewRouter()
	// requestid rather than chi's RequestID: it keeps a client's X-Request-Id
	// only if it is short and safe, so no request can grow a log line.
	r.Use(requestid.Middleware, middleware.Recoverer)
	if a.recv == nil {
		hooks.Routes(r) // websocket mode: the events arrive on the long connection
	}
	webCfg := cfg.WebApp
	webCfg.AppID, webCfg.Now, webCfg.DefaultLocale = cfg.AppID, opts.Now, cfg.Locale
	webCfg.StoreApp = cfg.storeApp()
	webapp.New(webCfg, webapp.Deps{Open: a.open, Cache: state.NewCache(a.redis.Client, scoped), Records: store, Engine: a.engine, Chats: chats},
		log.Named("webapp")).Routes(r)
	a.backfill = func(ctx context.Context) error { return a.engine.BackfillMemberIndexes(ctx, store) }
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) { writeText(w, http.StatusOK, "ok") })
	r.Get("/readyz", a.handleReady)
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	if cfg.MetricsAddr == "" {
		r.Handle("/metrics", metrics)
	} else {
		a.metrics = newMetricsServer(metrics, log)
	}

	a.server = &http.Server{
		Handler: r,
		// The platform gives us 3 s per request; nothing legitimate is slower.
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          zap.NewStdLog(log.Named("http")),
	}
	return a, nil
}

// Start listens on the configured address and starts the job workers.
func (a *App) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.Addr, err)
	}
	a.ln = ln
	if a.metrics != nil {
		if a.metLn, err = net.Listen("tcp", a.cfg.MetricsAddr); err != nil {
			_ = ln.Close()
			return fmt.Errorf("listen for metrics on %s: %w", a.cfg.MetricsAddr, err)
		}
	}
	if err := a.queue.Start(a.runner); err != nil {
		_ = ln.Close()
		if a.metLn != nil {
			_ = a.metLn.Close()
		}
		return err
	}
	a.sched.Start()
	// One step stops everything that serves, at once, so the job workers'
	// wait (jobs.Config.ShutdownTimeout) runs alongside the HTTP drain
	// rather than after it. Redis and the clients close after it (they were
	// registered earlier), so in-flight handlers and jobs never see them
	// torn down under them.
	a.onStop = append(a.onStop, a.stopServing)

	go a.serve(a.server, ln)
	if a.metrics != nil {
		go a.serve(a.metrics, a.metLn)
	}
	if a.cfg.storeApp() {
		go a.startStoreApp(ctx)
	} else {
		go a.botID.resolve(ctx, a.open, a.log, a.stopped)
	}
	go a.runBackfill()
	a.startReceiving(ctx)
	a.log.Info("botd listening", zap.String("addr", ln.Addr().String()), zap.String("metrics_addr", a.MetricsAddr()),
		zap.Bool("in_process_redis", a.redis.Embedded), zap.Stringer("redis", a.redis.Kind), zap.String("open_base_url", a.cfg.OpenBaseURL))
	return nil
}

// serve runs srv on ln and reports its exit on served; only the first exit
// is kept (that is the one Served's reader acts on), so a second server
// ending never blocks.
func (a *App) serve(srv *http.Server, ln net.Listener) {
	err := srv.Serve(ln)
	select {
	case a.served <- err:
	default:
	}
}

// stopServing stops the HTTP servers, the scheduler and the job workers
// together, each within ctx: a step still running when ctx ends is left
// behind (a server's open connections are closed) so that Stop returns in
// time.
func (a *App) stopServing(ctx context.Context) error {
	steps := []func(context.Context) error{
		func(ctx context.Context) error { return shutdownServer(ctx, a.server) },
		a.stopReceiving,
		func(context.Context) error { a.sched.Stop(); return nil },
		a.queue.Shutdown,
	}
	if a.metrics != nil {
		steps = append(steps, func(ctx context.Context) error { return shutdownServer(ctx, a.metrics) })
	}
	errs := make([]error, len(steps))
	var wg sync.WaitGroup
	for i, step := range steps {
		wg.Go(func() { errs[i] = within(ctx, step) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// shutdownServer drains srv within ctx, then closes whatever connections
// are still open, so that no handler goes on serving after Stop.
func shutdownServer(ctx context.Context, srv *http.Server) error {
	err := srv.Shutdown(ctx)
	if err != nil {
		_ = srv.Close()
	}
	return err
}

// within runs step and waits for it until ctx ends; a step that outlives
// ctx keeps running in the background, and its lateness is the error.
func within(ctx context.Context, step func(context.Context) error) error {
	done := make(chan error, 1)
	go func() { done <- step(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("shutdown step still running at the deadline: %w", context.Cause(ctx))
	}
}

// jobsShutdownTimeout is how long the job workers wait for running jobs out
// of a total shutdown budget: most of it, leaving the rest for handing the
// jobs still running back to the queue and closing Redis. Zero leaves the
// queue's default.
func jobsShutdownTimeout(total time.Duration) time.Duration {
	return total * 4 / 5
}

// newMetricsServer serves /metrics alone, on its own listener
// (BOTD_METRICS_ADDR), so that it can be kept off the public address.
func newMetricsServer(h http.Handler, log *zap.Logger) *http.Server {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	return &http.Server{
		Handler: mux,
		// A scrape is a small GET; a client slower than this is stuck.
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          zap.NewStdLog(log.Named("metrics_http")),
	}
}

// Nudge makes the scheduler look for due reminders now, rather than at its
// next tick (half a second): call it after moving AppOptions.Now forward.
func (a *App) Nudge() { a.sched.Nudge() }

// adminSet is the Admins of flows.Deps for the configured BOTD_ADMINS: the
// same members in every chat. The chat's owner and managers join them in
// the engine, from chatDirectory.
func adminSet(ids []string) func(chatID, openID string) bool {
	set := make(map[string]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	return func(_, openID string) bool { return set[openID] }
}

// jobPollInterval is how often an idle job worker looks for work. asynq
// polls rather than blocks, and sleeps between ½ and 1½ of this after
// finding the queues empty, so it is most of what a member waits between
// pressing Submit and the group card appearing: at 5 ms that wait stays
// under 8 ms (issue 14: submit → group post p99 ≤ 15 ms; at the queue's
// 20 ms default it was 30 ms). The price is paid while idle: about 175
// looks a second per replica, each a short script per queue on Redis
// (some 350 scripts a second, 0.3% of a Redis core; docs/benchmarks.md).
const jobPollInterval = 5 * time.Millisecond

// backfillTimeout bounds the member-index backfill of one start.
const backfillTimeout = 10 * time.Minute

// runBackfill runs the backfill until it ends, Stop begins or its time is
// up; a run cut short leaves no mark and the next start goes on.
func (a *App) runBackfill() {
	ctx, cancel := context.WithTimeout(context.Background(), backfillTimeout)
	defer cancel()
	go func() {
		select {
		case <-a.stopped:
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := a.backfill(ctx); err != nil && ctx.Err() == nil {
		a.log.Warn("member index backfill failed; the next start tries again", zap.Error(err))
	}
}

// Redis returns botd's Redis client on one server (or the Sentinel-managed
// primary), for tests and the playground that inspect its state; nil on a
// Redis Cluster, and without the URL's key_prefix. RedisClient works on
// every kind.
func (a *App) Redis() *redis.Client {
	c := a.redis.Client
	if p, ok := c.(interface{ Unwrap() redis.UniversalClient }); ok {
		c = p.Unwrap()
	}
	rc, _ := c.(*redis.Client)
	return rc
}

// RedisClient returns botd's Redis client as its packages use it: any kind
// of deployment, with the URL's key_prefix (state.KeyPrefix).
func (a *App) RedisClient() redis.UniversalClient { return a.redis.Client }

// Flows returns the flows botd runs (the playground lists their cards).
func (a *App) Flows() []flows.Flow { return a.engine.Flows() }

// Addr is the address the server listens on (useful with port 0).
func (a *App) Addr() string { return a.ln.Addr().String() }

// MetricsAddr is the address /metrics is served on: its own listener's
// when Config.MetricsAddr is set, else Addr.
func (a *App) MetricsAddr() string {
	if a.metLn != nil {
		return a.metLn.Addr().String()
	}
	return a.Addr()
}

// Served reports the server's exit: nil never, an error if it failed.
func (a *App) Served() <-chan error { return a.served }

// Stop drains in-flight requests and stops the scheduler and the job
// workers (together), then closes Redis, all within ctx: it returns by ctx's
// deadline even if a step is stuck. Jobs still running when the workers'
// wait ends are handed back to the queue and retried later, here or on
// another replica.
func (a *App) Stop(ctx context.Context) error {
	var err error
	a.stopOnce.Do(func() {
		close(a.stopped)
		err = a.teardown(ctx)
	})
	return err
}

func (a *App) teardown(ctx context.Context) error {
	var errs []error
	for i := len(a.onStop) - 1; i >= 0; i-- {
		err := within(ctx, a.onStop[i])
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
		if ctx.Err() != nil && i > 0 {
			// Out of time with a step maybe still running: leave Redis
			// and the clients open rather than close them under it (the
			// job workers crash on a closed Redis); the process is on its
			// way out.
			a.log.Warn("shutdown deadline reached; leaving Redis open", zap.Int("steps_skipped", i))
			errs = append(errs, fmt.Errorf("shutdown: %d steps skipped at the deadline", i))
			break
		}
	}
	return errors.Join(errs...)
}

// handleReady answers 200 when Redis answers, a tenant token can be had and,
// in websocket mode, the long connection is up. Load balancers call it; keep
// it cheap (the token is cached).
func (a *App) handleReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	if err := a.redis.Ping(ctx); err != nil {
		a.log.Warn("not ready: redis", zap.Error(err))
		writeText(w, http.StatusServiceUnavailable, "redis: unavailable")
		return
	}
	if err := a.open.Ready(ctx); err != nil {
		a.log.Warn("not ready: tenant token", zap.Error(err))
		writeText(w, http.StatusServiceUnavailable, "open platform: no tenant token")
		return
	}
	if why := a.receiving(); why != "" {
		writeText(w, http.StatusServiceUnavailable, why)
		return
	}
	writeText(w, http.StatusOK, "ready")
}

func writeText(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(msg + "\n"))
}

// botIdentity holds the bot's own open_id, needed to tell a mention of the
// bot from a mention of a person. It is fetched once after start, retrying
// in the background, so a platform outage at boot does not stop botd.
type botIdentity struct {
	mu sync.RWMutex
	id string
}

func (b *botIdentity) get() string {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.id
}

func (b *botIdentity) resolve(ctx context.Context, open *ephemeral.Client, log *zap.Logger, stop <-chan struct{}) {
	delay := time.Second
	for {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		id, err := open.BotOpenID(cctx)
		cancel()
		if err == nil {
			b.mu.Lock()
			b.id = id
			b.mu.Unlock()
			log.Info("bot identity resolved", zap.String("bot_open_id", id))
			return
		}
		log.Warn("cannot fetch bot info yet; mentions of the bot are told apart by position until then", zap.Error(err))
		select {
		case <-time.After(delay):
		case <-stop:
			return
		case <-ctx.Done():
			return
		}
		delay = min(2*delay, 5*time.Minute)
	}
}
