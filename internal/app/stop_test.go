package app

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/botd/botd/internal/feishusim"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/jobs"
	"github.com/botd/botd/internal/state/statetest"
)

// newTestApp builds botd against a fresh simulator and Redis (the in-process
// store unless BOTD_TEST_REDIS_URL is set), not yet started.
func newTestApp(t *testing.T, edit func(*Config)) *App {
	t.Helper()
	sim := feishusim.New(feishusim.Options{AppID: "cli_stoptest000001", AppSecret: "stop-secret"})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	cfg := Config{
		Addr:              "127.0.0.1:0",
		AppID:             "cli_stoptest000001",
		AppSecret:         "stop-secret",
		VerificationToken: "stop-token",
		EncryptKey:        "stop-key",
		OpenBaseURL:       srv.URL,
		RedisURL:          statetest.URL(t),
	}
	if edit != nil {
		edit(&cfg)
	}
	a, err := New(context.Background(), cfg, zaptest.NewLogger(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // a no-op for a test that stopped it
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.Stop(ctx)
	})
	return a
}

// stuckRunner runs the engine's jobs, except that a finish job for id
// "itx_stuck" blocks until released, ignoring its context: a job stuck far
// longer than any shutdown budget.
type stuckRunner struct {
	jobs.Runner
	started chan struct{}
	release chan struct{}
}

func (r *stuckRunner) RunJob(ctx context.Context, kind flows.JobKind, id string) error {
	if kind == flows.JobFinish && id == "itx_stuck" {
		close(r.started)
		<-r.release
		return nil
	}
	return r.Runner.RunJob(ctx, kind, id)
}

// startStuck starts a with a job stuck in a worker.
func startStuck(t *testing.T, a *App) *stuckRunner {
	t.Helper()
	r := &stuckRunner{Runner: a.runner, started: make(chan struct{}), release: make(chan struct{})}
	a.runner = r
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := a.queue.Enqueue(context.Background(), flows.JobFinish, "itx_stuck"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-r.started:
	case <-time.After(10 * time.Second):
		t.Fatal("the stuck job did not start")
	}
	return r
}

// refused reports whether nothing serves on addr any more.
func refused(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return true
	}
	conn.Close()
	return false
}

// BOTD_SHUTDOWN_TIMEOUT bounds the whole stop, jobs included: with a job
// that never ends, Stop returns within the configured timeout (plus a
// generous margin; before, it waited the job queue's own 10 s), nothing
// serves HTTP any more, and the job is handed back to the queue for another
// worker.
func TestStopWithAStuckJobKeepsTheShutdownTimeout(t *testing.T) {
	const budget = 2 * time.Second
	a := newTestApp(t, func(c *Config) { c.ShutdownTimeout = budget; c.MetricsAddr = "127.0.0.1:0" })
	r := startStuck(t, a)
	defer close(r.release)
	addr, metricsAddr := a.Addr(), a.MetricsAddr()

	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	start := time.Now()
	err := a.Stop(ctx)
	if took := time.Since(start); took > budget+5*time.Second {
		t.Errorf("Stop took %v with a %v shutdown timeout", took, budget)
	}
	if err != nil {
		t.Errorf("Stop = %v; the job workers should have stopped within their share of the budget", err)
	}
	for _, addr := range []string{addr, metricsAddr} {
		if !refused(addr) {
			t.Errorf("%s still accepts connections after Stop", addr)
		}
	}
}

// Stop returns by its context's deadline whatever is stuck, even when the
// configured timeout (here none: the queue's 10 s default) is longer; Redis
// is then left open under the still-stopping workers rather than closed.
func TestStopReturnsByItsDeadline(t *testing.T) {
	a := newTestApp(t, nil)
	r := startStuck(t, a)

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	err := a.Stop(ctx)
	if took := time.Since(start); took > 6*time.Second {
		t.Errorf("Stop took %v with a 1s deadline", took)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Stop = %v, want the deadline's error", err)
	}
	if !refused(a.Addr()) {
		t.Error("the HTTP server still accepts connections after Stop")
	}

	// Let the job go and wait for the workers, then close Redis ourselves.
	close(r.release)
	wctx, wcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer wcancel()
	if err := a.queue.Shutdown(wctx); err != nil {
		t.Fatal(err)
	}
	_ = a.redis.Close()
}

// With BOTD_METRICS_ADDR set, /metrics is served there only: the main
// listener answers 404 for it, and the metrics listener serves nothing else.
func TestMetricsOnTheirOwnListener(t *testing.T) {
	get := func(t *testing.T, url string) int {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tt := range []struct {
		name        string
		metricsAddr string
		own         bool
	}{
		{"default: the main listener", "", false},
		{"own listener", "127.0.0.1:0", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := newTestApp(t, func(c *Config) { c.MetricsAddr = tt.metricsAddr })
			if err := a.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if err := a.Stop(ctx); err != nil {
					t.Errorf("Stop: %v", err)
				}
			})
			main, metrics := "http://"+a.Addr(), "http://"+a.MetricsAddr()
			if (main != metrics) != tt.own {
				t.Fatalf("MetricsAddr %s, Addr %s", a.MetricsAddr(), a.Addr())
			}
			if got := get(t, metrics+"/metrics"); got != http.StatusOK {
				t.Errorf("GET %s/metrics = %d, want 200", metrics, got)
			}
			if got := get(t, main+"/healthz"); got != http.StatusOK {
				t.Errorf("GET /healthz = %d, want 200", got)
			}
			if !tt.own {
				return
			}
			if got := get(t, main+"/metrics"); got != http.StatusNotFound {
				t.Errorf("GET /metrics on the main listener = %d, want 404", got)
			}
			for _, path := range []string{"/healthz", "/readyz", "/webhook/event"} {
				if got := get(t, metrics+path); got != http.StatusNotFound {
					t.Errorf("GET %s on the metrics listener = %d, want 404", path, got)
				}
			}
		})
	}
}
