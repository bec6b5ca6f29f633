package playground

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zaptest"

	"github.com/botd/botd/internal/clock"
	"github.com/botd/botd/internal/ephemeral"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/jobs"
	"github.com/botd/botd/internal/state"
	"github.com/botd/botd/internal/state/statetest"
	"github.com/botd/botd/internal/webhook"
)

// testBotd is botd wired from its packages the way cmd/botd's NewApp wires
// it (this package cannot import package main), serving its webhooks on an
// httptest server against the simulator sim. Pacing is left out: the tests
// send a handful of requests.
func testBotd(t *testing.T, sim *Simulator) (url string, fl []flows.Flow) {
	t.Helper()
	log := zaptest.NewLogger(t)
	rdb := statetest.Redis(t)
	open, err := ephemeral.New(ephemeral.Config{
		AppID: sim.Creds.AppID, AppSecret: sim.Creds.AppSecret, BaseURL: sim.URL,
		TokenCache: state.NewTokenCache(rdb),
	}, log.Named("openapi"))
	if err != nil {
		t.Fatal(err)
	}
	store := state.New(rdb, 0, sim.Clock.Now)
	reg := prometheus.NewRegistry()
	queue := jobs.New(rdb, jobs.Config{Metrics: reg, Concurrency: 4}, log)
	engine := flows.NewDefault(flows.Deps{
		Store: store, Sender: open, Jobs: queue, Outbox: store, Logger: log,
		BotOpenID: func() string { return sim.World.BotOpenID },
		Clock:     flows.Clock(sim.Clock.Now),
	})
	hooks, err := webhook.New(webhook.Config{
		AppID: sim.Creds.AppID, VerificationToken: sim.Creds.VerificationToken, EncryptKey: sim.Creds.EncryptKey,
	}, engine, store, log.Named("webhook"), reg)
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	hooks.Routes(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	if err := queue.Start(engine); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(queue.Shutdown)
	return srv.URL, engine.Flows()
}

// testPlayground is the playground's server over real HTTP, with botd and
// the simulator behind it.
func testPlayground(t *testing.T) (*Server, *httptest.Server) {
	t.Helper()
	log := zaptest.NewLogger(t)
	ctx := context.Background()
	sim, err := StartSimulator(ctx, NewCredentials(), DefaultWorld(), &clock.Offset{}, log.Named("feishusim"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := sim.Close(sctx); err != nil {
			t.Errorf("simulator: %v", err)
		}
	})
	botdURL, fl := testBotd(t, sim)
	pg, err := New(Options{Sim: sim, BotdURL: botdURL, Flows: fl, Log: log.Named("playground")})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(pg)
	t.Cleanup(func() {
		pg.Close()
		srv.Close()
	})
	return pg, srv
}
