package webhook

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
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
