package check

import (
	"debug/buildinfo"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestDockerfile(t *testing.T) {
	img, errs := ParseDockerfile(readRepoFile(t, "deploy/Dockerfile"))
	for _, err := range errs {
		t.Error(err)
	}
	if !slices.Contains(img.Expose, 8080) {
		t.Errorf("EXPOSE %v lacks 8080, botd's default BOTD_ADDR", img.Expose)
	}
	// The builder's Go must be at least what go.mod asks for.
	gomod := readRepoFile(t, "go.mod")
	m := regexp.MustCompile(`(?m)^go ([0-9.]+)$`).FindSubmatch(gomod)
	if m == nil {
		t.Fatal("no go line in go.mod")
	}
	if img.GoVersion == "" || olderGo(img.GoVersion, string(m[1])) {
		t.Errorf("ARG GO_VERSION=%s is older than go.mod's go %s", img.GoVersion, m[1])
	}
}

// TestDockerfileBroken feeds the checker broken variants of the real
// Dockerfile: each must be reported.
func TestDockerfileBroken(t *testing.T) {
	orig := string(readRepoFile(t, "deploy/Dockerfile"))
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"no USER", "USER 65532:65532\n", "", "no USER"},
		{"named USER", "USER 65532:65532", "USER nonroot", "numeric uid"},
		{"root USER", "USER 65532:65532", "USER 0:0", "is root"},
		{"HEALTHCHECK", "EXPOSE 8080", "EXPOSE 8080\nHEALTHCHECK CMD [\"/botd\", \"-check-config\"]", "HEALTHCHECK"},
		{"cgo on", "ENV CGO_ENABLED=0", "ENV CGO_ENABLED=1", "CGO_ENABLED=0"},
		{"fat final image", "FROM gcr.io/distroless/static-debian12:nonroot", "FROM debian:bookworm", "minimal base"},
		{"secret baked in", "EXPOSE 8080", "EXPOSE 8080\nENV BOTD_APP_SECRET=hunter2", "BOTD_APP_SECRET"},
		{"shell entrypoint", `ENTRYPOINT ["/botd"]`, "ENTRYPOINT /botd", "shell form"},
		{"no EXPOSE", "EXPOSE 8080\n", "", "no EXPOSE"},
		{"no -trimpath", "go build -trimpath", "go build", "-trimpath"},
		{"chained RUN", "go mod download", "go mod download && echo ok", "one go command"},
		{"RUN in final stage", "USER 65532:65532", "RUN mkdir /data\nUSER 65532:65532", "RUN in the final stage"},
		{"single stage", "COPY --from=build /out/botd /botd", "COPY botd /botd", "copies nothing"},
		{"unknown instruction", "WORKDIR /src", "WORKDRI /src", "WORKDRI"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := ParseDockerfile([]byte(mustReplace(t, orig, tc.old, tc.new)))
			wantProblem(t, errs, tc.want)
		})
	}
}

func TestDockerignore(t *testing.T) {
	patterns, err := ReadIgnoreFile(readRepoFile(t, "deploy/Dockerfile.dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range CheckIgnore(patterns) {
		t.Error(err)
	}
	// The real context: what it lets through builds botd (TestImage), and
	// holds nothing but Go sources and the module files.
	files, err := ContextFiles(repoRoot(t), patterns)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f != "go.mod" && f != "go.sum" && !strings.HasPrefix(f, "cmd/") && !strings.HasPrefix(f, "internal/") {
			t.Errorf("the build context holds %s", f)
		}
	}
}

func TestDockerignoreBroken(t *testing.T) {
	for _, tc := range []struct {
		name     string
		patterns []string
		want     string
	}{
		{"deny-list that forgets secrets", []string{".git", "botd"}, "deploy/.env"},
		{"sources left out", []string{"*", "!go.mod", "!go.sum", "!cmd/"}, "internal/app/app.go"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantProblem(t, CheckIgnore(tc.patterns), tc.want)
		})
	}
	// And a context without internal/ cannot be built: the repeated build
	// stage says which COPY found nothing.
	img, _ := ParseDockerfile(readRepoFile(t, "deploy/Dockerfile"))
	files, err := ContextFiles(repoRoot(t), []string{"*", "!go.mod", "!go.sum", "!cmd/"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := BuildImage(repoRoot(t), files, img, t.TempDir()); err == nil || !strings.Contains(err.Error(), "COPY internal") {
		t.Errorf("build from a context without internal/: %v, want COPY internal to fail", err)
	}
}

// TestImage runs the binary the Dockerfile's build stage makes as the image
// runs it: as the image's unprivileged USER (when the test runs as root,
// as CI does), from a read-only working directory with TMPDIR read-only
// too, with only botd's environment. It must be static, start on its
// embedded defaults, answer /healthz (and /readyz with 503: the platform
// at 127.0.0.1:1 gives no token), serve /metrics, stop cleanly on SIGTERM
// and write no file anywhere it could.
func TestImage(t *testing.T) {
	r := image(t)
	if r.static != nil {
		t.Errorf("not static: %v", r.static)
	}
	if os.Geteuid() == 0 {
		if r.uid != r.img.UID {
			t.Errorf("ran as uid %d, want the image's USER %d", r.uid, r.img.UID)
		}
	} else {
		t.Logf("not root: ran as uid %d, not the image's %d", r.uid, r.img.UID)
	}
	t.Logf("ran as uid %d from a read-only directory: /healthz %d, /readyz %d %q, exit after SIGTERM: %v",
		r.uid, r.healthz, r.readyz, strings.TrimSpace(r.readyBody), r.exitErr)
	if r.healthz != 200 {
		t.Errorf("GET /healthz: %d, want 200", r.healthz)
	}
	if r.readyz != 503 {
		t.Errorf("GET /readyz: %d %q, want 503 (no token can be had)", r.readyz, r.readyBody)
	}
	if !strings.Contains(r.metrics, "botd_webhook_requests_total") || !strings.Contains(r.metrics, "go_goroutines") {
		t.Errorf("/metrics lacks botd's or the Go runtime's metrics:\n%.2000s", r.metrics)
	}
	if r.exitErr != nil {
		t.Errorf("after SIGTERM: %v", r.exitErr)
	}
	if len(r.written) > 0 {
		t.Errorf("botd wrote files: %v", r.written)
	}
	if t.Failed() {
		t.Logf("botd's log:\n%s", r.log)
	}
	if strings.Contains(r.log, "read-only file system") || strings.Contains(r.log, "permission denied") {
		t.Errorf("botd tried to write:\n%s", r.log)
	}
}

// TestImageBuildInfo reads the build settings the Go toolchain records in
// the binary: cgo off, paths trimmed, and the time zone database embedded
// (-tags timetzdata), so zones resolve on an image without zoneinfo.
func TestImageBuildInfo(t *testing.T) {
	info, err := buildinfo.ReadFile(image(t).bin)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if settings["CGO_ENABLED"] != "0" {
		t.Errorf("CGO_ENABLED=%q in the binary's build info", settings["CGO_ENABLED"])
	}
	if settings["-trimpath"] != "true" {
		t.Errorf("-trimpath=%q in the binary's build info", settings["-trimpath"])
	}
	if !slices.Contains(strings.Split(settings["-tags"], ","), "timetzdata") {
		t.Errorf("-tags=%q: the time zone database is not embedded", settings["-tags"])
	}
}

// olderGo says whether Go version a (1.26.8) is older than b.
func olderGo(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(pa), len(pb)); i++ {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			return x < y
		}
	}
	return false
}
