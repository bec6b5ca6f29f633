package check

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"
)

// LoadCompose loads a compose file the way `docker compose -f FILE` does,
// with compose-go (the library docker compose is built on): the .env file
// beside it supplies the variables and COMPOSE_PROFILES, the file is
// validated against the compose specification's schema (an unknown key is
// an error), variables are interpolated (${VAR:?msg} fails when VAR is
// unset), env_file entries are read, and only the active profiles'
// services are kept. Nothing of this process's environment is used.
func LoadCompose(ctx context.Context, file string) (*types.Project, error) {
	dir := filepath.Dir(file)
	var envFiles []string
	if _, err := os.Stat(filepath.Join(dir, ".env")); err == nil {
		envFiles = []string{filepath.Join(dir, ".env")}
	}
	opts, err := cli.NewProjectOptions([]string{file},
		cli.WithWorkingDirectory(dir),
		cli.WithEnvFiles(envFiles...),
		cli.WithDotEnv,
		cli.WithDefaultProfiles(),
	)
	if err != nil {
		return nil, err
	}
	return opts.LoadProject(ctx)
}

// ComposeExpect is what CheckCompose compares a loaded project with.
type ComposeExpect struct {
	Webhook         bool          // the webhook profile is active
	ShutdownTimeout time.Duration // botd's BOTD_SHUTDOWN_TIMEOUT
	UID             int           // the image's USER
}

// CheckCompose checks a loaded project: botd runs 2 replicas, read-only,
// without capabilities or privilege escalation, as the image's non-root
// user, with a stop grace period longer than its shutdown timeout, on the
// bundled Redis (AOF on, password, data on a named volume), its secrets
// from the env file, and publishes no port; the proxy runs only with the
// webhook profile and publishes 443 for botd's webhook routes.
func CheckCompose(p *types.Project, want ComposeExpect) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	botd, ok := p.Services["botd"]
	if !ok {
		return []error{fmt.Errorf("no service botd")}
	}
	if botd.Deploy == nil || botd.Deploy.Replicas == nil || *botd.Deploy.Replicas != 2 {
		bad("botd: deploy.replicas is not 2")
	}
	if !botd.ReadOnly {
		bad("botd: read_only is not true (botd writes nothing to disk)")
	}
	if !slices.Contains(botd.CapDrop, "ALL") {
		bad("botd: cap_drop does not drop ALL")
	}
	if !slices.Contains(botd.SecurityOpt, "no-new-privileges:true") {
		bad("botd: security_opt lacks no-new-privileges:true")
	}
	if botd.User != fmt.Sprintf("%d:%d", want.UID, want.UID) {
		bad("botd: user %q, want the image's %d:%d", botd.User, want.UID, want.UID)
	}
	if botd.StopGracePeriod == nil || time.Duration(*botd.StopGracePeriod) <= want.ShutdownTimeout {
		bad("botd: stop_grace_period must be longer than the shutdown timeout %v (compose's default, 10s, kills botd while it drains)", want.ShutdownTimeout)
	}
	if d := botd.Environment["BOTD_SHUTDOWN_TIMEOUT"]; d == nil || *d != want.ShutdownTimeout.String() {
		bad("botd: BOTD_SHUTDOWN_TIMEOUT is not %v", want.ShutdownTimeout)
	}
	if len(botd.Ports) > 0 {
		bad("botd: publishes ports %v; only the proxy is reachable from outside", botd.Ports)
	}
	if len(botd.EnvFiles) == 0 {
		bad("botd: no env_file: the secrets must come from the uncommitted .env")
	}
	for _, k := range []string{"BOTD_APP_ID", "BOTD_APP_SECRET", "BOTD_VERIFICATION_TOKEN"} {
		if v := botd.Environment[k]; v == nil || *v == "" {
			bad("botd: %s is not set (from the env file)", k)
		}
	}
	mode := "websocket"
	if want.Webhook {
		mode = "webhook"
	}
	if v := botd.Environment["BOTD_EVENT_MODE"]; v == nil || *v != mode {
		bad("botd: BOTD_EVENT_MODE is %v, want %s", deref(v), mode)
	}
	if v := botd.Environment["BOTD_REDIS_URL"]; v == nil || !strings.Contains(*v, "@redis:6379/") {
		bad("botd: BOTD_REDIS_URL does not point at the redis service with a password")
	}
	if _, ok := botd.DependsOn["redis"]; !ok || botd.DependsOn["redis"].Condition != types.ServiceConditionHealthy {
		bad("botd: does not wait for a healthy redis")
	}
	if botd.Build == nil || botd.Build.Dockerfile == "" {
		bad("botd: no build")
	}
	if botd.HealthCheck != nil && !botd.HealthCheck.Disable {
		bad("botd: a healthcheck: the image has no shell or client to run one")
	}

	redis, ok := p.Services["redis"]
	switch {
	case !ok:
		bad("no service redis")
	default:
		cmd := strings.Join(redis.Command, " ")
		if !strings.Contains(cmd, "--appendonly yes") {
			bad("redis: AOF is off (--appendonly yes): a crash would lose the job queue")
		}
		if !strings.Contains(cmd, "--requirepass ") {
			bad("redis: no password")
		}
		data := false
		for _, v := range redis.Volumes {
			if v.Target == "/data" && v.Type == types.VolumeTypeVolume && p.Volumes[v.Source].Name != "" {
				data = true
			}
		}
		if !data {
			bad("redis: /data is not a named volume: the AOF would go with the container")
		}
		if len(redis.Ports) > 0 {
			bad("redis: publishes ports %v", redis.Ports)
		}
	}

	proxy, ok := p.Services["proxy"]
	switch {
	case want.Webhook && !ok:
		bad("webhook profile: no proxy service")
	case !want.Webhook && ok:
		bad("the proxy runs without the webhook profile")
	case ok:
		published := false
		for _, port := range proxy.Ports {
			if port.Target == 443 && port.Published == "443" {
				published = true
			}
		}
		if !published {
			bad("proxy: does not publish 443")
		}
		if _, ok := proxy.DependsOn["botd"]; !ok {
			bad("proxy: does not depend on botd")
		}
	}
	return errs
}

func deref(s *string) string {
	if s == nil {
		return "<unset>"
	}
	return *s
}

// ComposeSecretsInline reports secrets written into the compose file
// itself rather than taken from variables (the file is committed; the
// env file is not).
func ComposeSecretsInline(data []byte) []error {
	var doc struct {
		Services map[string]struct {
			Environment any `yaml:"environment"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return []error{err}
	}
	var errs []error
	for name, s := range doc.Services {
		env := map[string]string{}
		switch e := s.Environment.(type) {
		case map[string]any:
			for k, v := range e {
				env[k] = fmt.Sprint(v)
			}
		case []any:
			for _, kv := range e {
				k, v, _ := strings.Cut(fmt.Sprint(kv), "=")
				env[k] = v
			}
		}
		for k, v := range env {
			if secretName(k) && v != "" && !strings.Contains(v, "${") {
				errs = append(errs, fmt.Errorf("service %s: %s is written into the compose file; take it from deploy/.env", name, k))
			}
		}
	}
	return errs
}
