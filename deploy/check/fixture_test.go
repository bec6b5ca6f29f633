package check

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// repo is the repository root, found once.
var repo = sync.OnceValues(RepoRoot)

func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := repo()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func readRepoFile(t testing.TB, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// imageRun is what one run of the image's binary showed; several tests
// read it, so the binary is built and run once per test process.
type imageRun struct {
	img       Image
	bin       string // the binary the build stage made
	static    error
	uid       int    // the uid the process ran as, from /proc
	healthz   int    // status of GET /healthz
	readyz    int    // status of GET /readyz
	readyBody string //
	metrics   string // the /metrics body, after one refused webhook request
	exitErr   error  // how it ended after SIGTERM
	written   []string
	shutdown  time.Duration // the default BOTD_SHUTDOWN_TIMEOUT, from -check-config
	log       string
}

var runImageOnce = sync.OnceValues(runImage)

// buildDir holds the repeated build stage; TestMain removes it.
var buildDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

func image(t testing.TB) *imageRun {
	t.Helper()
	r, err := runImageOnce()
	if err != nil {
		t.Fatalf("build or run the image's binary: %v", err)
	}
	return r
}

// runImage repeats the Dockerfile's build stage on this machine, then
// starts the binary as the image would (its USER, a read-only working
// directory, only botd's environment) on its embedded defaults, with an
// Open API base URL nobody answers, and asks it what a probe and
// Prometheus would.
func runImage() (*imageRun, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	df, err := os.ReadFile(filepath.Join(root, "deploy", "Dockerfile"))
	if err != nil {
		return nil, err
	}
	img, errs := ParseDockerfile(df)
	if len(errs) > 0 {
		return nil, fmt.Errorf("deploy/Dockerfile: %w", errors.Join(errs...))
	}
	ignore, err := os.ReadFile(filepath.Join(root, "deploy", "Dockerfile.dockerignore"))
	if err != nil {
		return nil, err
	}
	patterns, err := ReadIgnoreFile(ignore)
	if err != nil {
		return nil, err
	}
	files, err := ContextFiles(root, patterns)
	if err != nil {
		return nil, err
	}
	build, err := os.MkdirTemp("", "botd-build-")
	if err != nil {
		return nil, err
	}
	buildDir = build
	bin, err := BuildImage(root, files, img, build)
	if err != nil {
		return nil, err
	}
	r := &imageRun{img: img, bin: bin, static: CheckStatic(bin)}

	rootfs, err := NewRootfs(bin, img)
	defer os.RemoveAll(rootfs.Dir)
	if err != nil {
		return nil, err
	}
	env := []string{
		"BOTD_APP_ID=cli_x", "BOTD_APP_SECRET=x", "BOTD_VERIFICATION_TOKEN=x",
		"BOTD_OPEN_BASE_URL=http://127.0.0.1:1", "BOTD_ADDR=127.0.0.1:0",
		"BOTD_LOG_FORMAT=json", "BOTD_SHUTDOWN_TIMEOUT=5s",
	}

	// The default shutdown timeout, as the binary itself reports it.
	var cfgOut bytes.Buffer
	cc, err := StartAsImage(rootfs, img, env[:4], &cfgOut, "-check-config")
	if err != nil {
		return nil, err
	}
	if err := cc.Wait(); err != nil {
		return nil, fmt.Errorf("-check-config: %w\n%s", err, cfgOut.String())
	}
	var eff struct {
		ShutdownTimeout string `yaml:"shutdown_timeout"`
	}
	if err := yaml.Unmarshal(bytes.TrimSuffix(cfgOut.Bytes(), []byte("# config is valid\n")), &eff); err != nil {
		return nil, fmt.Errorf("-check-config output: %w", err)
	}
	if r.shutdown, err = time.ParseDuration(eff.ShutdownTimeout); err != nil {
		return nil, fmt.Errorf("-check-config shutdown_timeout %q: %w", eff.ShutdownTimeout, err)
	}

	start := time.Now().Add(-time.Second) // file times have coarse granularity
	pr, pw := io.Pipe()
	var logBuf bytes.Buffer
	cmd, err := StartAsImage(rootfs, img, env, pw)
	if err != nil {
		return nil, err
	}
	addr := make(chan string, 1)
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		sc := bufio.NewScanner(pr)
		sent := false
		for sc.Scan() {
			logBuf.Write(sc.Bytes())
			logBuf.WriteByte('\n')
			var line struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if !sent && json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "botd listening" {
				addr <- line.Addr
				sent = true
			}
		}
	}()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case r.exitErr = <-done:
		case <-time.After(30 * time.Second): // 6x the shutdown timeout
			_ = cmd.Process.Kill()
			r.exitErr = fmt.Errorf("still running 30 s after SIGTERM: %w", <-done)
		}
		pw.Close()
		<-logDone
		r.log = logBuf.String()
	}
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case <-time.After(60 * time.Second):
		stop()
		return nil, fmt.Errorf("botd did not say it was listening within 60 s:\n%s", r.log)
	}
	r.uid = procUID(cmd.Process.Pid)
	client := &http.Client{Timeout: 10 * time.Second}
	get := func(path string) (int, string) {
		resp, err := client.Get(base + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	r.healthz, _ = get("/healthz")
	r.readyz, r.readyBody = get("/readyz")
	// One refused webhook request, so the webhook metrics have a series.
	if resp, err := client.Post(base+"/webhook/event", "application/json", strings.NewReader("not json")); err == nil {
		resp.Body.Close()
	}
	_, r.metrics = get("/metrics")
	stop()
	if os.Geteuid() == 0 {
		r.written = FilesWrittenBy(img.UID, start)
	}
	return r, nil
}

// procUID is the real uid of a running process.
func procUID(pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "Uid:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return -1
}

// catalogueOnce is botd's metric catalogue: its sources and a scrape of
// the image's binary.
var catalogueOnce = sync.OnceValues(func() (Catalogue, error) {
	root, err := RepoRoot()
	if err != nil {
		return Catalogue{}, err
	}
	declared, err := DeclaredFamilies(root)
	if err != nil {
		return Catalogue{}, err
	}
	r, err := runImageOnce()
	if err != nil {
		return Catalogue{}, err
	}
	scraped, err := ScrapeFamilies(strings.NewReader(r.metrics))
	if err != nil {
		return Catalogue{}, err
	}
	return NewCatalogue(declared, scraped)
})

func catalogue(t testing.TB) Catalogue {
	t.Helper()
	cat, err := catalogueOnce()
	if err != nil {
		t.Fatalf("metric catalogue: %v", err)
	}
	return cat
}

// runBinary runs the image's binary directly (not as the image user) for
// checks that only need its answer, such as -check-config.
func runBinary(t testing.TB, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(image(t).bin, args...)
	cmd.Env = env
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// wantProblem fails unless one of errs mentions want.
func wantProblem(t *testing.T, errs []error, want string) {
	t.Helper()
	for _, err := range errs {
		if strings.Contains(err.Error(), want) {
			return
		}
	}
	t.Errorf("no problem mentions %q; got %d: %v", want, len(errs), errs)
}

// mustReplace is strings.Replace that fails the test when old is absent,
// so a broken variant cannot silently equal the original.
func mustReplace(t *testing.T, s, old, new string) string {
	t.Helper()
	if !strings.Contains(s, old) {
		t.Fatalf("variant: %q not found", old)
	}
	return strings.Replace(s, old, new, 1)
}
