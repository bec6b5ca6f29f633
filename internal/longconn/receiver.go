package longconn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	larkevent "github.com/larksuite/oapi-sdk-go/v3/event"
	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher"
	larkws "github.com/larksuite/oapi-sdk-go/v3/ws"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// Defaults for Config.
const (
	DefaultMinBackoff = time.Second
	DefaultMaxBackoff = time.Minute
	// DefaultStableAfter: a connection that held this long was not
	// flapping; the next loss starts the back-off over.
	DefaultStableAfter = time.Minute
	// DefaultAnswerBudget leaves half a second of the platform's 3 s for
	// the acknowledgement to travel back.
	DefaultAnswerBudget = 2500 * time.Millisecond
	// DefaultTimeout bounds the endpoint request and the WebSocket
	// handshake.
	DefaultTimeout = 10 * time.Second
	// DefaultMaxInFlight bounds the deliveries handled at once; the SDK
	// starts a goroutine per frame, without a limit of its own.
	DefaultMaxInFlight = 512

	// ackGrace is how long Stop waits, once the last delivery in hand has
	// returned, before it closes the connection (see Stop).
	ackGrace = 200 * time.Millisecond
)

// Config is what the receiver needs.
type Config struct {
	AppID     string // required
	AppSecret string // required; never logged
	// Domain is the platform's origin, e.g. https://open.feishu.cn (the
	// parsed open_base_url): the endpoint is POST {Domain}/callback/ws/endpoint.
	Domain string

	MinBackoff, MaxBackoff time.Duration // [DefaultMinBackoff, DefaultMaxBackoff]
	StableAfter            time.Duration // [DefaultStableAfter]
	AnswerBudget           time.Duration // per delivery [DefaultAnswerBudget]
	Timeout                time.Duration // [DefaultTimeout]
	MaxInFlight            int           // [DefaultMaxInFlight]
}

// Deliverer takes one payload from the connection and says how to answer
// it; *webhook.Handler implements it. A nil error acknowledges the frame
// (with the answer, for a callback); an error has the platform deliver
// again.
type Deliverer interface {
	Deliver(ctx context.Context, payload []byte, requestID string) (json.RawMessage, error)
}

// Event types botd subscribes to. The SDK's dispatcher answers any other
// type with an error, which the platform redelivers: subscribe to these
// only (README).
const (
	eventMessageReceive = "im.message.receive_v1"
	eventCardAction     = "card.action.trigger"
)

// Receiver holds this replica's long connection. Create it with New, run it
// with Start and end it with Stop.
type Receiver struct {
	cfg Config
	d   Deliverer
	log *zap.Logger
	m   *metrics
	sdk *dispatcher.EventDispatcher

	gate     gate
	ackGrace time.Duration // see Stop

	mu        sync.Mutex
	upSince   time.Time // when the current connection came up; zero while down
	cancel    context.CancelFunc
	done      chan struct{} // closed when the connect loop has ended
	connected atomic.Bool

	stopOnce sync.Once
	stopErr  error
}

// New checks cfg, fills in its defaults and builds a Receiver. Metrics are
// registered on reg unless it is nil; log may be nil.
func New(cfg Config, d Deliverer, log *zap.Logger, reg prometheus.Registerer) (*Receiver, error) {
	switch {
	case strings.TrimSpace(cfg.AppID) == "" || cfg.AppSecret == "":
		return nil, errors.New("longconn: app id and secret are required")
	case !strings.HasPrefix(cfg.Domain, "http://") && !strings.HasPrefix(cfg.Domain, "https://"):
		return nil, errors.New("longconn: domain: want the platform's http(s) origin")
	case d == nil:
		return nil, errors.New("longconn: a deliverer is required")
	}
	setDefault(&cfg.MinBackoff, DefaultMinBackoff)
	setDefault(&cfg.MaxBackoff, DefaultMaxBackoff)
	setDefault(&cfg.StableAfter, DefaultStableAfter)
	setDefault(&cfg.AnswerBudget, DefaultAnswerBudget)
	setDefault(&cfg.Timeout, DefaultTimeout)
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = DefaultMaxInFlight
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		return nil, fmt.Errorf("longconn: max back-off %v is below the min %v", cfg.MaxBackoff, cfg.MinBackoff)
	}
	if log == nil {
		log = zap.NewNop()
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("longconn: %w", err)
	}
	r := &Receiver{cfg: cfg, d: d, log: log, m: m, gate: gate{max: cfg.MaxInFlight}, ackGrace: ackGrace}
	r.sdk = r.dispatcher()
	return r, nil
}

func setDefault(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

// dispatcher is the SDK's event dispatcher with botd's two handlers. Both
// empty arguments are the SDK's way for the long connection: nothing on it
// is encrypted or signed.
func (r *Receiver) dispatcher() *dispatcher.EventDispatcher {
	d := dispatcher.NewEventDispatcher("", "")
	d.InitConfig(larkevent.WithLogger(sdkLogger{log: r.log.Named("sdk")}))
	d.OnCustomizedEvent(eventMessageReceive, r.onEvent)
	d.OnP2CardActionTrigger(r.onCallback)
	return d
}

// newClient is one SDK client. Its own reconnecting is off: run does it,
// with reasons and a back-off the platform cannot stretch to minutes.
func (r *Receiver) newClient() *larkws.Client {
	dialer := *websocket.DefaultDialer
	dialer.HandshakeTimeout = r.cfg.Timeout
	return larkws.NewClient(r.cfg.AppID, r.cfg.AppSecret,
		larkws.WithDomain(r.cfg.Domain),
		larkws.WithEventHandler(r.sdk),
		larkws.WithAutoReconnect(false),
		larkws.WithHttpClient(&http.Client{Timeout: r.cfg.Timeout}),
		larkws.WithWebSocketDialer(&dialer),
		larkws.WithLogger(sdkLogger{log: r.log.Named("sdk")}),
		larkws.WithLogLevel(larkcore.LogLevelInfo),
		larkws.WithOnReady(r.onUp),
		larkws.WithOnDisconnected(r.onDown),
	)
}

// Start runs the connect loop in the background until Stop. It does not
// wait for the first connection: Connected (and /readyz) says when there is
// one. ctx's values are kept, its cancellation is not: Stop ends the loop,
// after the drain.
func (r *Receiver) Start(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done != nil {
		return
	}
	ctx, r.cancel = context.WithCancel(context.WithoutCancel(ctx))
	r.done = make(chan struct{})
	go r.run(ctx)
}

// Connected reports whether the long connection is up now.
func (r *Receiver) Connected() bool { return r.connected.Load() }

// run connects, waits for the connection to end, and connects again after a
// back-off, until ctx ends.
func (r *Receiver) run(ctx context.Context) {
	defer close(r.done)
	bo := backoff{min: r.cfg.MinBackoff, max: r.cfg.MaxBackoff}
	var cli *larkws.Client
	for attempt := 1; ; attempt++ {
		if cli == nil {
			cli = r.newClient()
		}
		err := cli.Start(ctx)
		up := r.takeUpSince()
		r.onDown()
		if ctx.Err() != nil {
			return
		}
		if !up.IsZero() {
			// A client that has connected once cannot be started again
			// (the SDK marks it terminal). One that never connected is
			// reused: each new client leaves a goroutine behind (the SDK's
			// fragment cache never stops its ticker).
			cli = nil
			if time.Since(up) >= r.cfg.StableAfter {
				bo.reset()
				attempt = 1
			}
		}
		reason := reasonOf(err, !up.IsZero())
		r.m.reconnects.WithLabelValues(reason).Inc()
		wait := bo.next()
		fields := []zap.Field{zap.String("reason", reason), zap.Int("attempt", attempt), zap.Duration("retry_in", wait)}
		if err != nil {
			fields = append(fields, zap.String("error", safeText(err.Error())))
		}
		switch {
		case reason == ReasonRefused:
			r.log.Error("the platform refused the long connection; retrying. Check the app id and secret, that the app is "+
				"a self-built app (store apps cannot use the long connection), and that fewer than 50 connections are open", fields...)
		case !up.IsZero():
			r.log.Warn("long connection lost; reconnecting", append(fields, zap.Duration("was_up", time.Since(up).Round(time.Millisecond)))...)
		default:
			r.log.Warn("cannot open the long connection; retrying", fields...)
		}
		if !sleep(ctx, wait) {
			return
		}
	}
}

// onUp is the SDK's OnReady: the connection is up.
func (r *Receiver) onUp() {
	r.mu.Lock()
	r.upSince = time.Now()
	r.mu.Unlock()
	r.connected.Store(true)
	r.m.connected.Set(1)
	r.log.Info("long connection established", zap.String("domain", r.cfg.Domain))
}

// onDown is the SDK's OnDisconnected, and the end of every run.
func (r *Receiver) onDown() {
	r.connected.Store(false)
	r.m.connected.Set(0)
}

// takeUpSince returns when the connection that just ended came up (zero if
// the run never connected), and forgets it.
func (r *Receiver) takeUpSince() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	up := r.upSince
	r.upSince = time.Time{}
	return up
}

// Stop ends the long connection within ctx: first the drain, in which new
// deliveries are refused (the platform delivers them to another connection
// or again later) while those in hand finish and are acknowledged; then the
// connection is closed and the SDK's workers are waited for.
func (r *Receiver) Stop(ctx context.Context) error {
	r.stopOnce.Do(func() {
		r.mu.Lock()
		cancel, done := r.cancel, r.done
		r.mu.Unlock()
		idle := r.gate.close()
		select {
		case <-idle:
			// The SDK writes a frame's acknowledgement after the handler
			// has returned, and drops it once the connection is closing:
			// give the last ones a moment. One lost anyway costs a
			// redelivery, answered as a duplicate.
			sleep(ctx, r.ackGrace)
		case <-ctx.Done():
			r.log.Warn("long connection: deliveries still in hand at the shutdown deadline")
		}
		if done == nil {
			return // never started
		}
		cancel()
		select {
		case <-done:
			r.log.Info("long connection closed")
		case <-ctx.Done():
			r.stopErr = fmt.Errorf("longconn: still closing at the deadline: %w", context.Cause(ctx))
		}
	})
	return r.stopErr
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
