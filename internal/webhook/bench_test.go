package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.uber.org/zap"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/state"
	"github.com/botd/botd/internal/state/statetest"
)

// The webhook path, step by step and whole, for `go test -bench . -benchmem
// ./internal/webhook` (docs/benchmarks.md). Claims go to a real Redis when
// BOTD_TEST_REDIS_URL names one, else to the in-process one.

// benchFlows takes everything and does nothing, so that the benchmarks
// measure the webhook alone. It tells commands from chatter as the engine
// does (flows.ParseCommand).
type benchFlows struct{}

func (benchFlows) HandleMessage(context.Context, flows.Message) error { return nil }
func (benchFlows) HandleAction(context.Context, flows.Action) (flows.Answer, error) {
	return flows.Answer{Toast: &flows.Toast{Type: "success", Content: "ok"}}, nil
}
func (benchFlows) Acts(m flows.Message) bool {
	_, ok := flows.ParseCommand(m.Text, m.Mentions, "")
	return ok
}

// benchEvent is the i-th /todo (or plain message) as the platform sends it:
// a fresh event_id and message_id, encrypted and signed.
func benchEvent(b *testing.B, i int, text string) delivery {
	plain := v2(b, eventMessageReceive, fmt.Sprintf("ev_bench_%d", i), textMessage(fmt.Sprintf("om_bench_%d", i), text))
	return sealed(b, plain)
}

func benchRequest(d delivery) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/webhook/event", bytes.NewReader(d.body))
	for k, vs := range d.header {
		r.Header[k] = vs
	}
	return r
}

func benchHandler(b *testing.B, claims Claims) *Handler {
	h, err := New(Config{AppID: testAppID, VerificationToken: testToken, EncryptKey: testKey}, benchFlows{}, claims, zap.NewNop(), nil)
	if err != nil {
		b.Fatal(err)
	}
	return h
}

// BenchmarkVerify is the signature check over the raw body.
func BenchmarkVerify(b *testing.B) {
	d := benchEvent(b, 0, "/todo Buy milk @_user_2")
	ts, nonce, sig := d.header.Get("X-Lark-Request-Timestamp"), d.header.Get("X-Lark-Request-Nonce"), d.header.Get("X-Lark-Signature")
	b.ReportAllocs()
	for b.Loop() {
		if !hexEqual(sig, signV2(ts, nonce, testKey, d.body)) {
			b.Fatal("signature mismatch")
		}
	}
}

// BenchmarkDecrypt is AES-256-CBC of the "encrypt" field.
func BenchmarkDecrypt(b *testing.B) {
	d := benchEvent(b, 0, "/todo Buy milk @_user_2")
	var outer struct{ Encrypt string }
	if err := json.Unmarshal(d.body, &outer); err != nil {
		b.Fatal(err)
	}
	block := bodyCipher(testKey) // made once, as New does
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decryptWith(block, []byte(outer.Encrypt)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenAndParse is everything before the claim: signature,
// timestamp, decryption, the envelope, the token and app_id, the event and
// its mapping to a flows.Message.
func BenchmarkOpenAndParse(b *testing.B) {
	h := benchHandler(b, newFakeClaims())
	d := benchEvent(b, 0, "/todo Buy milk @_user_2")
	r := benchRequest(d)
	b.ReportAllocs()
	for b.Loop() {
		c := h.newCall(routeEvent, r)
		env, _, err := h.open(c, d.body)
		if err != nil {
			b.Fatal(err)
		}
		if _, skip, err := decodeMessage(env); err != nil || skip != "" {
			b.Fatal(err, skip)
		}
	}
}

// BenchmarkClaim is one delivery's claims: Claim, then Keep, on Redis.
func BenchmarkClaim(b *testing.B) {
	s := state.New(statetest.Redis(b), 0, nil)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		keys := []string{eventKey(fmt.Sprint("ev_", i)), messageKey(fmt.Sprint("om_", i))}
		if taken, _, err := s.Claim(ctx, DefaultClaimLease, keys...); err != nil || taken != "" {
			b.Fatal(taken, err)
		}
		if err := s.Keep(ctx, DefaultClaimTTL, keys...); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandler is one request through the handler, claims on Redis and
// flows that do nothing: a /todo, and a plain message (chatter).
func BenchmarkHandler(b *testing.B) {
	for _, tc := range []struct{ name, text string }{
		{"command", "/todo Buy milk @_user_2"},
		{"chatter", "lunch at 12? @_user_2"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			h := benchHandler(b, state.New(statetest.Redis(b), 0, nil))
			serve := h.serve(routeEvent)
			reqs := make([]delivery, 0, 4096)
			for i := range cap(reqs) {
				reqs = append(reqs, benchEvent(b, i, tc.text))
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if i > 0 && i%len(reqs) == 0 { // a fresh batch: every event_id once
					b.StopTimer()
					for j := range reqs {
						reqs[j] = benchEvent(b, i+j, tc.text)
					}
					b.StartTimer()
				}
				w := httptest.NewRecorder()
				serve(w, benchRequest(reqs[i%len(reqs)]))
				if w.Code != http.StatusOK {
					b.Fatalf("HTTP %d %s", w.Code, w.Body)
				}
				i++
			}
		})
	}
}

// BenchmarkOuterBody is reading {"encrypt": ...}: the fast path, and the
// full decode every other body gets.
func BenchmarkOuterBody(b *testing.B) {
	d := benchEvent(b, 0, "/todo Buy milk @_user_2")
	b.Run("encryptedOnly", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := encryptedOnly(d.body); !ok {
				b.Fatal("not taken")
			}
		}
	})
	b.Run("parseEnvelope", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if env, err := parseEnvelope(d.body); err != nil || env.Encrypt == nil {
				b.Fatal(err)
			}
		}
	})
}
