package main

import (
	"strings"
	"testing"
)

// app_type: self_built by default, store from the file or BOTD_APP_TYPE,
// nothing else, and never a store app on the long connection.
func TestAppTypeConfig(t *testing.T) {
	if got := Default().App().AppType; got != "self_built" {
		t.Fatalf("default app type %q", got)
	}
	path := writeFile(t, "app_id: cli_x\napp_secret: s\nverification_token: t\napp_type: store\n")
	cfg, err := LoadConfig(path, envOf(nil))
	if err != nil || cfg.App().AppType != "store" {
		t.Fatalf("from the file: %q, %v", cfg.AppType, err)
	}
	cfg, err = LoadConfig(path, envOf(map[string]string{"BOTD_APP_TYPE": "self_built"}))
	if err != nil || cfg.App().AppType != "self_built" {
		t.Fatalf("the environment over the file: %q, %v", cfg.AppType, err)
	}
	for env, want := range map[string]string{
		"marketplace": `app_type "marketplace": want self_built or store`,
		"store":       "app_type store: event_mode websocket is for self-built apps only",
	} {
		_, err := LoadConfig(path, envOf(map[string]string{"BOTD_APP_TYPE": env, "BOTD_EVENT_MODE": "websocket"}))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("BOTD_APP_TYPE=%s with websocket: %v; want %q", env, err, want)
		}
	}
}
