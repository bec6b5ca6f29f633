package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/botd/botd/internal/feishusim"
	"github.com/botd/botd/internal/flows"
)

// Fuzz mode bits: how the fuzzed body is delivered. Signing and encrypting
// inside the target lets the fuzzer reach past the signature check.
const (
	fuzzCardRoute  = 1 << iota // POST /webhook/card instead of /webhook/event
	fuzzNoKey                  // handler without an Encrypt Key
	fuzzEncrypt                // wrap the body in {"encrypt": ...} with testKey
	fuzzSign                   // sign with testKey (SHA-256)
	fuzzSignLegacy             // sign with testToken (SHA-1)
	fuzzFreshTS                // use the current time as the timestamp
	fuzzLegacyOn               // handler with LegacyCardCallbacks on
)

// FuzzHandleEvent checks that no body or header makes the handler panic or
// answer anything outside the contract (never a 500, nor a 503: the fakes
// never fail), that refusals are JSON too, and the properties of issue 9:
//
//   - with legacy card callbacks off, no legacy action reaches the flows;
//   - nothing signed reaches the flows unless its timestamp was placed in
//     time, inside the window;
//   - a v2 envelope without header is a 400, not a 503;
//   - no log line grows past maxLogBytes, whatever the body, timestamp,
//     nonce or X-Request-Id.
func FuzzHandleEvent(f *testing.F) {
	msg := v2(f, eventMessageReceive, "ev_1", textMessage("om_1", "@_user_1 /todo x"))
	// msgN is a message of its own, so that no seed is a duplicate of another.
	msgN := func(n int) []byte {
		return v2(f, eventMessageReceive, fmt.Sprintf("ev_s%d", n), textMessage(fmt.Sprintf("om_s%d", n), "/todo x"))
	}
	act := v2(f, eventCardAction, "ev_c", cardTrigger("s"))
	legacy := legacyAction(f, map[string]any{"k": 1})
	now := time.Now()
	seeds := []struct {
		body  []byte
		mode  uint8
		ts    string
		reqID string
	}{
		{msg, fuzzEncrypt | fuzzSign | fuzzFreshTS, "", ""},
		{msg, fuzzNoKey, "", ""},
		{act, fuzzCardRoute | fuzzEncrypt | fuzzSign | fuzzFreshTS, "", ""},
		{legacy, fuzzCardRoute | fuzzSignLegacy | fuzzFreshTS, "", ""},
		{legacy, fuzzCardRoute | fuzzSignLegacy | fuzzFreshTS | fuzzLegacyOn, "", ""},
		{legacy, fuzzCardRoute | fuzzSignLegacy | fuzzNoKey, strconv.FormatInt(now.Unix(), 10), ""},
		{legacy, fuzzCardRoute | fuzzSignLegacy | fuzzLegacyOn, "-99999", ""},
		{msgN(1), fuzzEncrypt | fuzzSign, strconv.FormatInt(now.UnixMicro(), 10), ""},
		{msgN(2), fuzzEncrypt | fuzzSign, strconv.FormatInt(now.Add(-9*time.Hour).UnixMicro(), 10), ""},
		{msgN(3), fuzzEncrypt | fuzzSign, now.String(), ""},
		{msgN(4), fuzzEncrypt | fuzzSign, "-99999", ""},
		{msgN(5), fuzzEncrypt | fuzzSign | fuzzFreshTS, "", strings.Repeat("r", 8<<10)},
		{[]byte(`{"schema":"2.0","token":"vt-test-token","event":{}}`), fuzzEncrypt | fuzzSign | fuzzFreshTS, "", ""},
		{[]byte(`{"schema":"2.0","header":null,"token":"vt-test-token"}`), fuzzNoKey, "", ""},
		{v2(f, eventMessageReceive, "ev_1", textMessage("om_1", "x"), func(h map[string]any) { h["app_id"] = "" }), fuzzEncrypt | fuzzSign | fuzzFreshTS, "", ""},
		{[]byte(`{"type":"url_verification","token":"vt-test-token","challenge":"c"}`), fuzzEncrypt, "", ""},
		{[]byte(`{"schema":"2.0","header":{"token":"vt-test-token","app_id":"cli_test0001","event_id":"e","event_type":"im.message.receive_v1"},"event":{"message":{"message_type":"post","content":"{\"zh_cn\":{}}"}}}`), fuzzNoKey, "", ""},
		{[]byte(`{"encrypt":""}`), fuzzSign | fuzzFreshTS, "", ""},
		{[]byte(`null`), fuzzNoKey, "", ""},
	}
	for _, s := range seeds {
		ts := s.ts
		if ts == "" {
			ts = "1700000000"
		}
		f.Add(s.body, s.mode, ts, "nonce", "", s.reqID)
	}
	var routers [4]*fuzzRouter
	for i := range routers {
		key := testKey
		if i&1 != 0 {
			key = ""
		}
		routers[i] = newFuzzRouter(f, key, i&2 != 0)
	}

	f.Fuzz(func(t *testing.T, body []byte, mode uint8, ts, nonce, sig, reqID string) {
		i, path := 0, "/webhook/event"
		if mode&fuzzNoKey != 0 {
			i |= 1
		}
		if mode&fuzzLegacyOn != 0 {
			i |= 2
		}
		fr := routers[i]
		if mode&fuzzCardRoute != 0 {
			path = "/webhook/card"
		}
		if mode&fuzzEncrypt != 0 {
			enc, err := feishusim.Encrypt(body, testKey)
			if err != nil {
				t.Fatal(err)
			}
			body, _ = json.Marshal(map[string]string{"encrypt": enc})
		}
		if mode&fuzzFreshTS != 0 {
			ts = nowTS()
		}
		switch {
		case mode&fuzzSign != 0:
			sig = feishusim.Sign(ts, nonce, testKey, body)
		case mode&fuzzSignLegacy != 0:
			sig = feishusim.SignLegacy(ts, nonce, testToken, body)
		}
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		// Header values with control characters never reach a server.
		for k, v := range map[string]string{"X-Lark-Request-Timestamp": ts, "X-Lark-Request-Nonce": nonce, "X-Lark-Signature": sig, "X-Request-Id": reqID} {
			req.Header.Set(k, v)
		}
		before := fr.flows.snapshot()
		fr.logs.longest.Store(0) // fuzz inputs run one at a time
		rec := httptest.NewRecorder()
		fr.router.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("status %d for mode %b: %s", rec.Code, mode, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("answer is not JSON: %q", rec.Body)
		}
		after := fr.flows.snapshot()
		if !fr.legacy && after.legacy > before.legacy {
			t.Fatalf("a legacy action reached the flows with legacy card callbacks off (mode %b)", mode)
		}
		// Whatever reached the flows from a keyed handler, or in the
		// legacy format, was signed: its timestamp must have been placed
		// inside the window.
		if after.handled() > before.handled() && (!fr.keyless || after.legacy > before.legacy) {
			at, ok := parseTimestamp(ts)
			if skew := time.Since(at); !ok || skew > DefaultTimestampWindow+time.Minute || skew < -DefaultTimestampWindow-time.Minute {
				t.Fatalf("handed over with timestamp %.80q (mode %b)", ts, mode)
			}
		}
		if n := fr.logs.longest.Load(); n > maxLogBytes {
			t.Fatalf("a log line of %d bytes (mode %b)", n, mode)
		}
	})
}

// fuzzRouter is a Handler with flows that count what they are handed and a
// log that remembers its longest line. It sits behind chi's RequestID, which
// puts any X-Request-Id into the context: the worst case, which the webhook
// must bound by itself (botd mounts requestid.Middleware instead).
type fuzzRouter struct {
	router  http.Handler
	flows   *countingFlows
	logs    *lineMeter
	keyless bool
	legacy  bool
}

func newFuzzRouter(tb testing.TB, key string, legacy bool) *fuzzRouter {
	fr := &fuzzRouter{flows: &countingFlows{}, logs: &lineMeter{}, keyless: key == "", legacy: legacy}
	core := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(fr.logs), zap.DebugLevel)
	h, err := New(Config{AppID: testAppID, VerificationToken: testToken, EncryptKey: key, LegacyCardCallbacks: legacy},
		fr.flows, newFakeClaims(), zap.New(core), nil)
	if err != nil {
		tb.Fatal(err)
	}
	r := chi.NewRouter()
	r.Use(middleware.RequestID)
	h.Routes(r)
	fr.router = r
	return fr
}

// countingFlows accepts everything and counts it.
type countingFlows struct {
	messages, actions, legacy atomic.Int64
}

type flowCounts struct{ messages, actions, legacy int64 }

func (c flowCounts) handled() int64 { return c.messages + c.actions }

func (f *countingFlows) snapshot() flowCounts {
	return flowCounts{f.messages.Load(), f.actions.Load(), f.legacy.Load()}
}

func (f *countingFlows) HandleMessage(context.Context, flows.Message) error {
	f.messages.Add(1)
	return nil
}

func (f *countingFlows) HandleAction(_ context.Context, a flows.Action) (flows.Answer, error) {
	f.actions.Add(1)
	if a.Legacy {
		f.legacy.Add(1)
	}
	return flows.Answer{}, nil
}

// lineMeter is a log sink that keeps only the length of its longest line.
type lineMeter struct{ longest atomic.Int64 }

func (m *lineMeter) Write(p []byte) (int, error) {
	for n := int64(len(p)); ; {
		cur := m.longest.Load()
		if n <= cur || m.longest.CompareAndSwap(cur, n) {
			break
		}
	}
	return len(p), nil
}
