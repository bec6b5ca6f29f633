package ephemeral

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseBaseURL(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"", FeishuBaseURL, false},
		{"feishu", FeishuBaseURL, false},
		{" Feishu ", FeishuBaseURL, false},
		{"lark", LarkBaseURL, false},
		{"LARK", LarkBaseURL, false},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080", false},
		{"http://127.0.0.1:8080/", "http://127.0.0.1:8080", false},
		{"https://sim.example.com/prefix/", "https://sim.example.com/prefix", false},
		{"garbage", "", true},
		{"open.feishu.cn", "", true},
		{"ftp://open.feishu.cn", "", true},
		{"http://", "", true},
		{"http://host/?q=1", "", true},
		{"http://host/#frag", "", true},
		{"http://user:pass@host", "", true},
		{"://bad", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseBaseURL(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ParseBaseURL(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "pass") {
				t.Errorf("error %q echoes a password", err)
			}
		})
	}
}

func TestNewValidatesConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no app id", Config{AppSecret: "s"}},
		{"no secret", Config{AppID: "cli_1"}},
		{"bad base url", Config{AppID: "cli_1", AppSecret: "s", BaseURL: "nope"}},
		{"negative timeout", Config{AppID: "cli_1", AppSecret: "s", Timeout: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.cfg, nil); err == nil {
				t.Error("New succeeded, want an error")
			}
		})
	}
	c, err := New(Config{AppID: "cli_1", AppSecret: "s", BaseURL: "lark"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.timeout != DefaultTimeout {
		t.Errorf("timeout = %v, want default %v", c.timeout, DefaultTimeout)
	}
}

// TestTimeouts checks that a platform that never answers costs one Timeout,
// and that the error is a retryable deadline.
func TestTimeouts(t *testing.T) {
	hang := func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
	hangInBody := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"code":0,`))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}
	tests := []struct {
		name      string
		handler   http.HandlerFunc
		slowToken bool
		client    *http.Client // nil: the client's default
	}{
		{"slow api", hang, false, nil},
		{"slow body", hangInBody, false, nil},
		{"slow token endpoint", hang, true, nil},
		{"caller http client without timeout", hang, false, &http.Client{}},
		{"caller http client without timeout, slow body", hangInBody, false, &http.Client{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeLark(t)
			f.handle("POST "+pathEphemeralSend, tt.handler)
			if tt.slowToken {
				f.setTokenHandler(hang)
			}
			c, _ := newTestClient(t, f, func(c *Config) {
				c.Timeout = 100 * time.Millisecond
				c.HTTPClient = tt.client
			})

			start := time.Now()
			_, err := c.SendEphemeral(context.Background(), "oc_1", "ou_1", testCard)
			took := time.Since(start)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err = %v, want context.DeadlineExceeded in its chain", err)
			}
			if !Retryable(err) {
				t.Errorf("timeout not retryable: %v", err)
			}
			if took > time.Second {
				t.Errorf("call took %v with a 100ms timeout", took)
			}
		})
	}
}

func TestCallerDeadlineIsHonoured(t *testing.T) {
	f := newFakeLark(t)
	f.handle("POST "+pathEphemeralSend, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	c, _ := newTestClient(t, f, func(c *Config) { c.Timeout = time.Minute })

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.SendEphemeral(ctx, "oc_1", "ou_1", testCard)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
		t.Errorf("err = %v after %v; want a deadline error within ~100ms", err, time.Since(start))
	}
}

// TestNoSecretInErrorsOrLogs drives failures that involve the token and the
// secret and checks that neither shows up in any error or log line.
func TestNoSecretInErrorsOrLogs(t *testing.T) {
	f := newFakeLark(t)
	f.handle("POST "+pathEphemeralSend, rejectToken(tokenPrefix+"1",
		answer(http.StatusInternalServerError, map[string]any{"code": 55555, "msg": "internal"})))
	f.handle("POST "+pathEphemeralDelete, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	c, logs := newTestClient(t, f, func(c *Config) { c.Timeout = 200 * time.Millisecond })
	bad, badLogs := newTestClient(t, f, func(c *Config) { c.AppSecret = testAppSecret + "-wrong" })
	ctx := context.Background()

	var errs []error
	_, err := c.SendEphemeral(ctx, "oc_1", "ou_1", testCard)
	errs = append(errs, err)
	errs = append(errs, c.DeleteEphemeral(ctx, "om_1"))
	_, err = c.PostCard(ctx, "oc_1", testCard, "u1") // no handler: 404
	errs = append(errs, err)
	errs = append(errs, bad.Ready(ctx))
	_, err = bad.SendEphemeral(ctx, "oc_1", "ou_1", testCard)
	errs = append(errs, err)

	var text strings.Builder
	for i, err := range errs {
		if err == nil {
			t.Fatalf("call %d succeeded; the test needs failures", i)
		}
		fmt.Fprintf(&text, "%v\n%+v\n%#v\n", err, err, err)
	}
	for _, e := range append(logs.All(), badLogs.All()...) {
		fmt.Fprintf(&text, "%s %v\n", e.Message, e.ContextMap())
	}
	for _, secret := range []string{testAppSecret, tokenPrefix} {
		if strings.Contains(text.String(), secret) {
			t.Errorf("%q leaked into errors or logs:\n%s", secret, text.String())
		}
	}
	if logs.FilterMessage("open api call failed").Len() == 0 {
		t.Error("no failure was logged at all")
	}
}

func TestReady(t *testing.T) {
	f := newFakeLark(t)
	c, _ := newTestClient(t, f)
	if err := c.Ready(context.Background()); err != nil {
		t.Fatalf("Ready = %v", err)
	}

	f.setTokenHandler(answer(http.StatusServiceUnavailable, map[string]any{"code": 55555, "msg": "down"}))
	c2, _ := newTestClient(t, f)
	if err := c2.Ready(context.Background()); err == nil || !Retryable(err) {
		t.Fatalf("Ready = %v, want a retryable error", err)
	}
}

func TestNilLoggerIsAllowed(t *testing.T) {
	f := newFakeLark(t)
	f.handle("POST "+pathEphemeralSend, okSend)
	c, err := New(Config{AppID: testAppID, AppSecret: testAppSecret, BaseURL: f.srv.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendEphemeral(context.Background(), "oc_1", "ou_1", testCard); err != nil {
		t.Fatal(err)
	}
}
