package playground

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/botd/botd/internal/clock"
	"github.com/botd/botd/internal/feishusim"
)

// Simulator is the strict Open API simulator serving on its own loopback
// port, seeded with the World. botd reaches it over HTTP exactly as it
// reaches open.feishu.cn.
type Simulator struct {
	Sim   *feishusim.Server
	URL   string // base URL for botd's open_base_url
	Creds Credentials
	World World
	Clock *clock.Offset

	srv    *http.Server
	served chan error
}

// StartSimulator starts the simulator on 127.0.0.1 on a free port. Its clock
// is clk, the one botd runs on, so that fast-forwarding moves both.
func StartSimulator(ctx context.Context, creds Credentials, world World, clk *clock.Offset, log *zap.Logger) (*Simulator, error) {
	sim := feishusim.New(feishusim.Options{
		AppID:     creds.AppID,
		AppSecret: creds.AppSecret,
		AppName:   world.BotName,
		BotOpenID: world.BotOpenID,
		TenantKey: creds.TenantKey,
		Clock:     clk.Now,
		// botd paces itself to the documented quotas (rate_limits:
		// documented); the simulator holds it to them.
		EnforceRateLimits: true,
		Logger:            log,
	})
	world.Seed(sim)
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("playground: simulator listen: %w", err)
	}
	s := &Simulator{
		Sim: sim, URL: "http://" + ln.Addr().String(), Creds: creds, World: world, Clock: clk,
		srv: &http.Server{
			Handler:           sim,
			ReadHeaderTimeout: 5 * time.Second,
			ErrorLog:          zap.NewStdLog(log),
		},
		served: make(chan error, 1),
	}
	go func() { s.served <- s.srv.Serve(ln) }()
	log.Info("feishu simulator listening", zap.String("url", s.URL))
	return s, nil
}

// Platform returns the platform's sending side, delivering to botd's
// webhooks at botdURL with the app's credentials.
//
// It signs with the wall clock, not the shared one: botd checks the
// X-Lark-Request-Timestamp window against its own wall clock, so an event
// stamped after a fast-forward would be refused as a replay.
func (s *Simulator) Platform(botdURL string) *feishusim.Platform {
	return &feishusim.Platform{
		EventURL:          botdURL + "/webhook/event",
		CardURL:           botdURL + "/webhook/card",
		AppID:             s.Creds.AppID,
		TenantKey:         s.Creds.TenantKey,
		VerificationToken: s.Creds.VerificationToken,
		EncryptKey:        s.Creds.EncryptKey,
		Client:            &http.Client{Timeout: 10 * time.Second},
	}
}

// LongConnPlatform returns the platform's sending side for botd in
// websocket mode: every event and callback goes over the long connection
// botd opened to the simulator, plain JSON as the platform sends it there.
func (s *Simulator) LongConnPlatform() *feishusim.Platform {
	return &feishusim.Platform{
		LongConn:  s.Sim.LongConn(),
		AppID:     s.Creds.AppID,
		TenantKey: s.Creds.TenantKey,
	}
}

// WaitLongConn waits until botd has opened the long connection, or ctx ends.
func (s *Simulator) WaitLongConn(ctx context.Context) error {
	return s.Sim.LongConn().WaitConns(ctx, 1)
}

// Close stops the simulator's HTTP server within ctx, long connections
// included (Shutdown leaves hijacked connections alone).
func (s *Simulator) Close(ctx context.Context) error {
	s.Sim.LongConn().Close()
	if err := s.srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("playground: simulator shutdown: %w", err)
	}
	if err := <-s.served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("playground: simulator: %w", err)
	}
	return nil
}
