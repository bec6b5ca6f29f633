package check

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// composeDir lays out a copy of deploy/'s compose files in a temporary
// directory, with compose (possibly edited) and env as its .env: what an
// operator has after `cp .env.example .env`. The real deploy/.env, if
// any, is never read.
func composeDir(t *testing.T, compose, env string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "deploy")
	for name, data := range map[string]string{
		"docker-compose.yml": compose,
		".env":               env,
		"caddy/Caddyfile":    string(readRepoFile(t, "deploy/caddy/Caddyfile")),
		"Dockerfile":         string(readRepoFile(t, "deploy/Dockerfile")),
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// webhookEnv turns .env.example into a webhook-mode .env, as the
// README tells the operator to.
func webhookEnv(t *testing.T, example string) string {
	t.Helper()
	env := mustReplace(t, example, "BOTD_EVENT_MODE=websocket", "BOTD_EVENT_MODE=webhook")
	env = mustReplace(t, env, "# COMPOSE_PROFILES=webhook", "COMPOSE_PROFILES=webhook")
	return mustReplace(t, env, "# BOTD_PUBLIC_HOST=bot.example.com", "BOTD_PUBLIC_HOST=bot.example.com")
}

func TestCompose(t *testing.T) {
	compose := string(readRepoFile(t, "deploy/docker-compose.yml"))
	example := string(readRepoFile(t, "deploy/.env.example"))
	shutdown := image(t).shutdown
	uid := image(t).img.UID
	for _, tc := range []struct {
		name    string
		env     string
		webhook bool
	}{
		{"long connection (default)", example, false},
		{"webhook profile", webhookEnv(t, example), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := composeDir(t, compose, tc.env)
			p, err := LoadCompose(context.Background(), filepath.Join(dir, "docker-compose.yml"))
			if err != nil {
				t.Fatal(err)
			}
			for _, err := range CheckCompose(p, ComposeExpect{Webhook: tc.webhook, ShutdownTimeout: shutdown, UID: uid}) {
				t.Error(err)
			}
			// The build and the proxy's config point at files that exist in
			// the repository.
			botd := p.Services["botd"]
			ctxRel, err := filepath.Rel(dir, botd.Build.Context)
			if err != nil {
				t.Fatal(err)
			}
			realCtx := filepath.Join(repoRoot(t), "deploy", ctxRel)
			if realCtx != repoRoot(t) {
				t.Errorf("botd's build context is %s, not the repository root", realCtx)
			}
			if _, err := os.Stat(filepath.Join(realCtx, botd.Build.Dockerfile)); err != nil {
				t.Errorf("botd's Dockerfile: %v", err)
			}
			if proxy, ok := p.Services["proxy"]; ok {
				for _, v := range proxy.Volumes {
					if v.Type != "bind" {
						continue
					}
					rel, _ := filepath.Rel(dir, v.Source)
					if _, err := os.Stat(filepath.Join(repoRoot(t), "deploy", rel)); err != nil {
						t.Errorf("proxy mounts %s: %v", rel, err)
					}
				}
			}
		})
	}
	for _, err := range ComposeSecretsInline([]byte(compose)) {
		t.Error(err)
	}
}

// TestComposeEnvFile: deploy/.env is ignored by git and .env.example is
// not, and the example names every variable the compose file uses.
func TestComposeEnvFile(t *testing.T) {
	root := repoRoot(t)
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	if out, err := exec.Command("git", "-C", root, "check-ignore", "-q", "deploy/.env").CombinedOutput(); err != nil {
		t.Errorf("git does not ignore deploy/.env: %v %s", err, out)
	}
	if err := exec.Command("git", "-C", root, "check-ignore", "-q", "deploy/.env.example").Run(); err == nil {
		t.Errorf("git ignores deploy/.env.example")
	}
	example := string(readRepoFile(t, "deploy/.env.example"))
	compose := string(readRepoFile(t, "deploy/docker-compose.yml"))
	for _, m := range regexp.MustCompile(`\$\{([A-Z_]+)`).FindAllStringSubmatch(compose, -1) {
		if !regexp.MustCompile(`(?m)^#? ?` + m[1] + `=`).MatchString(example) {
			t.Errorf("deploy/.env.example does not mention %s, which docker-compose.yml uses", m[1])
		}
	}
}

// TestComposeBroken: compose files and env files that must not load, or
// must fail the check.
func TestComposeBroken(t *testing.T) {
	compose := string(readRepoFile(t, "deploy/docker-compose.yml"))
	example := string(readRepoFile(t, "deploy/.env.example"))
	want := ComposeExpect{ShutdownTimeout: 15 * time.Second, UID: 65532}
	for _, tc := range []struct {
		name, compose, env string
		webhook            bool
		wantErr            string
	}{
		{name: "unknown key", compose: mustReplace(t, compose, "    read_only: true\n", "    read_only: true\n    readonly: true\n"), env: example, wantErr: "readonly"},
		{name: "not YAML", compose: mustReplace(t, compose, "services:\n", "services:\n  - botd\n"), env: example, wantErr: "yaml"},
		{name: "wrong type", compose: mustReplace(t, compose, "replicas: 2", "replicas: two"), env: example, wantErr: "replicas"},
		{name: "no redis password", compose: compose, env: mustReplace(t, example, "REDIS_PASSWORD=", "# REDIS_PASSWORD="), wantErr: "REDIS_PASSWORD"},
		{name: "depends on a missing service", compose: mustReplace(t, compose, "      redis:\n        condition: service_healthy", "      cache:\n        condition: service_healthy"), env: example, wantErr: "cache"},
		{name: "killed while draining", compose: mustReplace(t, compose, "    stop_grace_period: 30s\n    read_only", "    stop_grace_period: 10s\n    read_only"), env: example, wantErr: "stop_grace_period"},
		{name: "AOF off", compose: mustReplace(t, compose, `      - --appendonly
      - "yes"`, `      - --appendonly
      - "no"`), env: example, wantErr: "AOF"},
		{name: "one replica", compose: mustReplace(t, compose, "replicas: 2", "replicas: 1"), env: example, wantErr: "replicas"},
		{name: "writable", compose: mustReplace(t, compose, "    read_only: true\n", ""), env: example, wantErr: "read_only"},
		{name: "botd published", compose: mustReplace(t, compose, "    read_only: true\n", "    read_only: true\n    ports: [\"8080:8080\"]\n"), env: example, wantErr: "publishes"},
		{name: "proxy without the profile", compose: mustReplace(t, compose, "    profiles: [webhook]\n", ""), env: example, wantErr: "proxy runs without"},
		{name: "redis data not on a volume", compose: mustReplace(t, compose, "      - redis-data:/data\n", "      - /srv/redis:/data\n"), env: example, wantErr: "named volume"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := composeDir(t, tc.compose, tc.env)
			p, err := LoadCompose(context.Background(), filepath.Join(dir, "docker-compose.yml"))
			if err != nil {
				t.Logf("load: %v", err)
				wantProblem(t, []error{err}, tc.wantErr)
				return
			}
			errs := CheckCompose(p, ComposeExpect{Webhook: tc.webhook, ShutdownTimeout: want.ShutdownTimeout, UID: want.UID})
			t.Logf("reported: %v", errs)
			wantProblem(t, errs, tc.wantErr)
		})
	}
	t.Run("secret written inline", func(t *testing.T) {
		broken := mustReplace(t, compose, "      BOTD_LOG_FORMAT: json\n", "      BOTD_LOG_FORMAT: json\n      BOTD_APP_SECRET: hunter2\n")
		wantProblem(t, ComposeSecretsInline([]byte(broken)), "BOTD_APP_SECRET")
	})
	if strings.Contains(compose, "hunter2") {
		t.Fatal("the variants leaked into the original")
	}
}
