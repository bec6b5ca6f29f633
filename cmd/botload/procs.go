package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// proc is a server botload started as a child process: botd, or the bare
// handler. Both run as separate processes so that they pay the same
// process, scheduler and loopback costs.
type proc struct {
	name string
	cmd  *exec.Cmd
	addr string        // 127.0.0.1:port
	done chan struct{} // closed when the process has exited
	err  error         // its exit status, valid after done
}

// buildBotd compiles ./cmd/botd into dir, with the pprof build tag when
// profiling (internal/app/pprof.go). It needs the working directory to be
// inside the botd module (as `go run ./cmd/botload` is).
func buildBotd(ctx context.Context, dir string, pprof bool, stderr io.Writer) (string, error) {
	bin := filepath.Join(dir, "botd")
	args := []string{"build", "-o", bin}
	if pprof {
		args = append(args, "-tags", "pprof")
	}
	cmd := exec.CommandContext(ctx, "go", append(args, "github.com/botd/botd/cmd/botd")...)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build botd (pass -botd PATH to use a built binary): %w", err)
	}
	return bin, nil
}

// freeAddr returns a loopback address whose port was free a moment ago.
// Another process could take it before the child binds it; start then
// fails loudly rather than measuring the wrong server.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// startBotd runs the botd binary with exactly the given BOTD_* settings
// (inherited BOTD_* variables are dropped so the caller's shell cannot change
// what is measured) and waits until /readyz answers 200: Redis answers and a
// tenant token was had from the simulator. It runs in a fresh temporary
// working directory so that no configs/botd.yaml is picked up. config is
// the config file botd reads; "" turns fair use off and nothing else.
func startBotd(ctx context.Context, bin, workDir string, settings map[string]string, config string, stderr io.Writer) (*proc, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	env := make([]string, 0, len(os.Environ())+len(settings)+1)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BOTD_") {
			env = append(env, kv)
		}
	}
	env = append(env, "BOTD_ADDR="+addr)
	for k, v := range settings {
		env = append(env, k+"="+v)
	}
	// Fair use is off (a file-only block) unless the caller says otherwise:
	// the load's few simulated members stand for many, each sending far
	// more commands than a person would.
	if config == "" {
		config = "fair_use: {member_commands: 0, chat_commands: 0}\n"
	}
	configPath := filepath.Join(workDir, "botload-botd.yaml")
	if err := os.WriteFile(configPath, []byte(config), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-config", configPath)
	cmd.Env, cmd.Dir = env, workDir
	cmd.Stdout, cmd.Stderr = stderr, stderr
	p, err := start("botd", cmd, addr)
	if err != nil {
		return nil, err
	}
	if err := p.waitReady(ctx, "/readyz", 30*time.Second); err != nil {
		p.stop(5 * time.Second)
		return nil, err
	}
	return p, nil
}

// startBare runs this binary in -serve-bare mode: the ceiling the ingest
// benchmark compares botd with.
func startBare(ctx context.Context, stderr io.Writer) (*proc, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find botload's own binary: %w", err)
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-serve-bare", addr)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	p, err := start("bare handler", cmd, addr)
	if err != nil {
		return nil, err
	}
	if err := p.waitReady(ctx, "/healthz", 10*time.Second); err != nil {
		p.stop(5 * time.Second)
		return nil, err
	}
	return p, nil
}

func start(name string, cmd *exec.Cmd, addr string) (*proc, error) {
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, addr: addr, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// pid is the child's process id, for attaching a profiler (perf record -p).
func (p *proc) pid() int { return p.cmd.Process.Pid }

// waitReady polls path until it answers 200, the process exits, or limit
// passes.
func (p *proc) waitReady(ctx context.Context, path string, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	url := "http://" + p.addr + path
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		if resp, err := client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before it was ready: %v", p.name, p.err)
		case <-ctx.Done():
			return fmt.Errorf("%s not ready on %s within %v", p.name, url, limit)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop sends SIGTERM (botd drains in-flight requests and jobs) and kills the
// process if it has not exited within grace.
func (p *proc) stop(grace time.Duration) error {
	select {
	case <-p.done:
		return p.exitErr()
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop %s: %w", p.name, err)
	}
	select {
	case <-p.done:
		return p.exitErr()
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s did not stop within %v of SIGTERM; killed", p.name, grace)
	}
}

func (p *proc) exitErr() error {
	if p.err != nil {
		return fmt.Errorf("%s exited: %w", p.name, p.err)
	}
	return nil
}

// serveBare is the hidden -serve-bare mode: a net/http server that reads
// the request body and answers 200 with "{}" to everything, the cheapest
// answer a webhook can give. It runs until SIGTERM.
func serveBare(addr string, stderr io.Writer) int {
	if !isLoopback(addr) {
		fmt.Fprintf(stderr, "botload: -serve-bare: %s is not a 127.0.0.1 address\n", addr)
		return 2
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(stderr, "botload: -serve-bare: %v\n", err)
		return 1
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte("{}"))
		}),
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	ctx, stop := signalContext()
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "botload: -serve-bare: %v\n", err)
		return 1
	}
	return 0
}

// isLoopback reports whether hostport names 127.0.0.1 (or another loopback
// address): botload only ever sends load to servers on this machine.
func isLoopback(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
