package feishusim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	larkevent "github.com/larksuite/oapi-sdk-go/v3/event"
	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher"
	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher/callback"
	larkws "github.com/larksuite/oapi-sdk-go/v3/ws"
)

// The long connection is tested against the SDK's own ws client, the one
// botd runs: what it accepts and answers is what the simulator must speak.

const (
	lcApp    = "cli_longconn000001"
	lcSecret = "lc-secret"
)

// quietLogger keeps the SDK's log lines (which go to stdout by default) out
// of the test output.
type quietLogger struct{}

func (quietLogger) Debug(context.Context, ...any) {}
func (quietLogger) Info(context.Context, ...any)  {}
func (quietLogger) Warn(context.Context, ...any)  {}
func (quietLogger) Error(context.Context, ...any) {}

// lcEnv is a simulator with the long connection shaped for tests: pings
// every second (a silent connection is noticed after 7 s), reconnects
// within a second.
type lcEnv struct {
	sim *Server
	srv *httptest.Server
	lc  *LongConn
}

func newLCEnv(t *testing.T, mod func(*LongConnOptions)) *lcEnv {
	t.Helper()
	opts := LongConnOptions{PingInterval: time.Second, ReconnectInterval: time.Second, ReconnectNonce: time.Second, AckTimeout: 2 * time.Second}
	if mod != nil {
		mod(&opts)
	}
	sim := New(Options{AppID: lcApp, AppSecret: lcSecret, LongConn: opts})
	srv := httptest.NewServer(sim)
	t.Cleanup(func() {
		sim.LongConn().Close()
		srv.Close()
	})
	return &lcEnv{sim: sim, srv: srv, lc: sim.LongConn()}
}

// receiver is what an SDK client's handlers saw.
type receiver struct {
	mu       sync.Mutex
	events   [][]byte
	clicks   [][]byte
	eventErr error // returned by the event handler when set
}

func (r *receiver) got() (events, clicks [][]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.events...), append([][]byte(nil), r.clicks...)
}

// startClient runs an SDK ws client against e until the test ends; it
// returns what it receives and the channel Start's result arrives on.
func (e *lcEnv) startClient(t *testing.T, secret string) (*receiver, <-chan error) {
	t.Helper()
	rcv := &receiver{}
	d := dispatcher.NewEventDispatcher("", "")
	d.OnCustomizedEvent("im.message.receive_v1", func(_ context.Context, ev *larkevent.EventReq) error {
		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		if rcv.eventErr != nil {
			return rcv.eventErr
		}
		rcv.events = append(rcv.events, ev.Body)
		return nil
	})
	d.OnP2CardActionTrigger(func(_ context.Context, ev *callback.CardActionTriggerEvent) (*callback.CardActionTriggerResponse, error) {
		rcv.mu.Lock()
		rcv.clicks = append(rcv.clicks, ev.EventReq.Body)
		rcv.mu.Unlock()
		return &callback.CardActionTriggerResponse{Toast: &callback.Toast{Type: "success", Content: "done"}}, nil
	})
	cli := larkws.NewClient(lcApp, secret, larkws.WithEventHandler(d), larkws.WithDomain(e.srv.URL),
		larkws.WithLogger(quietLogger{}), larkws.WithLogLevel(larkcore.LogLevelError))
	ctx, cancel := context.WithCancel(context.Background())
	done, stopped := make(chan error, 1), make(chan struct{})
	go func() {
		defer close(stopped)
		done <- cli.Start(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-stopped:
		case <-time.After(10 * time.Second):
			t.Error("SDK client did not stop")
		}
	})
	return rcv, done
}

func (e *lcEnv) waitConns(t *testing.T, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := e.lc.WaitConns(ctx, n); err != nil {
		t.Fatal(err)
	}
}

func (e *lcEnv) platform() *Platform {
	return &Platform{LongConn: e.lc, AppID: lcApp, TenantKey: "tenant_lc"}
}

func (e *lcEnv) send(t *testing.T, text string) (Result, error) {
	t.Helper()
	return e.platform().SendText(context.Background(), MessageOpts{ChatID: "oc_group", SenderOpenID: alice, Text: text})
}

// An event and a callback reach the SDK's handlers as plain schema 2.0 JSON
// and are acknowledged on their frame: 200 for the event, and for the
// callback the handler's answer as the result's body. The endpoint call is
// recorded with the secret redacted, and pings are answered.
func TestLongConnDeliversToTheSDK(t *testing.T) {
	e := newLCEnv(t, nil)
	rcv, _ := e.startClient(t, lcSecret)
	e.waitConns(t, 1)

	res, err := e.send(t, "/todo Buy milk")
	if err != nil || res.Status != http.StatusOK {
		t.Fatalf("event: %+v %v", res, err)
	}
	click, err := e.platform().ClickButton(context.Background(), ActionOpts{OperatorOpenID: alice, ChatID: "oc_group", MessageID: "om_card", Value: map[string]any{"k": "v"}})
	if err != nil || click.Status != http.StatusOK {
		t.Fatalf("callback: %+v %v", click, err)
	}
	var ans struct{ Toast struct{ Content string } }
	if err := json.Unmarshal(click.Body, &ans); err != nil || ans.Toast.Content != "done" {
		t.Fatalf("callback answer %s: %v", click.Body, err)
	}
	events, clicks := rcv.got()
	if len(events) != 1 || len(clicks) != 1 {
		t.Fatalf("handlers got %d events, %d clicks", len(events), len(clicks))
	}
	var env struct {
		Schema string
		Header struct {
			EventID   string `json:"event_id"`
			EventType string `json:"event_type"`
			AppID     string `json:"app_id"`
		}
	}
	if err := json.Unmarshal(events[0], &env); err != nil || env.Schema != "2.0" || env.Header.EventID != res.EventID ||
		env.Header.EventType != "im.message.receive_v1" || env.Header.AppID != lcApp {
		t.Fatalf("event payload %s", events[0])
	}
	if !strings.Contains(string(clicks[0]), `"card.action.trigger"`) {
		t.Fatalf("callback payload %s", clicks[0])
	}

	var endpoint []Call
	for _, c := range e.sim.Calls() {
		if c.Path == EndpointPath {
			endpoint = append(endpoint, c)
		}
	}
	if len(endpoint) != 1 || strings.Contains(string(endpoint[0].Body), lcSecret) || !strings.Contains(string(endpoint[0].Body), "REDACTED") {
		t.Fatalf("endpoint calls %+v", endpoint)
	}
	eventually(t, "a ping answered", func() bool { return e.lc.Stats().Pings > 0 })
}

// A payload longer than FragmentSize goes in several frames that the SDK
// puts back together.
func TestLongConnFragments(t *testing.T) {
	e := newLCEnv(t, func(o *LongConnOptions) { o.FragmentSize = 100 })
	rcv, _ := e.startClient(t, lcSecret)
	e.waitConns(t, 1)
	text := "/todo " + strings.Repeat("long ", 200)
	res, err := e.send(t, text)
	if err != nil || res.Status != http.StatusOK {
		t.Fatalf("event: %+v %v", res, err)
	}
	events, _ := rcv.got()
	if len(events) != 1 || string(events[0]) != string(res.Sent.Body) {
		t.Fatalf("reassembled %d events, want the payload sent", len(events))
	}
	recs := e.lc.Deliveries()
	if want := (len(res.Sent.Body) + 99) / 100; len(recs) != 1 || recs[0].Fragments != want {
		t.Fatalf("deliveries %+v, want one in %d fragments", recs, want)
	}
}

// A handler's error is acknowledged with code 500: the delivery failed and
// the platform will deliver again.
func TestLongConnHandlerErrorIsAFailure(t *testing.T) {
	e := newLCEnv(t, nil)
	rcv, _ := e.startClient(t, lcSecret)
	e.waitConns(t, 1)
	rcv.mu.Lock()
	rcv.eventErr = errors.New("store down")
	rcv.mu.Unlock()
	res, err := e.send(t, "/todo x")
	if err != nil || res.Status != http.StatusInternalServerError {
		t.Fatalf("result %+v %v, want status 500", res, err)
	}
	if st := e.lc.Stats(); st.Failed != 1 || st.Acked != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// Each delivery goes to one connection chosen at random: with three
// clients, each gets some of many deliveries, and every delivery reaches
// exactly one.
func TestLongConnOneRandomClientPerDelivery(t *testing.T) {
	e := newLCEnv(t, nil)
	var rcvs []*receiver
	for range 3 {
		r, _ := e.startClient(t, lcSecret)
		rcvs = append(rcvs, r)
	}
	e.waitConns(t, 3)
	const n = 60
	for i := range n {
		if res, err := e.send(t, fmt.Sprintf("/todo %d", i)); err != nil || res.Status != http.StatusOK {
			t.Fatalf("delivery %d: %+v %v", i, res, err)
		}
	}
	total := 0
	for i, r := range rcvs {
		events, _ := r.got()
		if len(events) == 0 {
			t.Errorf("client %d got nothing of %d deliveries", i, n)
		}
		total += len(events)
	}
	if total != n {
		t.Fatalf("%d events received, want %d", total, n)
	}
}

// DropAll cuts every connection; the SDK reconnects and deliveries work
// again.
func TestLongConnDropAll(t *testing.T) {
	e := newLCEnv(t, nil)
	rcv, _ := e.startClient(t, lcSecret)
	e.waitConns(t, 1)
	if n := e.lc.DropAll(); n != 1 {
		t.Fatalf("dropped %d", n)
	}
	eventually(t, "a second connection", func() bool { return e.lc.Stats().Connects >= 2 })
	e.waitConns(t, 1)
	if res, err := e.send(t, "/todo after"); err != nil || res.Status != http.StatusOK {
		t.Fatalf("after reconnecting: %+v %v", res, err)
	}
	if events, _ := rcv.got(); len(events) != 1 {
		t.Fatalf("got %d events", len(events))
	}
}

// A half-open connection swallows deliveries (no acknowledgement) and
// pings; only the client's read deadline notices, and it reconnects.
func TestLongConnHalfOpen(t *testing.T) {
	e := newLCEnv(t, func(o *LongConnOptions) { o.AckTimeout = 300 * time.Millisecond })
	rcv, _ := e.startClient(t, lcSecret)
	e.waitConns(t, 1)
	if n := e.lc.HalfOpen(); n != 1 {
		t.Fatalf("silenced %d", n)
	}
	if _, err := e.send(t, "/todo lost"); !errors.Is(err, ErrAckTimeout) {
		t.Fatalf("delivery on a half-open connection: %v, want ErrAckTimeout", err)
	}
	e.waitConns(t, 1) // a new, healthy connection: the SDK noticed the silence
	if res, err := e.send(t, "/todo found"); err != nil || res.Status != http.StatusOK {
		t.Fatalf("after reconnecting: %+v %v", res, err)
	}
	events, _ := rcv.got()
	if len(events) != 1 || !strings.Contains(string(events[0]), "found") {
		t.Fatalf("events %q", events)
	}
}

// Refusals the SDK must understand: a wrong secret at the endpoint, and a
// connection over the limit at the handshake, are client errors that end
// Start; a URL is good for one handshake only.
func TestLongConnRefusals(t *testing.T) {
	t.Run("wrong secret", func(t *testing.T) {
		e := newLCEnv(t, nil)
		_, done := e.startClient(t, "wrong")
		err := waitErr(t, done)
		var ce *larkws.ClientError
		if !errors.As(err, &ce) || ce.Code != CodeLongConnAuthFailed {
			t.Fatalf("Start: %v, want a client error %d", err, CodeLongConnAuthFailed)
		}
	})
	t.Run("over the limit", func(t *testing.T) {
		e := newLCEnv(t, func(o *LongConnOptions) { o.MaxConns = 1 })
		e.startClient(t, lcSecret)
		e.waitConns(t, 1)
		_, done := e.startClient(t, lcSecret)
		err := waitErr(t, done)
		var ce *larkws.ClientError
		if !errors.As(err, &ce) || !strings.Contains(ce.Msg, "limit") {
			t.Fatalf("Start: %v, want the connection limit", err)
		}
	})
	t.Run("one handshake per URL", func(t *testing.T) {
		e := newLCEnv(t, nil)
		u := endpointURL(t, e)
		c, _, err := websocket.DefaultDialer.Dial(u, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, resp, err := websocket.DefaultDialer.Dial(u, nil)
		if err == nil || resp == nil || resp.Header.Get(larkws.HeaderHandshakeStatus) != "403" {
			t.Fatalf("second handshake: %v %+v", err, resp)
		}
	})
}

// A client that breaks the frame protocol is disconnected.
func TestLongConnProtocolViolation(t *testing.T) {
	e := newLCEnv(t, nil)
	c, _, err := websocket.DefaultDialer.Dial(endpointURL(t, e), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.WriteMessage(websocket.TextMessage, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := c.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseProtocolError) {
		t.Fatalf("read after a text message: %v, want a protocol-error close", err)
	}
	if st := e.lc.Stats(); st.Violations != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// Delivering with nobody connected fails at once; signing options make no
// sense on the long connection.
func TestLongConnDeliverErrors(t *testing.T) {
	e := newLCEnv(t, nil)
	if _, err := e.send(t, "/todo x"); !errors.Is(err, ErrNoLongConn) {
		t.Fatalf("no connection: %v", err)
	}
	if _, err := e.platform().Deliver(context.Background(), "", []byte("{}"), DeliverOpts{SkipSign: true}); err == nil {
		t.Fatal("signing options accepted on the long connection")
	}
}

// endpointURL asks the endpoint for a WebSocket URL with the right
// credentials, as the SDK does.
func endpointURL(t *testing.T, e *lcEnv) string {
	t.Helper()
	body := strings.NewReader(fmt.Sprintf(`{"AppID":%q,"AppSecret":%q}`, lcApp, lcSecret))
	resp, err := http.Post(e.srv.URL+EndpointPath, "application/json", body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out larkws.EndpointResp
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Code != 0 || out.Data == nil {
		t.Fatalf("endpoint: %+v %v", out, err)
	}
	return out.Data.Url
}

func waitErr(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("Start did not return")
		return nil
	}
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
