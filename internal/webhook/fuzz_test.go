package webhook

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5"
	"go.uber.org/zap"

	"github.com/botd/botd/internal/feishusim"
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
)

// FuzzHandleEvent checks that no body or header makes the handler panic or
// answer anything outside the contract (never a 500), and that refusals are
// JSON too.
func FuzzHandleEvent(f *testing.F) {
	msg := v2(f, eventMessageReceive, "ev_1", textMessage("om_1", "@_user_1 /todo x"))
	act := v2(f, eventCardAction, "ev_c", cardTrigger("s"))
	seeds := []struct {
		body []byte
		mode uint8
	}{
		{msg, fuzzEncrypt | fuzzSign | fuzzFreshTS},
		{msg, fuzzNoKey},
		{act, fuzzCardRoute | fuzzEncrypt | fuzzSign | fuzzFreshTS},
		{legacyAction(f, map[string]any{"k": 1}), fuzzCardRoute | fuzzSignLegacy | fuzzFreshTS},
		{[]byte(`{"type":"url_verification","token":"vt-test-token","challenge":"c"}`), fuzzEncrypt},
		{[]byte(`{"schema":"2.0","header":{"token":"vt-test-token","event_id":"e","event_type":"im.message.receive_v1"},"event":{"message":{"message_type":"post","content":"{\"zh_cn\":{}}"}}}`), fuzzNoKey},
		{[]byte(`{"encrypt":""}`), fuzzSign | fuzzFreshTS},
		{[]byte(`null`), fuzzNoKey},
	}
	for _, s := range seeds {
		f.Add(s.body, s.mode, "1700000000", "nonce", "")
	}
	keyed := fuzzRouter(f, testKey)
	plain := fuzzRouter(f, "")

	f.Fuzz(func(t *testing.T, body []byte, mode uint8, ts, nonce, sig string) {
		router, path := keyed, "/webhook/event"
		if mode&fuzzNoKey != 0 {
			router = plain
		}
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
		for k, v := range map[string]string{"X-Lark-Request-Timestamp": ts, "X-Lark-Request-Nonce": nonce, "X-Lark-Signature": sig} {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		router.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("status %d for mode %b: %s", rec.Code, mode, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("answer is not JSON: %q", rec.Body)
		}
	})
}

func fuzzRouter(tb testing.TB, key string) http.Handler {
	h, err := New(Config{AppID: testAppID, VerificationToken: testToken, EncryptKey: key},
		&fakeFlows{}, newFakeClaims(), zap.NewNop(), nil)
	if err != nil {
		tb.Fatal(err)
	}
	r := chi.NewRouter()
	h.Routes(r)
	return r
}
