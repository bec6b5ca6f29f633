package proctest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	startTimeout = 20 * time.Second // from exec to /healthz answering 200
	stopTimeout  = 30 * time.Second // SIGTERM to exit; botd drains for at most 15 s
	logTailLines = 60
)

// Process is the botd binary running as a child process on a fixed loopback
// port. Like a supervisor, a test may kill it and start it again on the same
// port, so the platform's URLs stay valid across restarts. Each start writes
// its own log file; the tails are dumped when the test fails.
type Process struct {
	t    *testing.T
	name string
	addr string
	env  []string
	// dir is the working directory (so no configs/botd.yaml is read) and
	// holds the log files; go test -artifacts keeps them.
	dir string
	// args are botd's command-line arguments (-config).
	args []string

	mu   sync.Mutex
	run  *run     // the current or last run; nil before the first Start
	logs []string // one file per start, oldest first
}

// run is one execution of the binary.
type run struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once cmd.Wait has returned
	err  error         // cmd.Wait's result, set before done is closed
}

func (r *run) exited() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// NewProcess prepares botd with the given BOTD_* variables (and none from
// the test's own environment) on a free loopback port. It does not start it.
// The test's cleanup stops it, and dumps its logs if the test failed.
func NewProcess(t *testing.T, name string, botdEnv map[string]string) *Process {
	t.Helper()
	p := &Process{t: t, name: name, addr: freeAddr(t), dir: t.ArtifactDir()}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BOTD_") {
			p.env = append(p.env, kv)
		}
	}
	p.env = append(p.env, "BOTD_ADDR="+p.addr)
	for k, v := range botdEnv {
		p.env = append(p.env, k+"="+v)
	}
	// Cleanups run last-in first-out: the dump is registered first so it
	// runs after the process has stopped and its logs are complete.
	t.Cleanup(func() {
		if t.Failed() {
			p.dumpLogs()
		}
	})
	t.Cleanup(func() {
		if err := p.Stop(); err != nil {
			t.Errorf("%s: %v", p.name, err)
		}
	})
	return p
}

// UseConfig makes botd read yaml as its config file (-config), for the
// blocks that have no environment variable (fair_use, quotas, flows).
func (p *Process) UseConfig(yaml string) {
	p.t.Helper()
	path := filepath.Join(p.t.TempDir(), "botd.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		p.t.Fatal(err)
	}
	p.args = []string{"-config", path}
}

// freeAddr returns a loopback address with a port nobody listens on now.
// Another program could take the port before botd binds it; on a test
// machine that is rare, and Start then fails with "address already in use".
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// URL is the base URL botd serves on, the same across restarts.
func (p *Process) URL() string { return "http://" + p.addr }

// Start runs the binary and waits until /healthz answers 200. It fails if
// the process is already running, exits, or is not healthy in time.
func (p *Process) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.run != nil && !p.run.exited() {
		return fmt.Errorf("%s: already running", p.name)
	}
	logPath := filepath.Join(p.dir, fmt.Sprintf("%s-%d.log", p.name, len(p.logs)+1))
	f, err := os.Create(logPath)
	if err != nil {
		return err
	}
	// The child gets its own copy of the descriptor, so ours can be closed
	// once it has started; the log survives a SIGKILL line by line.
	defer f.Close()
	cmd := exec.Command(botdBin, p.args...)
	cmd.Env, cmd.Dir = p.env, p.dir
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: start: %w", p.name, err)
	}
	r := &run{cmd: cmd, done: make(chan struct{})}
	go func() {
		r.err = cmd.Wait()
		close(r.done)
	}()
	p.run, p.logs = r, append(p.logs, logPath)
	if err := p.waitHealthy(r); err != nil {
		_ = r.cmd.Process.Kill()
		<-r.done
		return fmt.Errorf("%s: %w\n%s", p.name, err, tail(logPath, 20))
	}
	return nil
}

func (p *Process) waitHealthy(r *run) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-r.done:
			return fmt.Errorf("exited while starting: %v", r.err)
		default:
		}
		resp, err := client.Get(p.URL() + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("/healthz not 200 within %s (last error: %v)", startTimeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill sends SIGKILL, as a crash or the OOM killer would, and waits for the
// process to be gone. Nothing of botd's runs after it: no deferred code, no
// graceful shutdown, no lease released.
func (p *Process) Kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.run == nil || p.run.exited() {
		return
	}
	_ = p.run.cmd.Process.Signal(syscall.SIGKILL)
	<-p.run.done
}

// Stop sends SIGTERM and waits for a graceful exit. It reports a process
// that does not exit in time (then killed) or exits with an error; stopping
// a process that is not running does nothing.
func (p *Process) Stop() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.run
	if r == nil || r.exited() {
		return nil
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(stopTimeout):
		_ = r.cmd.Process.Kill()
		<-r.done
		return fmt.Errorf("did not exit within %s of SIGTERM; killed", stopTimeout)
	}
	if r.err != nil {
		return fmt.Errorf("exit after SIGTERM: %w", r.err)
	}
	return nil
}

// Logs returns the paths of the log files, one per start, oldest first.
func (p *Process) Logs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.logs...)
}

// grep returns the lines of every log file that contain any of needles,
// each prefixed with the file's name.
func (p *Process) grep(needles ...string) []string {
	var out []string
	for _, path := range p.Logs() {
		data, err := os.ReadFile(path)
		if err != nil {
			out = append(out, err.Error())
			continue
		}
		for line := range strings.Lines(string(data)) {
			for _, n := range needles {
				if strings.Contains(line, n) {
					out = append(out, filepath.Base(path)+": "+strings.TrimSpace(line))
					break
				}
			}
		}
	}
	return out
}

func (p *Process) dumpLogs() {
	for _, path := range p.Logs() {
		p.t.Logf("---- last %d lines of %s ----\n%s", logTailLines, filepath.Base(path), tail(path, logTailLines))
	}
}

// tail returns the last n lines of the file at path.
func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// sleep waits d or until ctx is done, reporting whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
