package main

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// The webapp block: defaults, the file, the environment over the file, and
// what reaches the app.
func TestWebAppConfig(t *testing.T) {
	def := Default()
	if def.WebApp.SessionTTL != 12*time.Hour || def.WebApp.TrustForwardedProto != "off" || len(def.WebApp.PageHosts) != 0 {
		t.Fatalf("defaults: %+v", def.WebApp)
	}
	path := writeFile(t, `
app_id: cli_x
app_secret: s
verification_token: t
webapp:
  session_ttl: 2h
  trust_forwarded_proto: "on"
  page_hosts: [todo.example.com, "todo.example.com:8443"]
`)
	cfg, err := LoadConfig(path, envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.App().WebApp
	if a.SessionTTL != 2*time.Hour || !a.TrustForwardedProto || !slices.Equal(a.PageHosts, []string{"todo.example.com", "todo.example.com:8443"}) {
		t.Fatalf("from the file: %+v", a)
	}
	cfg, err = LoadConfig(path, envOf(map[string]string{
		"BOTD_WEBAPP_SESSION_TTL":           "30m",
		"BOTD_WEBAPP_TRUST_FORWARDED_PROTO": "off",
		"BOTD_WEBAPP_PAGE_HOSTS":            "a.example.com, b.example.com:443",
	}))
	if err != nil {
		t.Fatal(err)
	}
	a = cfg.App().WebApp
	if a.SessionTTL != 30*time.Minute || a.TrustForwardedProto || !slices.Equal(a.PageHosts, []string{"a.example.com", "b.example.com:443"}) {
		t.Fatalf("the environment over the file: %+v", a)
	}
}

func TestWebAppConfigRefused(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"BOTD_WEBAPP_SESSION_TTL": "1m"}, "webapp.session_ttl"},
		{map[string]string{"BOTD_WEBAPP_SESSION_TTL": "800h"}, "webapp.session_ttl"},
		{map[string]string{"BOTD_WEBAPP_SESSION_TTL": "soon"}, "BOTD_WEBAPP_SESSION_TTL"},
		{map[string]string{"BOTD_WEBAPP_TRUST_FORWARDED_PROTO": "yes"}, "webapp.trust_forwarded_proto"},
		{map[string]string{"BOTD_WEBAPP_PAGE_HOSTS": "https://todo.example.com"}, "webapp.page_hosts"},
		{map[string]string{"BOTD_WEBAPP_PAGE_HOSTS": "todo.example.com/app"}, "webapp.page_hosts"},
		{map[string]string{"BOTD_WEBAPP_PAGE_HOSTS": "todo.example.com:99999"}, "webapp.page_hosts"},
	} {
		env := map[string]string{"BOTD_APP_ID": "cli_x", "BOTD_APP_SECRET": "s", "BOTD_VERIFICATION_TOKEN": "t"}
		for k, v := range tc.env {
			env[k] = v
		}
		_, err := LoadConfig("", envOf(env))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error about %s", tc.env, err, tc.want)
		}
	}
	if _, err := LoadConfig(writeFile(t, "app_id: cli_x\napp_secret: s\nverification_token: t\nwebapp:\n  session_tll: 1h\n"), envOf(nil)); err == nil {
		t.Error("a misspelt webapp key was accepted")
	}
}
