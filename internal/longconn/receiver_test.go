package longconn

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/botd/botd/internal/feishusim"
)

const (
	testApp    = "cli_longconntest01"
	testSecret = "longconn-test-secret"
)

// fakeDeliverer is botd's pipeline as the receiver sees it.
type fakeDeliverer struct {
	mu       sync.Mutex
	payloads [][]byte
	err      error           // returned when set
	answer   json.RawMessage // returned for every payload
	block    chan struct{}   // when set, Deliver waits for it to close
	entered  chan struct{}   // when set, Deliver signals it on entry
	budgets  []time.Duration // time left on each ctx
}

func (f *fakeDeliverer) Deliver(ctx context.Context, payload []byte, requestID string) (json.RawMessage, error) {
	f.mu.Lock()
	block, entered := f.block, f.entered
	if dl, ok := ctx.Deadline(); ok {
		f.budgets = append(f.budgets, time.Until(dl))
	}
	f.mu.Unlock()
	if requestID == "" {
		return nil, errors.New("no request id")
	}
	if entered != nil {
		entered <- struct{}{}
	}
	if block != nil {
		<-block
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	f.payloads = append(f.payloads, payload)
	if f.answer != nil {
		return f.answer, nil
	}
	return json.RawMessage(`{}`), nil
}

func (f *fakeDeliverer) set(fn func(*fakeDeliverer)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeDeliverer) got() [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]byte(nil), f.payloads...)
}

// env is the simulator's long connection (pings every second, so a silent
// connection is noticed in 7 s) and a Receiver on it with a short back-off.
type env struct {
	sim  *feishusim.Server
	srv  *httptest.Server
	lc   *feishusim.LongConn
	d    *fakeDeliverer
	r    *Receiver
	reg  *prometheus.Registry
	logs *observer.ObservedLogs
}

func newEnv(t *testing.T, mod func(*Config)) *env {
	t.Helper()
	sim := feishusim.New(feishusim.Options{AppID: testApp, AppSecret: testSecret,
		LongConn: feishusim.LongConnOptions{PingInterval: time.Second, AckTimeout: 3 * time.Second}})
	srv := httptest.NewServer(sim)
	e := &env{sim: sim, srv: srv, lc: sim.LongConn(), d: &fakeDeliverer{}, reg: prometheus.NewRegistry()}
	core, logs := observer.New(zapcore.DebugLevel)
	e.logs = logs
	cfg := Config{AppID: testApp, AppSecret: testSecret, Domain: srv.URL, MinBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}
	if mod != nil {
		mod(&cfg)
	}
	r, err := New(cfg, e.d, zap.New(core), e.reg)
	if err != nil {
		t.Fatal(err)
	}
	e.r = r
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := r.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
		e.lc.Close()
		srv.Close()
	})
	r.Start(context.Background())
	return e
}

func (e *env) waitConnected(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := e.lc.WaitConns(ctx, 1); err != nil {
		t.Fatal(err)
	}
	eventually(t, "Connected", e.r.Connected)
}

func (e *env) platform() *feishusim.Platform {
	return &feishusim.Platform{LongConn: e.lc, AppID: testApp, TenantKey: "tenant"}
}

func (e *env) send(t *testing.T, text string) (feishusim.Result, error) {
	t.Helper()
	return e.platform().SendText(context.Background(), feishusim.MessageOpts{ChatID: "oc_chat", SenderOpenID: "ou_alice", Text: text})
}

// metric reads a gauge or a counter from the registry (0 when absent).
func (e *env) metric(t *testing.T, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range families {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue metrics
				}
			}
			return value(m)
		}
	}
	return 0
}

func value(m *dto.Metric) float64 {
	if g := m.GetGauge(); g != nil {
		return g.GetValue()
	}
	return m.GetCounter().GetValue()
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// An event's raw payload reaches the pipeline and its frame is acknowledged
// with 200; a callback's answer travels back on its frame, card JSON intact.
// The connection shows in Connected and botd_longconn_connected.
func TestReceiverDelivers(t *testing.T) {
	e := newEnv(t, nil)
	e.waitConnected(t)
	if g := e.metric(t, "botd_longconn_connected", nil); g != 1 {
		t.Fatalf("botd_longconn_connected = %v while connected", g)
	}

	res, err := e.send(t, "/todo Buy milk")
	if err != nil || res.Status != http.StatusOK {
		t.Fatalf("event: %+v %v", res, err)
	}
	if got := e.d.got(); len(got) != 1 || string(got[0]) != string(res.Sent.Body) {
		t.Fatalf("pipeline got %q, want the payload sent", got)
	}

	const answer = `{"toast":{"type":"success","content":"Todo created","i18n":{"zh_cn":"已创建"}},"card":{"type":"raw","data":{"schema":"2.0","body":{"elements":[{"tag":"markdown","content":"1.50"}]}}}}`
	e.d.set(func(f *fakeDeliverer) { f.answer = json.RawMessage(answer) })
	click, err := e.platform().ClickButton(context.Background(), feishusim.ActionOpts{OperatorOpenID: "ou_alice", ChatID: "oc_chat", MessageID: "om_card", Value: map[string]any{"a": "b"}})
	if err != nil || click.Status != http.StatusOK {
		t.Fatalf("callback: %+v %v", click, err)
	}
	var got, want any
	_ = json.Unmarshal([]byte(answer), &want)
	if err := json.Unmarshal(click.Body, &got); err != nil || !equalJSON(got, want) {
		t.Fatalf("callback answer %s, want %s", click.Body, answer)
	}
	if !strings.Contains(string(click.Body), `"content":"1.50"`) {
		t.Fatalf("card JSON re-encoded: %s", click.Body)
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// A refusal by the pipeline is acknowledged as a failure (code 500): the
// platform delivers again.
func TestReceiverRefusalIsAFailedAck(t *testing.T) {
	e := newEnv(t, nil)
	e.waitConnected(t)
	e.d.set(func(f *fakeDeliverer) { f.err = errors.New("webhook: delivery refused: unavailable") })
	res, err := e.send(t, "/todo x")
	if err != nil || res.Status != http.StatusInternalServerError {
		t.Fatalf("result %+v %v, want code 500", res, err)
	}
}

// Every delivery runs under the answer budget, so a callback's answer is
// back on its frame before the platform's 3 s are up.
func TestReceiverAnswerBudget(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.AnswerBudget = 800 * time.Millisecond })
	e.waitConnected(t)
	if _, err := e.send(t, "/todo x"); err != nil {
		t.Fatal(err)
	}
	e.d.mu.Lock()
	defer e.d.mu.Unlock()
	if len(e.d.budgets) != 1 || e.d.budgets[0] > 800*time.Millisecond || e.d.budgets[0] <= 0 {
		t.Fatalf("time left on the delivery's context: %v, want at most the 800 ms budget", e.d.budgets)
	}
}

// A dropped connection is noticed at once and replaced: counted as
// reason="closed", Connected false in between, deliveries work again.
func TestReceiverReconnectsAfterDrop(t *testing.T) {
	e := newEnv(t, nil)
	e.waitConnected(t)
	e.lc.DropAll()
	eventually(t, "a reconnect counted", func() bool {
		return e.metric(t, "botd_longconn_reconnects_total", map[string]string{"reason": ReasonClosed}) == 1
	})
	e.waitConnected(t)
	if res, err := e.send(t, "/todo again"); err != nil || res.Status != http.StatusOK {
		t.Fatalf("after the reconnect: %+v %v", res, err)
	}
	if n := len(e.logs.FilterMessage("long connection lost; reconnecting").All()); n != 1 {
		t.Fatalf("%d 'lost' log lines, want 1", n)
	}
}

// A half-open connection (the platform silent, the socket open) is noticed
// by the read deadline and replaced: reason="timeout".
func TestReceiverReconnectsAfterHalfOpen(t *testing.T) {
	e := newEnv(t, nil)
	e.waitConnected(t)
	before := e.lc.Stats().Connects
	e.lc.HalfOpen()
	eventually(t, "a new connection", func() bool { return e.lc.Stats().Connects > before })
	eventually(t, "the reconnect counted as a timeout", func() bool {
		return e.metric(t, "botd_longconn_reconnects_total", map[string]string{"reason": ReasonTimeout}) == 1
	})
	e.waitConnected(t)
	if res, err := e.send(t, "/todo again"); err != nil || res.Status != http.StatusOK {
		t.Fatalf("after the reconnect: %+v %v", res, err)
	}
}

// Credentials the platform refuses: never connected, counted as refused,
// logged as an error that says what to check, and retried with back-off.
func TestReceiverRefused(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.AppSecret = "wrong-secret" })
	eventually(t, "two refusals", func() bool {
		return e.metric(t, "botd_longconn_reconnects_total", map[string]string{"reason": ReasonRefused}) >= 2
	})
	if e.r.Connected() {
		t.Fatal("connected with a wrong secret")
	}
	logs := e.logs.FilterLevelExact(zapcore.ErrorLevel).All()
	if len(logs) == 0 || !strings.Contains(logs[0].Message, "self-built") {
		t.Fatalf("error logs %v", logs)
	}
}

// Stop drains: deliveries in hand finish and are acknowledged on the open
// connection, new ones are refused (the platform redelivers them), and only
// then is the connection closed.
func TestReceiverStopDrains(t *testing.T) {
	e := newEnv(t, nil)
	// The acknowledgement is written by the SDK after the handler returns;
	// a generous grace keeps a slow machine from losing it.
	e.r.ackGrace = 2 * time.Second
	e.waitConnected(t)
	release, entered := make(chan struct{}), make(chan struct{}, 1)
	e.d.set(func(f *fakeDeliverer) { f.block, f.entered = release, entered })

	inHand := make(chan feishusim.Result, 1)
	go func() {
		res, err := e.send(t, "/todo in hand")
		if err != nil {
			t.Errorf("delivery in hand: %v", err)
		}
		inHand <- res
	}()
	<-entered

	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		stopped <- e.r.Stop(ctx)
	}()
	// Stop is waiting for the delivery in hand: a new one is refused.
	eventually(t, "the gate closed", func() bool {
		e.r.gate.mu.Lock()
		defer e.r.gate.mu.Unlock()
		return e.r.gate.closed
	})
	e.d.set(func(f *fakeDeliverer) { f.block, f.entered = nil, nil })
	if res, err := e.send(t, "/todo during the drain"); err != nil || res.Status != http.StatusInternalServerError {
		t.Fatalf("delivery during the drain: %+v %v, want code 500", res, err)
	}
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) with a delivery in hand", err)
	default:
	}

	close(release)
	if res := <-inHand; res.Status != http.StatusOK {
		t.Fatalf("the delivery in hand was answered %d, want 200 on the still open connection (%+v)", res.Status, e.lc.Stats())
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for len(e.lc.ConnIDs()) != 0 {
		if ctx.Err() != nil {
			t.Fatal("connection still open after Stop")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if e.r.Connected() || e.metric(t, "botd_longconn_connected", nil) != 0 {
		t.Fatal("still reported connected after Stop")
	}
	if got := e.d.got(); len(got) != 1 {
		t.Fatalf("pipeline got %d payloads, want the one in hand", len(got))
	}
}

// Nothing the platform sends, and no credential, reaches the logs, even at
// debug: the SDK quotes every payload at debug (with the card-update token).
func TestReceiverLogsHoldNoSecrets(t *testing.T) {
	e := newEnv(t, nil)
	e.waitConnected(t)
	const token = "c-0123456789abcdefsecret"
	if _, err := e.platform().ClickButton(context.Background(), feishusim.ActionOpts{OperatorOpenID: "ou_alice", ChatID: "oc_chat",
		MessageID: "om_card", Token: token, Value: map[string]any{"a": "b"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.send(t, "/todo private words"); err != nil {
		t.Fatal(err)
	}
	for _, entry := range e.logs.All() {
		line := entry.Message
		for _, f := range entry.Context {
			line += " " + f.String
		}
		for _, secret := range []string{token, testSecret, "private words", "ticket="} {
			if strings.Contains(line, secret) {
				t.Errorf("log line holds %q: %s", secret, line)
			}
		}
	}
}
