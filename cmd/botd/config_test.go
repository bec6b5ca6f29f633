package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "botd.yaml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadConfigEnvWinsOverFile(t *testing.T) {
	path := writeFile(t, `
app_id: cli_file
app_secret: file-secret
verification_token: tok
addr: ":9000"
admins: [ou_a, ou_b]
log_level: debug
`)
	cfg, err := LoadConfig(path, envOf(map[string]string{
		"BOTD_APP_ID":           "cli_env",
		"BOTD_ADMINS":           "ou_x, ou_y",
		"BOTD_SHUTDOWN_TIMEOUT": "3s",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.AppID != "cli_env" || cfg.AppSecret != "file-secret" || cfg.Addr != ":9000" || cfg.LogLevel != "debug" {
		t.Errorf("got %+v", cfg)
	}
	if strings.Join(cfg.Admins, ",") != "ou_x,ou_y" || cfg.ShutdownTimeout.String() != "3s" {
		t.Errorf("admins %v, shutdown %v", cfg.Admins, cfg.ShutdownTimeout)
	}
	if cfg.OpenBaseURL != "feishu" || cfg.RateLimits != "documented" {
		t.Errorf("defaults lost: %+v", cfg)
	}
}

func TestLoadConfigRefusesUnknownKeysAndBadValues(t *testing.T) {
	if _, err := LoadConfig(writeFile(t, "app_idd: typo\n"), envOf(nil)); err == nil {
		t.Error("a misspelt key was accepted")
	}
	if _, err := LoadConfig("/nonexistent/botd.yaml", envOf(nil)); err == nil {
		t.Error("a missing explicit config file was accepted")
	}
	_, err := LoadConfig(writeFile(t, "open_base_url: ftp://x\nlog_level: loud\n"), envOf(nil))
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	for _, want := range []string{"app_id", "app_secret", "verification_token", "open_base_url", "log_level"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}
}

func TestValidateAcceptsBaseURLs(t *testing.T) {
	for _, base := range []string{"feishu", "lark", "http://127.0.0.1:9999", "https://open.example.com"} {
		cfg := Default()
		cfg.AppID, cfg.AppSecret, cfg.VerificationToken, cfg.OpenBaseURL = "cli_x", "s", "t", base
		if err := cfg.Validate(); err != nil {
			t.Errorf("%s: %v", base, err)
		}
	}
}

// -check-config prints the effective config with every secret masked.
func TestCheckConfigMasksSecrets(t *testing.T) {
	path := writeFile(t, "app_id: cli_x\napp_secret: s3cr3t-value\nverification_token: tok-value\nencrypt_key: key-value\nredis_url: redis://:pw-value@127.0.0.1:6379/0\n")
	var out, errOut bytes.Buffer
	if code := run([]string{"-config", path, "-check-config"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, secret := range []string{"s3cr3t-value", "tok-value", "key-value", "pw-value"} {
		if strings.Contains(out.String()+errOut.String(), secret) {
			t.Errorf("-check-config printed a secret: %s", out.String())
		}
	}
	if !strings.Contains(out.String(), "app_id: cli_x") {
		t.Errorf("effective config missing: %s", out.String())
	}

	out.Reset()
	errOut.Reset()
	if code := run([]string{"-config", writeFile(t, "log_level: loud\n"), "-check-config"}, &out, &errOut); code != 2 {
		t.Fatalf("invalid config: exit %d, want 2", code)
	}
}
