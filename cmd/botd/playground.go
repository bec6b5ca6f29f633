package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/botd/botd/internal/app"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/botd/botd/internal/clock"
	"github.com/botd/botd/internal/playground"
	"github.com/botd/botd/internal/state"
)

// playgroundAddr is where the page listens unless -config or BOTD_ADDR say
// otherwise: loopback only, since the page sends signed events as anyone.
const playgroundAddr = "127.0.0.1:8080"

// longConnWait bounds how long the playground waits for botd to open the
// long connection to the simulator (BOTD_EVENT_MODE=websocket).
const longConnWait = 30 * time.Second

// runPlayground is `botd -playground`: botd on its embedded defaults (the
// in-process Redis-compatible store), the Feishu simulator in the same
// process, and the page that plays a group chat. It returns the exit code.
// BOTD_EVENT_MODE (or event_mode) chooses how the simulated platform
// delivers: to botd's webhooks, or over the long connection botd opens.
//
// The page acts as any member it plays, so it listens on loopback only:
// an address that is not (BOTD_ADDR=0.0.0.0:8080) is refused unless expose
// (-playground-expose) says the operator means it, and then botd warns.
func runPlayground(configPath string, expose bool, stdout, stderr io.Writer) int {
	creds := playground.NewCredentials()
	cfg, err := LoadConfig(configPath, playgroundEnv(os.LookupEnv, creds))
	if err != nil {
		fmt.Fprintf(stderr, "botd: config is invalid:\n%v\n", err)
		return 2
	}
	pageAddr := loopbackAddr(cfg.Addr)
	if !expose && !playground.IsLoopbackAddr(pageAddr) {
		fmt.Fprintf(stderr, "botd: the playground listens on loopback only, not %s: whoever reaches it can act as any member.\n"+
			"Use BOTD_ADDR=127.0.0.1:PORT, or add -playground-expose to serve it on the network anyway.\n", pageAddr)
		return 2
	}
	return untilSignal(cfg, stderr, func(ctx context.Context, log *zap.Logger) error {
		if expose && !playground.IsLoopbackAddr(pageAddr) {
			log.Warn("-playground-expose: the playground is served beyond loopback; anyone who reaches it can act as any member",
				zap.String("addr", pageAddr))
		}
		return servePlayground(ctx, cfg, pageAddr, expose, creds, log, stdout)
	})
}

// playgroundEnv is env with the playground's settings on top: the generated
// credentials (so every event is signed and encrypted), the in-process store
// and the documented quotas. The Open API base URL is the simulator's, set
// once it listens; "feishu" stands in for it until then.
func playgroundEnv(env func(string) (string, bool), c playground.Credentials) func(string) (string, bool) {
	forced := map[string]string{
		"BOTD_APP_ID":             c.AppID,
		"BOTD_APP_SECRET":         c.AppSecret,
		"BOTD_VERIFICATION_TOKEN": c.VerificationToken,
		"BOTD_ENCRYPT_KEY":        c.EncryptKey,
		"BOTD_OPEN_BASE_URL":      "feishu",
		"BOTD_REDIS_URL":          "",
		"BOTD_RATE_LIMITS":        "documented",
	}
	return func(key string) (string, bool) {
		if v, ok := forced[key]; ok {
			return v, true
		}
		v, ok := env(key)
		if key == "BOTD_ADDR" && !ok {
			return playgroundAddr, true
		}
		return v, ok
	}
}

// loopbackAddr keeps an address without a host (":8080" from a config file)
// on loopback.
func loopbackAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host != "" {
		return addr
	}
	return net.JoinHostPort("127.0.0.1", port)
}

// servePlayground runs the simulator, botd and the page until ctx ends.
func servePlayground(ctx context.Context, cfg Config, pageAddr string, expose bool, creds playground.Credentials, log *zap.Logger, stdout io.Writer) error {
	clk := &clock.Offset{} // one clock for botd and the simulator: fast-forward moves both
	sim, err := playground.StartSimulator(ctx, creds, playground.DefaultWorld(), clk, log.Named("feishusim"))
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := sim.Close(sctx); err != nil {
			log.Warn("simulator shutdown", zap.Error(err))
		}
	}()

	botCfg := cfg
	botCfg.Addr = "127.0.0.1:0" // botd itself is reached only by the simulated platform
	botCfg.OpenBaseURL = sim.URL
	if err := botCfg.Validate(); err != nil {
		return fmt.Errorf("playground config: %w", err)
	}
	bot, err := app.New(ctx, botCfg.App(), log, app.Options{Now: clk.Now})
	if err != nil {
		return err
	}
	if err := bot.Start(ctx); err != nil {
		_ = bot.Stop(context.Background())
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		if err := bot.Stop(sctx); err != nil {
			log.Warn("botd shutdown", zap.Error(err))
		}
	}()
	longConn := botCfg.EventMode == app.EventModeWebSocket
	if longConn {
		// The page's first message must find botd connected.
		wctx, cancel := context.WithTimeout(ctx, longConnWait)
		err := sim.WaitLongConn(wctx)
		cancel()
		if err != nil {
			return fmt.Errorf("playground: botd did not open the long connection: %w", err)
		}
	}

	page, err := playground.New(playground.Options{
		Sim: sim, BotdURL: "http://" + bot.Addr(), Flows: bot.Flows(), Log: log.Named("playground"),
		Exposed: expose, LongConn: longConn, Due: dueSet{bot.Redis()},
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", pageAddr)
	if err != nil {
		return fmt.Errorf("playground: listen on %s: %w", pageAddr, err)
	}
	srv := &http.Server{
		Handler:           page,
		ReadHeaderTimeout: 5 * time.Second,
		// No WriteTimeout: the page's event stream stays open.
		ErrorLog: zap.NewStdLog(log.Named("http")),
	}
	srv.RegisterOnShutdown(page.Close)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	how := "webhooks"
	if longConn {
		how = "the long connection"
	}
	fmt.Fprintf(stdout, "botd playground (events over %s): open http://%s/ (card preview: http://%s/preview; "+
		"the web app as a member: the Web app button in their column); Ctrl-C stops it\n",
		how, ln.Addr(), ln.Addr())

	var serveErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down the playground")
	case serveErr = <-served:
	case serveErr = <-bot.Served():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("playground: shutdown: %w", err)
	}
	if errors.Is(serveErr, http.ErrServerClosed) {
		serveErr = nil
	}
	return serveErr
}

// dueSet is the playground's view of botd's due set (state.DueKey): the
// earliest scheduled moment, for the page's "next due" button.
type dueSet struct{ rdb *redis.Client }

// NextDue implements playground.DueReader.
func (d dueSet) NextDue(ctx context.Context) (time.Time, bool, error) {
	first, err := d.rdb.ZRangeWithScores(ctx, state.DueKey, 0, 0).Result()
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read the due set: %w", err)
	}
	if len(first) == 0 {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(int64(first[0].Score)), true, nil
}
