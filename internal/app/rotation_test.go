package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/botd/botd/internal/feishusim"
	"github.com/botd/botd/internal/state/statetest"
)

// During a rotation botd warns at start, accepts a request sealed with the
// previous key and token, and counts it as previous on /metrics.
func TestRotationWired(t *testing.T) {
	const appID, secret = "cli_rotation00000001", "rotation-secret"
	sim := feishusim.New(feishusim.Options{AppID: appID, AppSecret: secret})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	core, logs := observer.New(zapcore.InfoLevel)
	cfg := Config{
		Addr: "127.0.0.1:0", AppID: appID, AppSecret: secret, OpenBaseURL: srv.URL, RedisURL: statetest.URL(t),
		VerificationToken: "vt-new", EncryptKey: "ek-new",
		PreviousVerificationToken: "vt-old", PreviousEncryptKey: "ek-old",
	}
	a, err := New(t.Context(), cfg, zap.New(core), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.Stop(ctx)
	})

	warned := map[string]bool{}
	for _, e := range logs.FilterLevelExact(zapcore.WarnLevel).All() {
		if strings.Contains(e.Message, "rotation in progress") && strings.Contains(e.Message, "botd_webhook_secret_used_total") {
			warned[e.ContextMap()["kind"].(string)] = true
		}
		for _, s := range []string{"vt-new", "vt-old", "ek-new", "ek-old"} {
			if strings.Contains(e.Message, s) || strings.Contains(fmtFields(e.ContextMap()), s) {
				t.Errorf("a log line holds a secret: %s %v", e.Message, e.ContextMap())
			}
		}
	}
	if !warned["encrypt_key"] || !warned["verification_token"] {
		t.Errorf("start warnings = %v, want both kinds", warned)
	}

	// Plain chatter, sealed as the platform did before the change.
	plain, _ := json.Marshal(map[string]any{
		"schema": "2.0",
		"header": map[string]any{"event_id": "ev_rotation_1", "event_type": "im.message.receive_v1",
			"create_time": "1608725989000", "token": "vt-old", "app_id": appID, "tenant_key": "tk_1"},
		"event": map[string]any{
			"sender": map[string]any{"sender_id": map[string]string{"open_id": "ou_sender"}, "sender_type": "user", "tenant_key": "tk_1"},
			"message": map[string]any{"message_id": "om_rotation_1", "chat_id": "oc_chat", "chat_type": "group",
				"message_type": "text", "content": `{"text":"lunch?"}`, "create_time": "1608725989000"},
		},
	})
	enc, err := feishusim.Encrypt(plain, "ek-old")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]string{"encrypt": enc})
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, _ := http.NewRequest(http.MethodPost, "http://"+a.Addr()+"/webhook/event", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Lark-Request-Timestamp", ts)
	req.Header.Set("X-Lark-Request-Nonce", "n-1")
	req.Header.Set("X-Lark-Signature", feishusim.Sign(ts, "n-1", "ek-old", body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("event sealed with the previous key: HTTP %d", resp.StatusCode)
	}

	resp, err = http.Get("http://" + a.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	m, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`botd_webhook_secret_used_total{kind="encrypt_key",secret="previous"} 1`,
		`botd_webhook_secret_used_total{kind="verification_token",secret="previous"} 1`,
		`botd_webhook_secret_used_total{kind="encrypt_key",secret="current"} 0`,
	} {
		if !strings.Contains(string(m), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func fmtFields(m map[string]any) string {
	b, _ := json.Marshal(m)
	return string(b)
}

// Without a previous secret, nothing is said about rotation.
func TestNoRotationNoWarning(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	a := &App{cfg: Config{EncryptKey: "k", VerificationToken: "t"}, log: zap.New(core)}
	a.warnRotation()
	if n := logs.Len(); n != 0 {
		t.Errorf("%d log lines without a rotation", n)
	}
}
