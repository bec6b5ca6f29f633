package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/botd/botd/internal/app"
	"github.com/botd/botd/internal/playground"
)

// event_mode: webhook by default; websocket needs no verification token
// (botd dials the platform with the app secret); anything else, and the
// legacy card format with the long connection, are refused by name.
func TestEventModeConfig(t *testing.T) {
	base := map[string]string{"BOTD_APP_ID": "cli_x", "BOTD_APP_SECRET": "s"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	cfg, err := LoadConfig("", envOf(with(map[string]string{"BOTD_VERIFICATION_TOKEN": "t"})))
	if err != nil || cfg.EventMode != app.EventModeWebhook || cfg.App().EventMode != app.EventModeWebhook {
		t.Fatalf("default: %q %v", cfg.EventMode, err)
	}
	cfg, err = LoadConfig("", envOf(with(map[string]string{"BOTD_EVENT_MODE": "websocket"})))
	if err != nil || cfg.App().EventMode != app.EventModeWebSocket {
		t.Fatalf("websocket without a verification token: %q %v", cfg.EventMode, err)
	}
	if _, err := LoadConfig(writeFile(t, "event_mode: websocket\napp_id: cli_x\napp_secret: s\n"), envOf(nil)); err != nil {
		t.Fatalf("event_mode in the file: %v", err)
	}
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"BOTD_EVENT_MODE": "websockets", "BOTD_VERIFICATION_TOKEN": "t"}, `event_mode "websockets"`},
		{map[string]string{"BOTD_EVENT_MODE": "webhook"}, "verification_token"},
		{map[string]string{}, "verification_token"},
		{map[string]string{"BOTD_EVENT_MODE": "websocket", "BOTD_LEGACY_CARD_CALLBACKS": "on"}, "legacy_card_callbacks"},
	} {
		if _, err := LoadConfig("", envOf(with(tc.env))); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error naming %s", tc.env, err, tc.want)
		}
	}
}

// `BOTD_EVENT_MODE=websocket botd -playground`: botd opens the long
// connection to the playground's simulator, and a member's command typed
// on the page reaches botd over it and gives them their form.
func TestPlaygroundInWebsocketMode(t *testing.T) {
	creds := playground.NewCredentials()
	cfg, err := LoadConfig("", playgroundEnv(envOf(map[string]string{"BOTD_EVENT_MODE": "websocket"}), creds))
	if err != nil {
		t.Fatal(err)
	}
	out := newLineWriter()
	defer out.w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- servePlayground(ctx, cfg, "127.0.0.1:0", false, creds, zaptest.NewLogger(t), out) }()
	defer func() {
		cancel()
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("playground: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("playground did not stop")
		}
	}()

	var line string
	select {
	case line = <-out.lines:
	case err := <-served:
		t.Fatalf("playground ended: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the playground printed nothing")
	}
	if !strings.Contains(line, "over the long connection") {
		t.Fatalf("banner: %s", line)
	}
	page := regexp.MustCompile(`http://[0-9.:]+/`).FindString(line)
	if page == "" {
		t.Fatalf("no address in %q", line)
	}
	body, _ := json.Marshal(map[string]string{"member": "ou_alice", "text": "/todo Buy milk"})
	resp, err := http.Post(page+"api/send", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	sent, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(sent), `"status":200`) {
		t.Fatalf("send: %d %s", resp.StatusCode, sent)
	}
	eventually(t, "Alice's form on the page", func() bool {
		resp, err := http.Get(page + "api/state")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var v playground.View
		if json.NewDecoder(resp.Body).Decode(&v) != nil {
			return false
		}
		for _, it := range v.Columns["ou_alice"] {
			if it.Kind == "card" && it.Ephemeral && strings.Contains(string(it.Card), "Buy milk") {
				return true
			}
		}
		return false
	})
}

// lineWriter hands each line written to it to a channel.
type lineWriter struct {
	w     *io.PipeWriter
	lines chan string
}

func newLineWriter() *lineWriter {
	r, w := io.Pipe()
	lw := &lineWriter{w: w, lines: make(chan string, 16)}
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			lw.lines <- sc.Text()
		}
	}()
	return lw
}

func (lw *lineWriter) Write(p []byte) (int, error) { return lw.w.Write(p) }
