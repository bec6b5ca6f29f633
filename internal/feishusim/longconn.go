package feishusim

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	larkws "github.com/larksuite/oapi-sdk-go/v3/ws"
	"go.uber.org/zap"
)

// The long connection (feishu-platform.md §5): the app POSTs its credentials
// to EndpointPath and gets a WebSocket URL and a ClientConfig; on that
// socket the platform sends each event and callback as pbbp2 frames (the
// SDK's ws.Frame) to one randomly chosen connection of the app and waits up
// to 3 s for the frame that acknowledges it; the client pings, the platform
// answers pong.
const (
	// EndpointPath is where the SDK asks for a connection URL.
	EndpointPath = larkws.GenEndpointUri
	// longConnPath is the WebSocket the endpoint's URL points to.
	longConnPath = "/callback/ws/conn"
)

// Endpoint answer codes the SDK knows (ws/const.go).
const (
	CodeLongConnAuthFailed = larkws.AuthFailed      // 514: unknown app or wrong secret
	CodeLongConnForbidden  = larkws.Forbidden       // 403: a WebSocket URL not issued, used or expired
	CodeLongConnLimit      = larkws.ExceedConnLimit // 1000040350: more than MaxConns connections
)

// LongConnOptions shape the simulated long connection. Zero values get the
// defaults named.
type LongConnOptions struct {
	// PingInterval, ReconnectCount, ReconnectInterval and ReconnectNonce
	// are the ClientConfig handed to clients (in whole seconds, as the
	// platform sends it; at least 1 s). Defaults: 2 min, -1 (no limit),
	// 2 min, 30 s, the SDK's own defaults.
	PingInterval      time.Duration
	ReconnectCount    int
	ReconnectInterval time.Duration
	ReconnectNonce    time.Duration
	// MaxConns is the most connections one app may hold [50, documented].
	MaxConns int
	// FragmentSize splits payloads longer than this many bytes into frames
	// of this size (headers sum and seq) [16 KiB; the platform's threshold
	// is not documented].
	FragmentSize int
	// FragmentGap is the pause between the fragments of one payload
	// [20 ms]. The SDK (v3.11.0, ws/client_message.go combine) handles each
	// frame in its own goroutine and reassembles fragments in a cache
	// without a lock: fragments sent back to back can race there (the race
	// detector reports it, and a fragment can be lost). The gap keeps the
	// simulator from provoking that in tests; a lost fragment still only
	// means no acknowledgement, which the platform redelivers.
	FragmentGap time.Duration
	// AckTimeout is how long a delivery waits for its acknowledgement
	// [3 s, documented].
	AckTimeout time.Duration
	// URLTTL is how long an endpoint's WebSocket URL may be dialled [1 min].
	URLTTL time.Duration
}

func (o *LongConnOptions) defaults() {
	if o.PingInterval <= 0 {
		o.PingInterval = 2 * time.Minute
	}
	o.PingInterval = max(o.PingInterval.Truncate(time.Second), time.Second)
	if o.ReconnectCount == 0 {
		o.ReconnectCount = -1
	}
	if o.ReconnectInterval <= 0 {
		o.ReconnectInterval = 2 * time.Minute
	}
	if o.ReconnectNonce <= 0 {
		o.ReconnectNonce = 30 * time.Second
	}
	if o.MaxConns <= 0 {
		o.MaxConns = 50
	}
	if o.FragmentSize <= 0 {
		o.FragmentSize = 16 << 10
	}
	if o.FragmentGap <= 0 {
		o.FragmentGap = 20 * time.Millisecond
	}
	if o.AckTimeout <= 0 {
		o.AckTimeout = 3 * time.Second
	}
	if o.URLTTL <= 0 {
		o.URLTTL = time.Minute
	}
}

// clientConfig is what the endpoint and every pong hand to the client.
func (o *LongConnOptions) clientConfig() larkws.ClientConfig {
	return larkws.ClientConfig{
		ReconnectCount:    o.ReconnectCount,
		ReconnectInterval: int(o.ReconnectInterval / time.Second),
		ReconnectNonce:    int(o.ReconnectNonce / time.Second),
		PingInterval:      int(o.PingInterval / time.Second),
	}
}

// silence is how long a connection may send nothing before the platform
// drops it: the SDK's own read deadline (twice the ping interval and 5 s).
func (o *LongConnOptions) silence() time.Duration { return 2*o.PingInterval + 5*time.Second }

// LongConn is the platform's side of the long connection for the
// simulator's app. Get it with Server.LongConn; deliver with
// Platform{LongConn: ...} or Deliver. All methods are safe for concurrent use.
type LongConn struct {
	s        *Server
	opts     LongConnOptions
	log      *zap.Logger
	upgrader websocket.Upgrader

	mu       sync.Mutex
	closed   bool
	urls     map[string]time.Time // ticket → when its URL expires (one use)
	conns    map[string]*wsConn   // by device_id
	nextSvc  int32
	changed  chan struct{} // closed and replaced whenever conns changes
	stats    LongConnStats
	record   []LongConnDelivery
	stopping sync.WaitGroup // connection readers
}

// LongConnStats counts what happened on the long connection.
type LongConnStats struct {
	Endpoints   int // endpoint requests answered with a URL
	Refused     int // endpoint requests and handshakes refused
	Connects    int // WebSockets opened
	Disconnects int // WebSockets gone, for any reason
	Pings       int // pings answered (not counting those a half-open connection swallowed)
	Deliveries  int // payloads sent
	Acked       int // acknowledgements with code 200 in time
	Failed      int // deliveries without a code-200 acknowledgement in time
	StrayAcks   int // acknowledgements of nothing in flight (late, or unknown message_id)
	Violations  int // frames that break the protocol (the connection is closed)
}

// LongConnDelivery is one delivery as the platform saw it.
type LongConnDelivery struct {
	MessageID string        // the frame header message_id
	ConnID    string        // the device_id of the connection chosen
	Fragments int           // frames the payload was sent in
	Code      int           // the acknowledgement's code; 0 without one
	Elapsed   time.Duration // from the first frame to the acknowledgement
	Err       string        // why it failed, if it did
}

// maxRecord bounds the delivery record of a long-running simulator (the
// playground).
const maxRecord = 10000

// wsConn is one client's WebSocket.
type wsConn struct {
	id        string
	serviceID int32
	sock      *websocket.Conn
	done      chan struct{} // closed when the connection is gone

	writeMu sync.Mutex

	mu       sync.Mutex
	halfOpen bool                // set: the platform hears and says nothing on it
	pending  map[string]chan ack // deliveries waiting, by message_id
}

type ack struct {
	code  int
	data  []byte
	bizRT string
}

func newLongConn(s *Server, opts LongConnOptions) *LongConn {
	opts.defaults()
	return &LongConn{
		s:    s,
		opts: opts,
		log:  s.log.Named("longconn"),
		// The SDK sends no Origin; nothing else may connect without a
		// ticket from the endpoint anyway.
		upgrader: websocket.Upgrader{HandshakeTimeout: 10 * time.Second, CheckOrigin: func(*http.Request) bool { return true }},
		urls:     map[string]time.Time{},
		conns:    map[string]*wsConn{},
		changed:  make(chan struct{}),
	}
}

// LongConn returns the platform's side of the long connection.
func (s *Server) LongConn() *LongConn { return s.longConn }

// Options returns the effective options (defaults filled in).
func (l *LongConn) Options() LongConnOptions { return l.opts }

// endpointRequest is the SDK's BootstrapRequest.
type endpointRequest struct {
	AppID           string `json:"AppID"`
	AppSecret       string `json:"AppSecret"`
	ClientAssertion string `json:"ClientAssertion"`
}

// handleEndpoint is POST /callback/ws/endpoint: credentials in, a one-time
// WebSocket URL and the ClientConfig out. Refusals are HTTP 200 with a code,
// as the SDK expects ({code, msg, data}).
func (l *LongConn) handleEndpoint(w http.ResponseWriter, r *http.Request) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeJSON(w, http.StatusBadRequest, larkws.EndpointResp{Code: CodeBadRequest, Msg: "Content-Type must be application/json"})
		return
	}
	var req endpointRequest
	if err := json.Unmarshal(callFrom(r.Context()).body, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, larkws.EndpointResp{Code: CodeBadRequest, Msg: "body is not the bootstrap JSON"})
		return
	}
	o := l.s.opts
	if req.AppID != o.AppID || subtle.ConstantTimeCompare([]byte(req.AppSecret), []byte(o.AppSecret)) != 1 {
		l.count(func(st *LongConnStats) { st.Refused++ })
		writeJSON(w, http.StatusOK, larkws.EndpointResp{Code: CodeLongConnAuthFailed, Msg: "auth failed: unknown app or wrong secret"})
		return
	}
	if o.AppType == AppTypeStore {
		// The long connection is for self-built apps only (§5).
		l.count(func(st *LongConnStats) { st.Refused++ })
		writeJSON(w, http.StatusOK, larkws.EndpointResp{Code: CodeLongConnForbidden, Msg: "the long connection is for self-built apps only"})
		return
	}
	ticket := randHex(16)
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		writeJSON(w, http.StatusOK, larkws.EndpointResp{Code: larkws.SystemBusy, Msg: "system busy"})
		return
	}
	l.nextSvc++
	svc := l.nextSvc
	now := time.Now()
	for t, exp := range l.urls {
		if now.After(exp) {
			delete(l.urls, t)
		}
	}
	l.urls[ticket] = now.Add(l.opts.URLTTL)
	l.stats.Endpoints++
	l.mu.Unlock()

	scheme := "ws"
	if r.TLS != nil {
		scheme = "wss"
	}
	q := url.Values{}
	q.Set(larkws.DeviceID, "dev_"+randHex(8))
	q.Set(larkws.ServiceID, strconv.Itoa(int(svc)))
	q.Set("ticket", ticket)
	u := url.URL{Scheme: scheme, Host: r.Host, Path: longConnPath, RawQuery: q.Encode()}
	conf := l.opts.clientConfig()
	writeJSON(w, http.StatusOK, larkws.EndpointResp{Code: CodeOK, Msg: "ok", Data: &larkws.Endpoint{Url: u.String(), ClientConfig: &conf}})
}

// handleConnect is the WebSocket handshake on an endpoint's URL.
func (l *LongConn) handleConnect(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	id, ticket := q.Get(larkws.DeviceID), q.Get("ticket")
	svc, err := strconv.ParseInt(q.Get(larkws.ServiceID), 10, 32)
	l.mu.Lock()
	exp, issued := l.urls[ticket]
	delete(l.urls, ticket) // one use, whatever happens next
	refuse := ""
	status, code := CodeLongConnForbidden, 0
	switch {
	case l.closed:
		refuse, status = "system busy", larkws.SystemBusy
	case !issued || time.Now().After(exp) || err != nil || id == "":
		refuse = "forbidden: this URL was not issued, was used already or has expired"
	case len(l.conns) >= l.opts.MaxConns:
		refuse, status, code = "connection limit exceeded", CodeLongConnAuthFailed, CodeLongConnLimit
	}
	if refuse != "" {
		l.stats.Refused++
		l.mu.Unlock()
		// The SDK reads these headers from a failed handshake
		// (ws/client_transport.go parseHandshakeError).
		w.Header().Set(larkws.HeaderHandshakeStatus, strconv.Itoa(status))
		w.Header().Set(larkws.HeaderHandshakeMsg, refuse)
		if code != 0 {
			w.Header().Set(larkws.HeaderHandshakeAuthErrCode, strconv.Itoa(code))
		}
		http.Error(w, refuse, http.StatusForbidden)
		return
	}
	l.mu.Unlock()

	sock, err := l.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	c := &wsConn{id: id, serviceID: int32(svc), sock: sock, done: make(chan struct{}), pending: map[string]chan ack{}}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		_ = sock.Close()
		return
	}
	l.conns[id] = c
	l.stats.Connects++
	l.stopping.Add(1)
	l.notifyLocked()
	l.mu.Unlock()
	l.log.Debug("long connection opened", zap.String("device_id", id), zap.Int32("service_id", c.serviceID))
	go l.read(c)
}

// read is a connection's reader: pings, acknowledgements, and the end of
// the connection.
func (l *LongConn) read(c *wsConn) {
	defer l.stopping.Done()
	defer l.remove(c)
	for {
		c.mu.Lock()
		if !c.halfOpen {
			// A client that sends nothing (not even pings) for this long
			// is gone: the platform drops it.
			_ = c.sock.SetReadDeadline(time.Now().Add(l.opts.silence()))
		}
		c.mu.Unlock()
		mt, data, err := c.sock.ReadMessage()
		if err != nil {
			return
		}
		if c.isHalfOpen() {
			continue // nothing the client sends arrives
		}
		if mt != websocket.BinaryMessage {
			l.violation(c, "a text message (frames are binary pbbp2)")
			return
		}
		var f larkws.Frame
		if err := f.Unmarshal(data); err != nil {
			l.violation(c, "a message that is not a pbbp2 frame")
			return
		}
		if !l.handleFrame(c, &f) {
			return
		}
	}
}

// handleFrame answers a ping or takes an acknowledgement; false closes the
// connection.
func (l *LongConn) handleFrame(c *wsConn, f *larkws.Frame) bool {
	hs := larkws.Headers(f.Headers)
	typ := hs.GetString(larkws.HeaderType)
	switch larkws.FrameType(f.Method) {
	case larkws.FrameTypeControl:
		if larkws.MessageType(typ) != larkws.MessageTypePing {
			return true // nothing else is sent upstream as control
		}
		if f.Service != c.serviceID {
			l.violation(c, fmt.Sprintf("a ping for service %d on service %d", f.Service, c.serviceID))
			return false
		}
		conf, _ := json.Marshal(l.opts.clientConfig()) // plain ints: cannot fail
		pong := larkws.Frame{Method: int32(larkws.FrameTypeControl), Service: c.serviceID, Payload: conf,
			Headers: []larkws.Header{{Key: larkws.HeaderType, Value: string(larkws.MessageTypePong)}}}
		l.count(func(st *LongConnStats) { st.Pings++ })
		return l.write(c, &pong) == nil
	case larkws.FrameTypeData:
		return l.takeAck(c, hs, f.Payload)
	default:
		l.violation(c, fmt.Sprintf("a frame of method %d", f.Method))
		return false
	}
}

// takeAck hands an acknowledgement to the delivery waiting for it. Its
// payload is the SDK's Response: {"code", "headers", "data"}, data being the
// handler's answer (base64 in JSON, as Go encodes []byte).
func (l *LongConn) takeAck(c *wsConn, hs larkws.Headers, payload []byte) bool {
	var resp larkws.Response
	if larkws.MessageType(hs.GetString(larkws.HeaderType)) != larkws.MessageTypeEvent || json.Unmarshal(payload, &resp) != nil {
		l.violation(c, "a data frame that is not the acknowledgement of an event")
		return false
	}
	msgID := hs.GetString(larkws.HeaderMessageID)
	c.mu.Lock()
	ch, ok := c.pending[msgID]
	delete(c.pending, msgID)
	c.mu.Unlock()
	if !ok {
		l.count(func(st *LongConnStats) { st.StrayAcks++ })
		return true
	}
	ch <- ack{code: resp.StatusCode, data: resp.Data, bizRT: hs.GetString(larkws.HeaderBizRt)}
	return true
}

// write sends one frame, within a bounded time.
func (l *LongConn) write(c *wsConn, f *larkws.Frame) error {
	b, err := f.Marshal()
	if err != nil {
		return fmt.Errorf("feishusim: encode frame: %w", err)
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	_ = c.sock.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := c.sock.WriteMessage(websocket.BinaryMessage, b); err != nil {
		_ = c.sock.Close() // the reader sees it and removes the connection
		return fmt.Errorf("feishusim: write to %s: %w", c.id, err)
	}
	return nil
}

func (l *LongConn) violation(c *wsConn, what string) {
	l.count(func(st *LongConnStats) { st.Violations++ })
	l.log.Warn("long connection: protocol violation; connection closed", zap.String("device_id", c.id), zap.String("what", what))
	c.writeMu.Lock()
	_ = c.sock.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseProtocolError, what), time.Now().Add(time.Second))
	c.writeMu.Unlock()
}

// remove forgets a connection that has ended and fails what was waiting on it.
func (l *LongConn) remove(c *wsConn) {
	_ = c.sock.Close()
	l.mu.Lock()
	if l.conns[c.id] == c {
		delete(l.conns, c.id)
	}
	l.stats.Disconnects++
	l.notifyLocked()
	l.mu.Unlock()
	close(c.done)
	l.log.Debug("long connection closed", zap.String("device_id", c.id))
}

func (c *wsConn) isHalfOpen() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.halfOpen
}

func (l *LongConn) count(f func(*LongConnStats)) {
	l.mu.Lock()
	f(&l.stats)
	l.mu.Unlock()
}

func (l *LongConn) notifyLocked() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// Stats returns the counters so far.
func (l *LongConn) Stats() LongConnStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stats
}

// Deliveries returns the record of deliveries (the last 10000).
func (l *LongConn) Deliveries() []LongConnDelivery {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]LongConnDelivery(nil), l.record...)
}

// ConnIDs returns the device ids of the open connections, half-open ones
// included (the platform cannot tell them apart).
func (l *LongConn) ConnIDs() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	ids := make([]string, 0, len(l.conns))
	for id := range l.conns {
		ids = append(ids, id)
	}
	return ids
}

// WaitConns waits until at least n connections that are not half-open are
// open, or ctx ends.
func (l *LongConn) WaitConns(ctx context.Context, n int) error {
	for {
		l.mu.Lock()
		live := 0
		for _, c := range l.conns {
			if !c.isHalfOpen() {
				live++
			}
		}
		changed := l.changed
		l.mu.Unlock()
		if live >= n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("feishusim: %d of %d long connections open: %w", live, n, context.Cause(ctx))
		}
	}
}

// DropAll cuts every open connection at once, without a close frame, as a
// platform restart or a network failure would; clients must reconnect. It
// returns how many it cut.
func (l *LongConn) DropAll() int {
	l.mu.Lock()
	conns := make([]*wsConn, 0, len(l.conns))
	for _, c := range l.conns {
		conns = append(conns, c)
	}
	l.mu.Unlock()
	for _, c := range conns {
		_ = c.sock.UnderlyingConn().Close()
	}
	return len(conns)
}

// HalfOpen turns every open connection silent, as a NAT that forgot it
// would: the TCP connection stays open, but nothing the client sends
// arrives (its pings go unanswered) and nothing reaches it (deliveries to
// it go unacknowledged). Only the client's read deadline can notice.
// Connections opened afterwards are healthy. It returns how many it
// silenced.
func (l *LongConn) HalfOpen() int {
	l.mu.Lock()
	conns := make([]*wsConn, 0, len(l.conns))
	for _, c := range l.conns {
		conns = append(conns, c)
	}
	l.mu.Unlock()
	for _, c := range conns {
		c.mu.Lock()
		c.halfOpen = true
		// A dead peer is never noticed from this side either.
		_ = c.sock.SetReadDeadline(time.Time{})
		c.mu.Unlock()
	}
	l.mu.Lock()
	l.notifyLocked() // WaitConns counts live connections again
	l.mu.Unlock()
	return len(conns)
}

// Close refuses new connections and cuts the open ones, then waits for
// their readers. http.Server.Shutdown does not close hijacked connections:
// register Close with RegisterOnShutdown, or call it before.
func (l *LongConn) Close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.DropAll()
	l.stopping.Wait()
}

// pick chooses one open connection at random, as the platform does for
// each delivery (half-open ones included: it cannot tell).
func (l *LongConn) pick() *wsConn {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.conns) == 0 {
		return nil
	}
	i, n := rand.IntN(len(l.conns)), 0
	for _, c := range l.conns {
		if n == i {
			return c
		}
		n++
	}
	return nil
}

// Errors of Deliver.
var (
	ErrNoLongConn   = errors.New("feishusim: no long connection is open")
	ErrAckTimeout   = errors.New("feishusim: no acknowledgement in time")
	ErrLongConnLost = errors.New("feishusim: the connection closed before the acknowledgement")
)

// LongConnAck is a client's acknowledgement of one delivery.
type LongConnAck struct {
	Code      int    // 200 handled; anything else (the SDK sends 500) means redeliver
	Data      []byte // the handler's answer: a callback's JSON, empty for events
	ConnID    string // the connection that answered
	MessageID string
	BizRT     string // the client's biz_rt header (its handling time, ms)
}

var deliverySeq atomic.Uint64

// Deliver sends payload (plain schema 2.0 JSON) to one connection chosen at
// random, in fragments when it is longer than FragmentSize, and waits up to
// AckTimeout for its acknowledgement. The caller stands for the platform's
// redelivery: an error or a code other than 200 means the event was not
// handled.
func (l *LongConn) Deliver(ctx context.Context, payload []byte) (LongConnAck, error) {
	c := l.pick()
	if c == nil {
		return LongConnAck{}, ErrNoLongConn
	}
	msgID := "msg_" + randHex(12)
	rec := LongConnDelivery{MessageID: msgID, ConnID: c.id}
	defer func() { l.keep(rec) }()

	ch := make(chan ack, 1)
	c.mu.Lock()
	c.pending[msgID] = ch
	silent := c.halfOpen
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, msgID)
		c.mu.Unlock()
	}()

	frames := l.frames(c, msgID, payload)
	rec.Fragments = len(frames)
	start := time.Now()
	timer := time.NewTimer(l.opts.AckTimeout)
	defer timer.Stop()
	for i := range frames {
		if silent {
			break // into the void: the client never sees it
		}
		if i > 0 && !sleep(ctx, l.opts.FragmentGap) {
			rec.Err = context.Cause(ctx).Error()
			return LongConnAck{}, context.Cause(ctx)
		}
		if err := l.write(c, &frames[i]); err != nil {
			rec.Err = err.Error()
			return LongConnAck{}, fmt.Errorf("%w: %v", ErrLongConnLost, err)
		}
	}
	select {
	case a := <-ch:
		rec.Code, rec.Elapsed = a.code, time.Since(start)
		if a.code != http.StatusOK {
			rec.Err = "acknowledged with code " + strconv.Itoa(a.code)
		}
		return LongConnAck{Code: a.code, Data: a.data, ConnID: c.id, MessageID: msgID, BizRT: a.bizRT}, nil
	case <-timer.C:
		rec.Err = ErrAckTimeout.Error()
		return LongConnAck{}, fmt.Errorf("%w (%s, connection %s)", ErrAckTimeout, l.opts.AckTimeout, c.id)
	case <-c.done:
		rec.Err = ErrLongConnLost.Error()
		return LongConnAck{}, fmt.Errorf("%w (connection %s)", ErrLongConnLost, c.id)
	case <-ctx.Done():
		rec.Err = context.Cause(ctx).Error()
		return LongConnAck{}, context.Cause(ctx)
	}
}

// frames cuts payload into the data frames of one delivery.
func (l *LongConn) frames(c *wsConn, msgID string, payload []byte) []larkws.Frame {
	size := l.opts.FragmentSize
	n := max(1, (len(payload)+size-1)/size)
	trace := randHex(8)
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	out := make([]larkws.Frame, n)
	for i := range n {
		chunk := payload[i*size : min(len(payload), (i+1)*size)]
		seq := deliverySeq.Add(1)
		out[i] = larkws.Frame{
			SeqID: seq, LogID: seq, Service: c.serviceID, Method: int32(larkws.FrameTypeData),
			Headers: []larkws.Header{
				{Key: larkws.HeaderType, Value: string(larkws.MessageTypeEvent)},
				{Key: larkws.HeaderMessageID, Value: msgID},
				{Key: larkws.HeaderSum, Value: strconv.Itoa(n)},
				{Key: larkws.HeaderSeq, Value: strconv.Itoa(i)},
				{Key: larkws.HeaderTraceID, Value: trace},
				{Key: larkws.HeaderTimestamp, Value: ts},
			},
			Payload: chunk,
		}
	}
	return out
}

func (l *LongConn) keep(rec LongConnDelivery) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stats.Deliveries++
	if rec.Err == "" {
		l.stats.Acked++
	} else {
		l.stats.Failed++
	}
	if len(l.record) >= maxRecord {
		l.record = append(l.record[:0], l.record[1:]...)
	}
	l.record = append(l.record, rec)
}
