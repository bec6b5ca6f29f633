package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/botd/botd/internal/app"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/platformid"
	"github.com/botd/botd/internal/ratelimit"
	"github.com/botd/botd/internal/redisurl"
	"github.com/botd/botd/internal/webapp"
)

// Secret is a string that never prints: -check-config, the startup log line
// and error messages show it masked.
type Secret string

// String masks the secret, keeping only whether it is set.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "********"
}

// MarshalYAML masks the secret when the effective config is printed.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// Config is everything botd reads from its config file and environment.
// Each field's yaml key is the lower-case environment variable without the
// BOTD_ prefix; the environment wins over the file (contract.md).
type Config struct {
	Addr              string        `yaml:"addr"`
	AppID             string        `yaml:"app_id"`
	AppSecret         Secret        `yaml:"app_secret"`
	VerificationToken Secret        `yaml:"verification_token"`
	EncryptKey        Secret        `yaml:"encrypt_key"`
	OpenBaseURL       string        `yaml:"open_base_url"`
	RedisURL          Secret        `yaml:"redis_url"` // may hold a password
	LogLevel          string        `yaml:"log_level"`
	LogFormat         string        `yaml:"log_format"`
	Admins            List          `yaml:"admins"`
	RateLimits        string        `yaml:"rate_limits"`
	Timezone          string        `yaml:"timezone"`
	Locale            string        `yaml:"locale"`
	ShutdownTimeout   time.Duration `yaml:"shutdown_timeout"`
	JobWorkers        int           `yaml:"job_workers"`
	// EncryptKeyPrevious and VerificationTokenPrevious are accepted besides
	// the current ones while a change made in the console takes effect
	// (README "Rotating the encrypt key or verification token").
	EncryptKeyPrevious        Secret `yaml:"encrypt_key_previous"`
	VerificationTokenPrevious Secret `yaml:"verification_token_previous"`
	// OrphanAfter is how long a running job's worker may miss its
	// heartbeats before any replica takes the job for orphaned (its process
	// died) and runs it again (internal/jobs/orphans.go).
	OrphanAfter time.Duration `yaml:"orphan_after"`
	// LegacyCardCallbacks ("on"/"off") accepts the older card request URL
	// format, which is signed with the verification token only.
	LegacyCardCallbacks string `yaml:"legacy_card_callbacks"`
	MetricsAddr         string `yaml:"metrics_addr"` // empty: /metrics on Addr
	// EventMode is how events and card callbacks arrive: "webhook" (the
	// platform POSTs to /webhook/event and /webhook/card) or "websocket"
	// (botd opens the platform's long connection; self-built apps only).
	EventMode string `yaml:"event_mode"`
	// AppType is what kind of app botd runs as: "self_built" (企业自建应用,
	// one tenant) or "store" (应用商店应用: every tenant that installs it,
	// each one's state kept apart; webhooks only).
	AppType string `yaml:"app_type"`
	// Quotas are the platform's rate limits botd paces to when RateLimits
	// is "documented"; the defaults are the documented figures. File only.
	Quotas Quotas `yaml:"quotas"`
	// FairUse caps commands per member and per chat. File only.
	FairUse FairUse `yaml:"fair_use"`
	// Flows says, per flow, who may start it and which card-builder
	// template replaces its final card. File only.
	Flows map[string]FlowConfig `yaml:"flows,omitempty"`
	// WebApp configures the web app at /app/: the one block the
	// environment reaches too, as BOTD_WEBAPP_<KEY>.
	WebApp WebApp `yaml:"webapp"`
}

// WebApp mirrors webapp.Config in the config file.
type WebApp struct {
	// SessionTTL is how long a web app login lasts.
	SessionTTL time.Duration `yaml:"session_ttl"`
	// TrustForwardedProto ("on"/"off"): botd is behind a proxy that
	// terminates TLS and sets X-Forwarded-Proto; "https" there marks the
	// session cookie Secure.
	TrustForwardedProto string `yaml:"trust_forwarded_proto"`
	// PageHosts are the public host[:port]s of the web app when a proxy
	// rewrites Host: its pages are signed and its Origin accepted.
	PageHosts List `yaml:"page_hosts"`
}

// Quotas mirrors ratelimit.Limits in the config file.
type Quotas struct {
	EphemeralPerChat  int           `yaml:"ephemeral_per_chat"`
	AppPerSecond      int           `yaml:"app_per_second"`
	AppPerMinute      int           `yaml:"app_per_minute"`
	MessagesPerChat   int           `yaml:"messages_per_chat"`
	MessagesPerUser   int           `yaml:"messages_per_user"`
	UpdatesPerMessage int           `yaml:"updates_per_message"`
	BulkShare         float64       `yaml:"bulk_share"`
	Margin            time.Duration `yaml:"margin"`
	MaxWait           time.Duration `yaml:"max_wait"`
}

// FairUse mirrors flows.FairUse in the config file.
type FairUse struct {
	MemberCommands int           `yaml:"member_commands"`
	ChatCommands   int           `yaml:"chat_commands"`
	Window         time.Duration `yaml:"window"`
}

// App returns the configuration the app package runs with. Call it on a
// validated Config.
func (c Config) App() app.Config {
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		loc = time.UTC // Validate refuses such a config; never reached after it
	}
	return app.Config{
		Addr:                c.Addr,
		AppID:               c.AppID,
		AppSecret:           string(c.AppSecret),
		VerificationToken:   string(c.VerificationToken),
		EncryptKey:          string(c.EncryptKey),
		OpenBaseURL:         c.OpenBaseURL,
		RedisURL:            string(c.RedisURL),
		Admins:              c.Admins,
		Rules:               c.rules(),
		Templates:           c.templates(),
		Limits:              c.Limits(),
		Timezone:            loc,
		Locale:              c.Locale,
		JobWorkers:          c.JobWorkers,
		OrphanAfter:         c.OrphanAfter,
		LegacyCardCallbacks: c.LegacyCardCallbacks == "on",
		MetricsAddr:         c.MetricsAddr,
		FairUse:             flows.FairUse(c.FairUse),
		ShutdownTimeout:     c.ShutdownTimeout,
		EventMode:           c.EventMode,
		AppType:             c.AppType,
		// A rotation's previous secrets; empty: none.
		PreviousEncryptKey:        string(c.EncryptKeyPrevious),
		PreviousVerificationToken: string(c.VerificationTokenPrevious),
		WebApp: webapp.Config{
			SessionTTL:          c.WebApp.SessionTTL,
			TrustForwardedProto: c.WebApp.TrustForwardedProto == "on",
			PageHosts:           c.WebApp.PageHosts,
		},
	}
}

// Limits returns the limiter's configuration.
func (c Config) Limits() ratelimit.Limits {
	q := c.Quotas
	return ratelimit.Limits{
		Off:               c.RateLimits == "off",
		EphemeralPerChat:  q.EphemeralPerChat,
		AppPerSecond:      q.AppPerSecond,
		AppPerMinute:      q.AppPerMinute,
		MessagesPerChat:   q.MessagesPerChat,
		MessagesPerUser:   q.MessagesPerUser,
		UpdatesPerMessage: q.UpdatesPerMessage,
		BulkShare:         q.BulkShare,
		Margin:            q.Margin,
		MaxWait:           q.MaxWait,
	}
}

// List is a comma-separated list in the environment and a YAML sequence (or
// a comma-separated string) in the file.
type List []string

// UnmarshalYAML accepts both a sequence and a comma-separated string.
func (l *List) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = splitList(n.Value)
		return nil
	}
	var s []string
	if err := n.Decode(&s); err != nil {
		return err
	}
	*l = s
	return nil
}

func splitList(s string) List {
	var out List
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Default returns the configuration botd runs with when nothing is set.
func Default() Config {
	return Config{
		Addr:                ":8080",
		OpenBaseURL:         "feishu",
		LogLevel:            "info",
		LogFormat:           "auto",
		RateLimits:          "documented",
		Timezone:            "Asia/Shanghai",
		Locale:              "en_us",
		ShutdownTimeout:     15 * time.Second,
		JobWorkers:          20,
		OrphanAfter:         10 * time.Second,
		Quotas:              quotasOf(ratelimit.DefaultLimits()),
		FairUse:             FairUse(flows.DefaultFairUse()),
		LegacyCardCallbacks: "off",
		EventMode:           app.EventModeWebhook,
		AppType:             app.AppTypeSelfBuilt,
		WebApp:              WebApp{SessionTTL: webapp.DefaultSessionTTL, TrustForwardedProto: "off"},
	}
}

func quotasOf(l ratelimit.Limits) Quotas {
	return Quotas{
		EphemeralPerChat:  l.EphemeralPerChat,
		AppPerSecond:      l.AppPerSecond,
		AppPerMinute:      l.AppPerMinute,
		MessagesPerChat:   l.MessagesPerChat,
		MessagesPerUser:   l.MessagesPerUser,
		UpdatesPerMessage: l.UpdatesPerMessage,
		BulkShare:         l.BulkShare,
		Margin:            l.Margin,
		MaxWait:           l.MaxWait,
	}
}

// DefaultConfigPath is read when -config is not given and the file exists.
const DefaultConfigPath = "configs/botd.yaml"

// LoadConfig reads the file at path (if path is empty, DefaultConfigPath when
// present), then overlays BOTD_* variables from env, then validates.
func LoadConfig(path string, env func(string) (string, bool)) (Config, error) {
	cfg := Default()
	explicit := path != ""
	if !explicit {
		path = DefaultConfigPath
	}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		dec := yaml.NewDecoder(strings.NewReader(string(data)))
		dec.KnownFields(true) // a misspelt key is an error, not a silent default
		if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
			return cfg, fmt.Errorf("config file %s: %w", path, err)
		}
	case explicit || !errors.Is(err, os.ErrNotExist):
		return cfg, fmt.Errorf("config file: %w", err)
	}
	if err := cfg.overlayEnv(env); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

// overlayEnv sets every field whose BOTD_<KEY> variable is present, and
// every field of the webapp block whose BOTD_WEBAPP_<KEY> is.
func (c *Config) overlayEnv(env func(string) (string, bool)) error {
	if err := overlayFields(reflect.ValueOf(c).Elem(), "BOTD_", env); err != nil {
		return err
	}
	return overlayFields(reflect.ValueOf(&c.WebApp).Elem(), "BOTD_WEBAPP_", env)
}

func overlayFields(v reflect.Value, prefix string, env func(string) (string, bool)) error {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		key := t.Field(i).Tag.Get("yaml")
		if k := t.Field(i).Type.Kind(); k == reflect.Struct || k == reflect.Map {
			continue // nested blocks (quotas, flows) are set in the file only
		}
		name := prefix + strings.ToUpper(key)
		val, ok := env(name)
		if !ok {
			continue
		}
		f := v.Field(i)
		switch f.Interface().(type) {
		case List:
			f.Set(reflect.ValueOf(splitList(val)))
		case int:
			n, err := strconv.Atoi(strings.TrimSpace(val))
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			f.SetInt(int64(n))
		case time.Duration:
			d, err := time.ParseDuration(val)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			f.SetInt(int64(d))
		default:
			f.SetString(strings.TrimSpace(val))
		}
	}
	return nil
}

// Validate reports every problem at once, so an operator fixes them in one go.
// The playground fills in generated credentials before it validates.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }

	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		bad("addr %q: want host:port or :port", c.Addr)
	}
	if c.AppID == "" {
		bad("app_id (BOTD_APP_ID) is required")
	}
	if c.AppSecret == "" {
		bad("app_secret (BOTD_APP_SECRET) is required")
	}
	websocket := c.EventMode == app.EventModeWebSocket
	switch c.EventMode {
	case app.EventModeWebhook, app.EventModeWebSocket:
	default:
		bad("event_mode %q: want %s or %s", c.EventMode, app.EventModeWebhook, app.EventModeWebSocket)
	}
	switch c.AppType {
	case app.AppTypeSelfBuilt:
	case app.AppTypeStore:
		if websocket {
			// The platform offers the long connection to self-built apps
			// only (feishu-platform.md §5): a store app's events come to
			// the event URL, the app_ticket among them.
			bad("app_type store: event_mode websocket is for self-built apps only; use event_mode webhook")
		}
	default:
		bad("app_type %q: want %s or %s", c.AppType, app.AppTypeSelfBuilt, app.AppTypeStore)
	}
	if c.VerificationToken == "" && !websocket {
		// Every request carries it; without it anyone who finds the URL
		// could forge events. (The encrypt key is strongly recommended
		// too: botd warns at start when it is missing.) The long
		// connection needs neither: botd dials it with the app secret.
		bad("verification_token (BOTD_VERIFICATION_TOKEN) is required with event_mode webhook")
	}
	validatePrevious(bad, "encrypt_key", c.EncryptKey, c.EncryptKeyPrevious)
	validatePrevious(bad, "verification_token", c.VerificationToken, c.VerificationTokenPrevious)
	switch c.OpenBaseURL {
	case "feishu", "lark":
	default:
		u, err := url.Parse(c.OpenBaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("open_base_url %q: want feishu, lark or an http(s) URL", c.OpenBaseURL)
		}
	}
	if s := string(c.RedisURL); s != "" {
		// One parser for the check and for the connection (internal/redisurl);
		// its errors never quote the URL, which may hold a password.
		if _, err := redisurl.Parse(s); err != nil {
			bad("redis_url: %v", err)
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("log_level %q: want debug, info, warn or error", c.LogLevel)
	}
	switch c.LogFormat {
	case "auto", "json", "console":
	default:
		bad("log_format %q: want auto, json or console", c.LogFormat)
	}
	switch c.RateLimits {
	case "documented", "off":
	default:
		bad("rate_limits %q: want documented or off", c.RateLimits)
	}
	switch c.LegacyCardCallbacks {
	case "on", "off":
	default:
		bad("legacy_card_callbacks %q: want on or off", c.LegacyCardCallbacks)
	}
	if websocket && c.LegacyCardCallbacks == "on" {
		// The long connection does not carry the older format (§5), and in
		// this mode no /webhook/card route exists to receive it.
		bad("legacy_card_callbacks on: the long connection (event_mode websocket) does not carry the legacy card format; turn it off")
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			bad("metrics_addr %q: want host:port or :port", c.MetricsAddr)
		} else if c.MetricsAddr == c.Addr {
			bad("metrics_addr %q: the same as addr; leave it empty to serve /metrics there", c.MetricsAddr)
		}
	}
	if err := flows.FairUse(c.FairUse).Validate(); err != nil {
		bad("%v", err)
	}
	if _, err := time.LoadLocation(c.Timezone); err != nil {
		bad("timezone %q: %v", c.Timezone, err)
	}
	switch c.Locale {
	case "en_us", "zh_cn":
	default:
		bad("locale %q: want en_us or zh_cn", c.Locale)
	}
	for _, id := range c.Admins {
		if !platformid.IsOpenID(id) {
			bad("admins: %q is not an open_id (ou_ and letters, digits, _ or -)", id)
		}
	}
	if c.ShutdownTimeout <= 0 {
		bad("shutdown_timeout must be positive")
	}
	if c.JobWorkers < 1 || c.JobWorkers > 1000 {
		bad("job_workers %d: want 1 to 1000", c.JobWorkers)
	}
	// asynq heartbeats every 5 s: below 8 s a live job could look orphaned.
	if c.OrphanAfter < 8*time.Second || c.OrphanAfter > 5*time.Minute {
		bad("orphan_after %s: want 8s to 5m", c.OrphanAfter)
	}
	if err := c.Limits().Validate(); err != nil {
		bad("quotas: %v", err)
	}
	c.WebApp.validate(bad)
	c.validateFlows(bad)
	return errors.Join(errs...)
}

// validatePrevious checks the previous secret of a rotation against the
// current one. Neither value is ever quoted.
func validatePrevious(bad func(string, ...any), key string, current, previous Secret) {
	env := "BOTD_" + strings.ToUpper(key)
	switch {
	case previous == "":
	case current == "":
		bad("%s_previous (%s_PREVIOUS) is set without %s (%s): a previous secret is only for a rotation to a new one", key, env, key, env)
	case previous == current:
		bad("%s_previous (%s_PREVIOUS) equals %s: set the new value as %s and the old one as %s_previous", key, env, key, key, key)
	}
}

// validate reports the webapp block's problems through bad.
func (w WebApp) validate(bad func(string, ...any)) {
	if w.SessionTTL < 5*time.Minute || w.SessionTTL > 30*24*time.Hour {
		bad("webapp.session_ttl %s: want 5m to 720h", w.SessionTTL)
	}
	switch w.TrustForwardedProto {
	case "on", "off":
	default:
		bad("webapp.trust_forwarded_proto %q: want on or off", w.TrustForwardedProto)
	}
	for _, h := range w.PageHosts {
		if !validPageHost(h) {
			bad("webapp.page_hosts: %q is not a host or host:port (no scheme, no path)", h)
		}
	}
}

// validPageHost: "example.com", "example.com:8443", "[::1]:8080".
func validPageHost(h string) bool {
	if h == "" || len(h) > 260 || strings.ContainsAny(h, "/?#@ \t") {
		return false
	}
	host := h
	if hh, port, err := net.SplitHostPort(h); err == nil {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return false
		}
		host = hh
	} else if strings.Contains(h, ":") {
		return false
	}
	return host != ""
}
