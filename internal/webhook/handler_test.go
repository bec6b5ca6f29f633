package webhook

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/botd/botd/internal/requestid"
)

func TestNewValidates(t *testing.T) {
	ok := Config{VerificationToken: testToken}
	tests := []struct {
		name   string
		cfg    Config
		flows  Flows
		claims Claims
	}{
		{"no token", Config{EncryptKey: testKey}, &fakeFlows{}, newFakeClaims()},
		{"no flows", ok, nil, newFakeClaims()},
		{"no claims", ok, &fakeFlows{}, nil},
		{"claims expire inside the window", Config{VerificationToken: testToken, TimestampWindow: time.Hour, ClaimTTL: time.Hour}, &fakeFlows{}, newFakeClaims()},
		// Accepted from t-8h to t+8h: a claim taken at t-8h must outlive t+8h.
		{"claims expire while a request is still accepted", Config{VerificationToken: testToken, TimestampWindow: 8 * time.Hour, ClaimTTL: 12 * time.Hour}, &fakeFlows{}, newFakeClaims()},
		{"claims expire just as the last replay is accepted", Config{VerificationToken: testToken, TimestampWindow: time.Hour, ClaimTTL: 2 * time.Hour}, &fakeFlows{}, newFakeClaims()},
	}
	for _, tt := range tests {
		if _, err := New(tt.cfg, tt.flows, tt.claims, nil, nil); err == nil {
			t.Errorf("%s: New accepted it", tt.name)
		}
	}
	// Two handlers on one registry share the series instead of failing.
	reg := prometheus.NewRegistry()
	for range 2 {
		if _, err := New(ok, &fakeFlows{}, newFakeClaims(), nil, reg); err != nil {
			t.Fatalf("New: %v", err)
		}
	}
}

func TestMetrics(t *testing.T) {
	hs := newHarness(t, nil)
	plain := v2(t, eventMessageReceive, "ev_1", textMessage("om_1", "/todo x"))
	hs.send(t, sealed(t, plain))
	hs.send(t, sealed(t, plain))
	hs.send(t, delivery{body: []byte("{}")})
	d := sealed(t, v2(t, eventCardAction, "ev_c", cardTrigger(nil)))
	d.path = "/webhook/card"
	hs.send(t, d)

	families, err := hs.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]float64{}
	var observed uint64
	for _, mf := range families {
		for _, m := range mf.GetMetric() {
			switch mf.GetName() {
			case "botd_webhook_requests_total":
				counts[labels(m)] = m.GetCounter().GetValue()
			case "botd_webhook_request_duration_seconds":
				observed += m.GetHistogram().GetSampleCount()
			}
		}
	}
	want := map[string]float64{
		"outcome=ok,route=event":           1,
		"outcome=duplicate,route=event":    1,
		"outcome=unauthorized,route=event": 1,
		"outcome=ok,route=card":            1,
	}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("requests_total = %v, want %v", counts, want)
	}
	if observed != 4 {
		t.Errorf("latency observations = %d, want 4", observed)
	}
}

func labels(m *dto.Metric) string {
	var parts []string
	for _, l := range m.GetLabel() {
		parts = append(parts, l.GetName()+"="+l.GetValue())
	}
	return strings.Join(parts, ",")
}

// Logs carry ids, never secrets, tokens or what people wrote.
func TestLogsHoldNoSecrets(t *testing.T) {
	hs := newHarness(t, nil)
	const text = "/todo secret plans"
	hs.send(t, sealed(t, v2(t, eventMessageReceive, "ev_1", textMessage("om_1", text))))
	hs.send(t, sealed(t, v2(t, eventMessageReceive, "ev_2", textMessage("om_2", text), func(h map[string]any) { h["token"] = "wrong" })))
	d := sealed(t, v2(t, eventCardAction, "ev_c", cardTrigger(nil)))
	hs.flows.set(func(f *fakeFlows) { f.err = errFlows })
	hs.send(t, d)
	hs.send(t, delivery{method: http.MethodGet})

	var all strings.Builder
	for _, e := range hs.logs.All() {
		fmt.Fprintf(&all, "%s %v\n", e.Message, e.ContextMap())
	}
	logged := all.String()
	for _, secret := range []string{testKey, testToken, "secret plans", "c-update-token"} {
		if strings.Contains(logged, secret) {
			t.Errorf("logs contain %q:\n%s", secret, logged)
		}
	}
	for _, id := range []string{"ev_1", "om_1", "oc_chat", "ou_sender", "ev_c", "ou_clicker"} {
		if !strings.Contains(logged, id) {
			t.Errorf("logs lack %q:\n%s", id, logged)
		}
	}
}

// Item 5: whatever a request carries (a huge X-Request-Id or log id, a huge
// challenge, event type, uuid or id), no log line grows past maxLogBytes,
// and the request id logged is a short, safe one. Checked behind the
// request-id middleware botd mounts, behind chi's RequestID (which copies
// any value), and behind none.
func TestLogLinesBounded(t *testing.T) {
	huge := strings.Repeat("x", 64<<10)
	stacks := []struct {
		name string
		use  func(http.Handler) http.Handler
	}{
		{"requestid.Middleware", requestid.Middleware},
		{"chi middleware.RequestID", middleware.RequestID},
		{"no middleware", nil},
	}
	requests := []struct {
		name string
		req  func(t *testing.T) delivery
	}{
		{"X-Request-Id", func(t *testing.T) delivery {
			d := sealed(t, v2(t, eventMessageReceive, "ev_1", textMessage("om_1", "/todo x")))
			d.header.Set("X-Request-Id", huge+" level=error")
			return d
		}},
		{"X-Tt-Logid", func(t *testing.T) delivery {
			d := sealed(t, v2(t, eventMessageReceive, "ev_2", textMessage("om_2", "/todo x")))
			d.header.Set("X-Tt-Logid", huge)
			return d
		}},
		{"challenge", func(t *testing.T) delivery {
			return sealed(t, mustJSON(t, map[string]string{"type": "url_verification", "token": testToken, "challenge": huge}))
		}},
		{"event_type", func(t *testing.T) delivery {
			return sealed(t, v2(t, "x."+huge, "ev_3", map[string]any{}))
		}},
		{"message_type", func(t *testing.T) delivery {
			return sealed(t, v2(t, eventMessageReceive, "ev_4", message("om_4", huge, "{}")))
		}},
		{"v1 uuid", func(t *testing.T) delivery {
			return sealed(t, mustJSON(t, map[string]any{"uuid": huge, "token": testToken, "type": "event_callback", "event": map[string]any{}}))
		}},
		{"timestamp", func(t *testing.T) delivery {
			return signed(encryptBody(t, v2(t, eventMessageReceive, "ev_5", textMessage("om_5", "x")), testKey), testKey, huge)
		}},
		{"malformed callback", func(t *testing.T) delivery {
			ev := cardTrigger(map[string]any{"k": "v"})
			ev["action"].(map[string]any)["form_value"] = huge // not an object: looseObject copes
			ev["action"].(map[string]any)["tag"] = map[string]any{huge: 1}
			return sealed(t, v2(t, eventCardAction, "ev_6", ev))
		}},
		{"flows error quoting input", func(t *testing.T) delivery {
			return sealed(t, v2(t, eventCardAction, "ev_7", cardTrigger(map[string]any{"k": "v"})))
		}},
	}
	for _, st := range stacks {
		t.Run(st.name, func(t *testing.T) {
			core, logs := observer.New(zap.DebugLevel)
			f := &fakeFlows{err: errors.New("flows: bad title " + huge)}
			h, err := New(Config{AppID: testAppID, VerificationToken: testToken, EncryptKey: testKey}, f, newFakeClaims(), zap.New(core), nil)
			if err != nil {
				t.Fatal(err)
			}
			r := chi.NewRouter()
			if st.use != nil {
				r.Use(st.use)
			}
			h.Routes(r)
			srv := httptest.NewServer(r)
			defer srv.Close()
			hs := &harness{srv: srv, logs: logs}
			for _, rq := range requests {
				logs.TakeAll()
				hs.send(t, rq.req(t))
				if n, line := maxLogLine(t, logs); n > maxLogBytes {
					t.Errorf("%s: a log line of %d bytes: %.300s…", rq.name, n, line)
				}
				if logs.Len() == 0 {
					t.Errorf("%s: nothing logged", rq.name)
				}
				for _, e := range logs.All() {
					if id, _ := e.ContextMap()["request_id"].(string); !requestid.Valid(id) {
						t.Errorf("%s: request_id %.80q", rq.name, id)
					}
				}
			}
		})
	}
}

// A short, safe X-Request-Id (a proxy's trace id) is what the logs show.
func TestRequestIDKept(t *testing.T) {
	hs := newHarness(t, nil)
	d := sealed(t, v2(t, eventMessageReceive, "ev_1", textMessage("om_1", "/todo x")))
	d.header.Set("X-Request-Id", "trace-0af7651916cd43dd")
	hs.send(t, d)
	for _, e := range hs.logs.All() {
		if id := e.ContextMap()["request_id"]; id != "trace-0af7651916cd43dd" {
			t.Errorf("request_id = %v", id)
		}
	}
}
