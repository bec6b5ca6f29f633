package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/botd/botd/internal/flows"
)

// longConnHarness is a Handler configured for the long connection: no
// Verification Token, no Encrypt Key, nothing served over HTTP.
type longConnHarness struct {
	h      *Handler
	flows  *fakeFlows
	claims *fakeClaims
	logs   *observer.ObservedLogs
	reg    *prometheus.Registry
}

func newLongConnHarness(t *testing.T) *longConnHarness {
	t.Helper()
	hs := &longConnHarness{flows: &fakeFlows{}, claims: newFakeClaims(), reg: prometheus.NewRegistry()}
	core, logs := observer.New(zap.DebugLevel)
	hs.logs = logs
	h, err := New(Config{AppID: testAppID, LongConnection: true}, hs.flows, hs.claims, zap.New(core), hs.reg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	hs.h = h
	return hs
}

func (hs *longConnHarness) deliver(t *testing.T, payload []byte) (json.RawMessage, error) {
	t.Helper()
	return hs.h.Deliver(context.Background(), payload, "req-1")
}

// outcomes is botd_webhook_requests_total{route="longconn",outcome}.
func (hs *longConnHarness) outcomes(outcome string) float64 {
	var m dto.Metric
	if err := hs.h.metrics.requests.WithLabelValues(string(routeLongConn), outcome).Write(&m); err != nil {
		panic(err)
	}
	return m.GetCounter().GetValue()
}

// A message over the long connection reaches the flows once, under the same
// claims as on the webhook: a redelivery, even under a new event_id, is a
// duplicate and is acknowledged without running anything again.
func TestDeliverMessageOnce(t *testing.T) {
	hs := newLongConnHarness(t)
	payload := v2(t, eventMessageReceive, "ev1", textMessage("om_1", "/todo Buy milk"))
	for i := range 2 {
		if _, err := hs.deliver(t, payload); err != nil {
			t.Fatalf("delivery %d: %v", i+1, err)
		}
	}
	if _, err := hs.deliver(t, v2(t, eventMessageReceive, "ev2", textMessage("om_1", "/todo Buy milk"))); err != nil {
		t.Fatalf("redelivery under a new event_id: %v", err)
	}
	msgs, _ := hs.flows.handled()
	if len(msgs) != 1 || msgs[0].Text != "/todo Buy milk" || msgs[0].EventID != "ev1" {
		t.Fatalf("flows got %+v, want the message once", msgs)
	}
	if got := hs.claims.held(); strings.Join(got, ",") != "event:ev1,message:om_1" {
		t.Fatalf("claims %v", got)
	}
	if ok, dup := hs.outcomes(outcomeOK), hs.outcomes(outcomeDuplicate); ok != 1 || dup != 2 {
		t.Fatalf("metrics: ok %v, duplicate %v; want 1 and 2", ok, dup)
	}
}

// An event is acknowledged only once its work is queued: when the flows
// fail, Deliver refuses (the frame is answered as failed), the claims are
// released, and the platform's redelivery is handled.
func TestDeliverFailureIsRedelivered(t *testing.T) {
	hs := newLongConnHarness(t)
	hs.flows.set(func(f *fakeFlows) { f.err = errFlows })
	payload := v2(t, eventMessageReceive, "ev1", textMessage("om_1", "/todo x"))
	if _, err := hs.deliver(t, payload); !errors.Is(err, ErrRefused) {
		t.Fatalf("failed flows: err %v, want ErrRefused", err)
	}
	if held := hs.claims.held(); len(held) != 0 {
		t.Fatalf("claims kept after a failure: %v", held)
	}
	hs.flows.set(func(f *fakeFlows) { f.err = nil })
	if _, err := hs.deliver(t, payload); err != nil {
		t.Fatalf("redelivery: %v", err)
	}
	if msgs, _ := hs.flows.handled(); len(msgs) != 1 {
		t.Fatalf("flows got %d messages, want 1", len(msgs))
	}
	if n := hs.outcomes(outcomeUnavailable); n != 1 {
		t.Fatalf("unavailable outcomes %v, want 1", n)
	}
}

// A redelivery that finds the first one still in hand is refused, to be
// delivered again later, not taken for a duplicate.
func TestDeliverLeasedClaimIsRefused(t *testing.T) {
	hs := newLongConnHarness(t)
	payload := v2(t, eventMessageReceive, "ev1", textMessage("om_1", "/todo x"))
	if _, _, err := hs.claims.Claim(context.Background(), DefaultClaimLease, "event:ev1"); err != nil {
		t.Fatal(err)
	}
	if _, err := hs.deliver(t, payload); !errors.Is(err, ErrRefused) {
		t.Fatalf("err %v, want ErrRefused", err)
	}
	if msgs, _ := hs.flows.handled(); len(msgs) != 0 {
		t.Fatalf("flows ran: %+v", msgs)
	}
}

// A callback's answer comes back from Deliver, for the frame: the flows'
// toast and card, encoded as on the callback URL; a failure is an error
// toast, still an answer, since callbacks are not delivered again.
func TestDeliverCallbackAnswers(t *testing.T) {
	hs := newLongConnHarness(t)
	hs.flows.set(func(f *fakeFlows) {
		f.answer = flows.Answer{Toast: &flows.Toast{Type: "success", Content: "Todo created"}, Card: map[string]any{"schema": "2.0"}}
	})
	ans, err := hs.deliver(t, v2(t, eventCardAction, "ev-card", cardTrigger(map[string]any{"action": "submit", "iid": "itx_1"})))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Toast struct{ Type, Content string }
		Card  struct {
			Type string
			Data map[string]any
		}
	}
	if err := json.Unmarshal(ans, &got); err != nil {
		t.Fatalf("answer %s: %v", ans, err)
	}
	if got.Toast.Content != "Todo created" || got.Card.Type != "raw" || got.Card.Data["schema"] != "2.0" {
		t.Fatalf("answer %s", ans)
	}
	_, acts := hs.flows.handled()
	if len(acts) != 1 || acts[0].OperatorID != "ou_clicker" || acts[0].Value["iid"] != "itx_1" || acts[0].Token != "c-update-token" {
		t.Fatalf("flows got %+v", acts)
	}

	hs.flows.set(func(f *fakeFlows) { f.err = errFlows })
	ans, err = hs.deliver(t, v2(t, eventCardAction, "ev-card-2", cardTrigger(map[string]any{"action": "submit"})))
	if err != nil || !strings.Contains(string(ans), `"type":"error"`) {
		t.Fatalf("failed callback: answer %s, err %v; want an error toast", ans, err)
	}
}

// What the long connection does not carry, or carries wrongly, is refused
// and changes nothing: no claim, nothing handed over.
func TestDeliverRefusals(t *testing.T) {
	for _, tc := range []struct {
		name    string
		payload func(t *testing.T) []byte
		outcome string
	}{
		{"not JSON", func(*testing.T) []byte { return []byte("not json") }, outcomeBadRequest},
		{"null", func(*testing.T) []byte { return []byte("null") }, outcomeBadRequest},
		{"encrypted", func(t *testing.T) []byte {
			return encryptBody(t, v2(t, eventMessageReceive, "ev1", textMessage("om_1", "/todo")), testKey)
		}, outcomeBadRequest},
		{"url_verification", func(t *testing.T) []byte {
			return mustJSON(t, map[string]string{"type": "url_verification", "challenge": "c", "token": testToken})
		}, outcomeBadRequest},
		{"legacy card action", func(t *testing.T) []byte { return legacyAction(t, map[string]any{"a": "b"}) }, outcomeBadRequest},
		{"no header", func(t *testing.T) []byte {
			return mustJSON(t, map[string]any{"schema": "2.0", "event": textMessage("om_1", "/todo")})
		}, outcomeBadRequest},
		{"no event_id", func(t *testing.T) []byte {
			return v2(t, eventMessageReceive, "", textMessage("om_1", "/todo"))
		}, outcomeBadRequest},
		{"another app", func(t *testing.T) []byte {
			return v2(t, eventMessageReceive, "ev1", textMessage("om_1", "/todo"), func(h map[string]any) { h["app_id"] = "cli_other" })
		}, outcomeUnauthorized},
		{"no app_id", func(t *testing.T) []byte {
			return v2(t, eventMessageReceive, "ev1", textMessage("om_1", "/todo"), func(h map[string]any) { delete(h, "app_id") })
		}, outcomeUnauthorized},
		{"malformed chat_id", func(t *testing.T) []byte {
			ev := textMessage("om_1", "/todo")
			ev["message"].(map[string]any)["chat_id"] = "oc_x y"
			return v2(t, eventMessageReceive, "ev1", ev)
		}, outcomeBadRequest},
		{"too large", func(t *testing.T) []byte {
			return v2(t, eventMessageReceive, "ev1", textMessage("om_1", "/todo "+strings.Repeat("x", DefaultMaxBodyBytes)))
		}, outcomeTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hs := newLongConnHarness(t)
			if _, err := hs.deliver(t, tc.payload(t)); !errors.Is(err, ErrRefused) {
				t.Fatalf("err %v, want ErrRefused", err)
			}
			if held := hs.claims.held(); len(held) != 0 {
				t.Fatalf("claims taken: %v", held)
			}
			if msgs, acts := hs.flows.handled(); len(msgs)+len(acts) != 0 {
				t.Fatalf("flows ran: %+v %+v", msgs, acts)
			}
			if n := hs.outcomes(tc.outcome); n != 1 {
				t.Fatalf("outcome %s counted %v times, want 1", tc.outcome, n)
			}
		})
	}
}

// A panic in the flows is a refusal (redelivered), never a crash of the
// connection's worker, and its claims are released.
func TestDeliverPanicIsRefused(t *testing.T) {
	hs := newLongConnHarness(t)
	hs.flows.set(func(f *fakeFlows) { f.panicMsg = "boom" })
	if _, err := hs.deliver(t, v2(t, eventMessageReceive, "ev1", textMessage("om_1", "/todo x"))); !errors.Is(err, ErrRefused) {
		t.Fatalf("err %v, want ErrRefused", err)
	}
	if held := hs.claims.held(); len(held) != 0 {
		t.Fatalf("claims kept: %v", held)
	}
}

// A handler for the long connection needs no Verification Token, refuses
// the legacy format (which the long connection does not carry) and never
// serves the HTTP routes, which would then accept unsigned requests.
func TestLongConnectionConfig(t *testing.T) {
	if _, err := New(Config{LongConnection: true, LegacyCardCallbacks: true}, &fakeFlows{}, newFakeClaims(), nil, nil); err == nil {
		t.Fatal("legacy card callbacks accepted on the long connection")
	}
	if _, err := New(Config{}, &fakeFlows{}, newFakeClaims(), nil, nil); err == nil {
		t.Fatal("webhook handler without a verification token accepted")
	}
	h, err := New(Config{LongConnection: true}, &fakeFlows{}, newFakeClaims(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Routes served on a long-connection handler")
		}
	}()
	h.Routes(nil)
}
