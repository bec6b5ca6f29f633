package playground

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/botd/botd/internal/app"
	"github.com/botd/botd/internal/app/apptest"
	"github.com/botd/botd/internal/clock"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/ratelimit"
	"github.com/botd/botd/internal/state/statetest"
)

// testBotd runs botd as cmd/botd wires it (internal/app) on a free
// loopback port against the simulator sim, with sim's clock; with longConn,
// in websocket mode, and it returns once botd has opened the connection.
func testBotd(t *testing.T, sim *Simulator, longConn bool) (url string, fl []flows.Flow) {
	t.Helper()
	mode := app.EventModeWebhook
	if longConn {
		mode = app.EventModeWebSocket
	}
	bot := apptest.Start(t, app.Config{
		Addr:  "127.0.0.1:0",
		AppID: sim.Creds.AppID, AppSecret: sim.Creds.AppSecret,
		VerificationToken: sim.Creds.VerificationToken, EncryptKey: sim.Creds.EncryptKey,
		OpenBaseURL: sim.URL,
		RedisURL:    statetest.URL(t),
		Limits:      ratelimit.Limits{Off: true},
		Timezone:    time.UTC,
		Locale:      "en_us",
		JobWorkers:  4,
		EventMode:   mode,
	}, app.Options{Now: sim.Clock.Now})
	if longConn {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := sim.WaitLongConn(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return "http://" + bot.Addr(), bot.Flows()
}

// testPlayground is the playground's server over real HTTP, with botd and
// the simulator behind it.
func testPlayground(t *testing.T) (*Server, *httptest.Server) {
	t.Helper()
	return testPlaygroundIn(t, false)
}

// testPlaygroundIn is testPlayground with botd in websocket mode when
// longConn is set: the page's events then travel over the long connection.
func testPlaygroundIn(t *testing.T, longConn bool) (*Server, *httptest.Server) {
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
	botdURL, fl := testBotd(t, sim, longConn)
	pg, err := New(Options{Sim: sim, BotdURL: botdURL, Flows: fl, Log: log.Named("playground"), LongConn: longConn})
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
