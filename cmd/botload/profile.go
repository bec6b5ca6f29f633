package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// profiler takes profiles of botd while a benchmark measures it, from the
// net/http/pprof endpoint a botd built with -tags pprof serves on
// BOTD_PPROF_ADDR (-pprof DIR builds it so and sets the address). Each
// profile goes to DIR as <benchmark>-<what>.pprof, for `go tool pprof`.
type profiler struct {
	dir    string
	addr   string // botd's pprof address, 127.0.0.1:port
	client *http.Client
	stderr io.Writer
}

// newProfiler returns nil when profiling is off (no -pprof).
func newProfiler(dir, addr string, stderr io.Writer) *profiler {
	if dir == "" || addr == "" {
		return nil
	}
	return &profiler{dir: dir, addr: addr, client: &http.Client{Timeout: 5 * time.Minute}, stderr: stderr}
}

// cpu starts a CPU profile of d and returns a function that waits for it
// and writes it to DIR/name.pprof. A failed profile is reported on stderr:
// it does not fail the benchmark. nil-safe.
func (p *profiler) cpu(ctx context.Context, name string, d time.Duration) (wait func()) {
	if p == nil {
		return func() {}
	}
	secs := max(int(d.Round(time.Second)/time.Second), 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.fetch(ctx, name, fmt.Sprintf("/debug/pprof/profile?seconds=%d", secs))
	}()
	return func() { <-done }
}

// snapshot writes one of the runtime's profiles (heap, allocs, goroutine)
// to DIR/name.pprof. nil-safe.
func (p *profiler) snapshot(ctx context.Context, name, kind string) {
	if p == nil {
		return
	}
	p.fetch(ctx, name, "/debug/pprof/"+kind)
}

func (p *profiler) fetch(ctx context.Context, name, path string) {
	err := func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.addr+path, nil)
		if err != nil {
			return err
		}
		resp, err := p.client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("HTTP %d (is botd built with -tags pprof?)", resp.StatusCode)
		}
		f, err := os.Create(filepath.Join(p.dir, name+".pprof"))
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, resp.Body); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}()
	if err != nil {
		fmt.Fprintf(p.stderr, "botload: profile %s: %v\n", name, err)
	}
}
