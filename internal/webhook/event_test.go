package webhook

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/botd/botd/internal/flows"
)

func TestMessageHandedOver(t *testing.T) {
	for _, mode := range []struct {
		name string
		mod  func(*Config)
		req  func(t *testing.T, plain []byte) delivery
	}{
		{"encrypted and signed", nil, func(t *testing.T, plain []byte) delivery { return sealed(t, plain) }},
		{"plaintext, token only", noKey, func(t *testing.T, plain []byte) delivery { return delivery{body: plain} }},
	} {
		t.Run(mode.name, func(t *testing.T) {
			hs := newHarness(t, mode.mod)
			plain := v2(t, eventMessageReceive, "ev_1", textMessage("om_1", "@_user_1 /todo Buy milk @_user_2"))
			got := hs.send(t, mode.req(t, plain))
			if got.status != http.StatusOK || string(got.body) != "{}" {
				t.Fatalf("answer = %d %s", got.status, got.body)
			}
			msgs, _ := hs.flows.handled()
			want := []flows.Message{{
				EventID: "ev_1", TenantKey: "tk_1", MessageID: "om_1", ChatID: "oc_chat", ChatType: "group",
				SenderID: "ou_sender", SenderType: "user", MessageType: "text",
				Text: "@_user_1 /todo Buy milk @_user_2",
				Mentions: []flows.Mention{
					{Key: "@_user_1", OpenID: "ou_bot", Name: "TodoBot"},
					{Key: "@_user_2", OpenID: "ou_bob", Name: "Bob"},
				},
			}}
			if !reflect.DeepEqual(msgs, want) {
				t.Errorf("flows got %+v\nwant %+v", msgs, want)
			}
			if held := hs.claims.held(); !slices.Equal(held, []string{"event:ev_1", "message:om_1"}) {
				t.Errorf("claims = %v", held)
			}
			if ttl := hs.claims.keys["event:ev_1"]; ttl != DefaultClaimTTL {
				t.Errorf("claim TTL = %v, want %v", ttl, DefaultClaimTTL)
			}
		})
	}
}

// While a delivery is handled its claims hold only a short lease, so a
// process killed mid-request does not turn the platform's retry into a
// "duplicate"; once handled they are kept for the full TTL.
func TestClaimLeaseWhileHandling(t *testing.T) {
	hs := newHarness(t, nil)
	var during []time.Duration
	hs.flows.during = func() {
		hs.claims.mu.Lock()
		defer hs.claims.mu.Unlock()
		during = append(during, hs.claims.keys["event:ev_1"], hs.claims.keys["message:om_1"])
	}
	plain := v2(t, eventMessageReceive, "ev_1", textMessage("om_1", "/todo x"))
	if got := hs.send(t, sealed(t, plain)); got.status != http.StatusOK {
		t.Fatalf("status %d", got.status)
	}
	if !slices.Equal(during, []time.Duration{DefaultClaimLease, DefaultClaimLease}) {
		t.Errorf("claim TTLs while handling = %v, want the lease %v", during, DefaultClaimLease)
	}
	if ttl := hs.claims.keys["event:ev_1"]; ttl != DefaultClaimTTL {
		t.Errorf("claim TTL after handling = %v, want %v", ttl, DefaultClaimTTL)
	}
}

func TestMessageMapping(t *testing.T) {
	post := mustJSONString(map[string]any{"title": "", "content": [][]map[string]string{
		{{"tag": "at", "user_id": "@_user_1", "user_name": "TodoBot"}, {"tag": "text", "text": " /todo Buy milk"}},
		{{"tag": "img", "image_key": "img_1"}, {"tag": "a", "text": "link", "href": "https://x"}},
	}})
	localePost := mustJSONString(map[string]any{"en_us": map[string]any{"content": [][]map[string]string{{{"tag": "text", "text": "/help"}}}}})
	notUser := textMessage("om_1", "/todo x")
	notUser["sender"].(map[string]any)["sender_type"] = "app"
	tests := []struct {
		name  string
		event map[string]any
		text  string // "" means ignored
	}{
		{"text", textMessage("om_1", "/help"), "/help"},
		{"post", message("om_1", "post", post), "@_user_1 /todo Buy milk\nlink"},
		{"post per locale", message("om_1", "post", localePost), "/help"},
		{"image", message("om_1", "image", `{"image_key":"img_1"}`), ""},
		{"recalled: empty content", message("om_1", "text", ""), ""},
		{"unparseable content", message("om_1", "text", "{not json"), ""},
		{"blank text", textMessage("om_1", "  "), ""},
		{"sender is not a user", notUser, ""},
		{"no message", map[string]any{"sender": notUser["sender"]}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, nil)
			got := hs.send(t, sealed(t, v2(t, eventMessageReceive, "ev_1", tt.event)))
			if got.status != http.StatusOK {
				t.Fatalf("status = %d", got.status)
			}
			msgs, _ := hs.flows.handled()
			switch {
			case tt.text == "" && len(msgs) != 0:
				t.Errorf("ignored message was handed over: %+v", msgs)
			case tt.text == "" && len(hs.claims.held()) != 0:
				t.Errorf("ignored message left claims: %v", hs.claims.held())
			case tt.text != "" && (len(msgs) != 1 || msgs[0].Text != tt.text):
				t.Errorf("messages = %+v, want text %q", msgs, tt.text)
			}
		})
	}
}

func TestIgnoredEvents(t *testing.T) {
	tests := []struct {
		name string
		path string
		body func(t *testing.T) []byte
	}{
		{"unknown v2 event type", "", func(t *testing.T) []byte {
			return v2(t, "im.chat.member.bot.added_v1", "ev_2", map[string]any{"chat_id": "oc_1"})
		}},
		{"v1 event", "", func(t *testing.T) []byte {
			return mustJSON(t, map[string]any{"uuid": "u1", "token": testToken, "ts": "1", "type": "event_callback", "event": map[string]any{"type": "message"}})
		}},
		{"authentic, unknown kind", "", func(t *testing.T) []byte {
			return mustJSON(t, map[string]any{"token": testToken, "type": "something_new"})
		}},
		{"message on the callback route", "/webhook/card", func(t *testing.T) []byte {
			return v2(t, eventMessageReceive, "ev_1", textMessage("om_1", "/todo x"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, nil)
			d := sealed(t, tt.body(t))
			d.path = tt.path
			got := hs.send(t, d)
			if got.status != http.StatusOK || string(got.body) != "{}" {
				t.Errorf("answer = %d %s", got.status, got.body)
			}
			if m, a := hs.flows.handled(); len(m)+len(a) != 0 || len(hs.claims.held()) != 0 {
				t.Errorf("ignored event had effects: %v %v %v", m, a, hs.claims.held())
			}
		})
	}
}

func TestRedeliveryAfterFailure(t *testing.T) {
	for _, fail := range []struct {
		name string
		set  func(f *fakeFlows)
	}{
		{"flows error", func(f *fakeFlows) { f.err = errFlows }},
		{"flows panic", func(f *fakeFlows) { f.panicMsg = "boom" }},
	} {
		t.Run(fail.name, func(t *testing.T) {
			hs := newHarness(t, nil)
			plain := v2(t, eventMessageReceive, "ev_1", textMessage("om_1", "/todo x"))
			hs.flows.set(fail.set)
			if got := hs.send(t, sealed(t, plain)); got.status != http.StatusServiceUnavailable {
				t.Fatalf("failed handling: status %d, want 503", got.status)
			}
			if held := hs.claims.held(); len(held) != 0 {
				t.Fatalf("claims not released after failure: %v", held)
			}
			hs.flows.set(func(f *fakeFlows) { f.err, f.panicMsg = nil, "" })
			if got := hs.send(t, sealed(t, plain)); got.status != http.StatusOK {
				t.Fatalf("redelivery: status %d", got.status)
			}
			if got := hs.send(t, sealed(t, plain)); got.status != http.StatusOK {
				t.Fatalf("duplicate: status %d", got.status)
			}
			if msgs, _ := hs.flows.handled(); len(msgs) != 1 {
				t.Errorf("handled %d times, want once", len(msgs))
			}
		})
	}
}

func TestSameMessageUnderNewEventID(t *testing.T) {
	hs := newHarness(t, nil)
	for _, id := range []string{"ev_1", "ev_2", "ev_1"} {
		got := hs.send(t, sealed(t, v2(t, eventMessageReceive, id, textMessage("om_1", "/todo x"))))
		if got.status != http.StatusOK {
			t.Fatalf("%s: status %d", id, got.status)
		}
	}
	if msgs, _ := hs.flows.handled(); len(msgs) != 1 || msgs[0].EventID != "ev_1" {
		t.Errorf("handled %+v, want ev_1 once", msgs)
	}
	if held := hs.claims.held(); !slices.Equal(held, []string{"event:ev_1", "message:om_1"}) {
		t.Errorf("claims = %v: the duplicate left a claim behind", held)
	}
	if n := hs.logs.FilterMessage("duplicate; nothing done").Len(); n != 2 {
		t.Errorf("logged %d duplicates, want 2", n)
	}
}

// Every signed request's timestamp must be placed in time: seconds,
// milliseconds, microseconds or the Go time.String() shape, inside the window.
// Anything else is refused, whatever the signature says.
func TestTimestampFormats(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name string
		ts   string
		want int
	}{
		{"seconds", strconv.FormatInt(now.Unix(), 10), 200},
		{"milliseconds", strconv.FormatInt(now.UnixMilli(), 10), 200},
		{"microseconds", strconv.FormatInt(now.UnixMicro(), 10), 200},
		{"7h old retry", strconv.FormatInt(now.Add(-7*time.Hour).Unix(), 10), 200},
		{"Go time.String", now.Add(-time.Minute).String(), 200},
		{"Go time.String, zone without abbreviation", now.In(time.FixedZone("", 5*3600+1800)).String(), 200},
		{"microseconds, 9h old", strconv.FormatInt(now.Add(-9*time.Hour).UnixMicro(), 10), 401},
		{"Go time.String, 9h old", now.Add(-9 * time.Hour).String(), 401},
		{"negative", "-99999", 401},
		{"18 digits", strconv.FormatInt(now.UnixMicro(), 10) + "00", 401},
		{"exponent", "1.7e9", 401},
		{"free text", "not-a-time", 401},
		{"Go time.String, broken monotonic reading", now.Format(goTimeLayout) + " UTC m=soon", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, nil)
			plain := v2(t, eventMessageReceive, "ev_1", textMessage("om_1", "/todo x"))
			got := hs.send(t, signed(encryptBody(t, plain, testKey), testKey, tt.ts))
			if got.status != tt.want {
				t.Fatalf("status = %d, want %d", got.status, tt.want)
			}
			msgs, _ := hs.flows.handled()
			if handed := len(msgs) == 1; handed != (tt.want == 200) {
				t.Errorf("handed over = %v", handed)
			}
		})
	}
}

// A captured signed request, sent again once its claim has expired, meets
// the window: whatever the shape of its timestamp, no replay outlives the
// claim. Before, a microsecond (or any unparseable) timestamp skipped the
// window, and such a replay was handled again.
func TestReplayAfterClaimExpiry(t *testing.T) {
	start := time.Now()
	shapes := []struct {
		name string
		ts   string
	}{
		{"seconds", strconv.FormatInt(start.Unix(), 10)},
		{"milliseconds", strconv.FormatInt(start.UnixMilli(), 10)},
		{"microseconds", strconv.FormatInt(start.UnixMicro(), 10)},
		{"Go time.String", start.String()},
	}
	for _, sh := range shapes {
		for _, lag := range []time.Duration{-DefaultTimestampWindow + time.Minute, 0, DefaultTimestampWindow - time.Minute} {
			t.Run(fmt.Sprintf("%s, first delivery %v after the timestamp", sh.name, lag), func(t *testing.T) {
				var mu sync.Mutex
				clock := start.Add(lag)
				hs := newHarness(t, func(c *Config) {
					c.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
				})
				plain := v2(t, eventMessageReceive, "ev_1", textMessage("om_1", "/todo x"))
				d := signed(encryptBody(t, plain, testKey), testKey, sh.ts)
				if got := hs.send(t, d); got.status != http.StatusOK {
					t.Fatalf("first delivery: status %d", got.status)
				}
				ttl := hs.claims.keys["event:ev_1"]
				// The replay comes the moment the claim has expired.
				mu.Lock()
				clock = clock.Add(ttl)
				mu.Unlock()
				hs.claims.Release(t.Context(), "event:ev_1", "message:om_1")
				if got := hs.send(t, d); got.status != http.StatusUnauthorized {
					t.Errorf("replay after the claim expired: status %d, want 401", got.status)
				}
				if msgs, _ := hs.flows.handled(); len(msgs) != 1 {
					t.Errorf("handled %d times, want 1", len(msgs))
				}
			})
		}
	}
}

func TestURLVerification(t *testing.T) {
	challenge := func(t *testing.T, token string) []byte {
		return mustJSON(t, map[string]string{"challenge": "ajls384kdjx98XX", "token": token, "type": "url_verification"})
	}
	tests := []struct {
		name  string
		mod   func(*Config)
		req   func(t *testing.T) delivery
		want  int
		warns bool
	}{
		{"plain, no key", noKey, func(t *testing.T) delivery { return delivery{body: challenge(t, testToken)} }, 200, false},
		{"encrypted and signed", nil, func(t *testing.T) delivery { return sealed(t, challenge(t, testToken)) }, 200, false},
		{"encrypted, no signature headers", nil, func(t *testing.T) delivery {
			return delivery{body: encryptBody(t, challenge(t, testToken), testKey)}
		}, 200, true},
		{"legacy: plaintext on the card route with a key", legacyOn, func(t *testing.T) delivery {
			return delivery{path: "/webhook/card", body: challenge(t, testToken)}
		}, 200, true},
		// With the legacy format off, its URL cannot be saved in the
		// console: its callbacks would all be refused.
		{"legacy off: plaintext on the card route with a key", nil, func(t *testing.T) delivery {
			return delivery{path: "/webhook/card", body: challenge(t, testToken)}
		}, 401, false},
		{"legacy off: plaintext on the card route, no key", noKey, func(t *testing.T) delivery {
			return delivery{path: "/webhook/card", body: challenge(t, testToken)}
		}, 200, false},
		{"callback URL: encrypted on the card route", nil, func(t *testing.T) delivery {
			d := sealed(t, challenge(t, testToken))
			d.path = "/webhook/card"
			return d
		}, 200, false},
		{"wrong token, plain", noKey, func(t *testing.T) delivery { return delivery{body: challenge(t, "wrong")} }, 401, false},
		{"wrong token, encrypted", nil, func(t *testing.T) delivery { return sealed(t, challenge(t, "wrong")) }, 401, false},
		{"wrong token, legacy", legacyOn, func(t *testing.T) delivery {
			return delivery{path: "/webhook/card", body: challenge(t, "wrong")}
		}, 401, false},
		{"plaintext on the event route with a key", nil, func(t *testing.T) delivery { return delivery{body: challenge(t, testToken)} }, 401, false},
		{"bad signature", nil, func(t *testing.T) delivery {
			d := sealed(t, challenge(t, testToken))
			d.header.Set("X-Lark-Signature", "00")
			return d
		}, 401, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, tt.mod)
			got := hs.send(t, tt.req(t))
			if got.status != tt.want {
				t.Fatalf("status = %d, want %d (%s)", got.status, tt.want, got.body)
			}
			if tt.want == http.StatusOK {
				var ans map[string]string
				if err := json.Unmarshal(got.body, &ans); err != nil || len(ans) != 1 || ans["challenge"] != "ajls384kdjx98XX" {
					t.Errorf("answer = %s", got.body)
				}
			}
			warned := hs.logs.FilterMessageSnippet("without signature headers").Len() == 1
			if warned != tt.warns {
				t.Errorf("unsigned handshake logged = %v, want %v", warned, tt.warns)
			}
			if len(hs.claims.held()) != 0 {
				t.Errorf("claims = %v", hs.claims.held())
			}
		})
	}
}

// A redelivery that finds the first delivery's claim still on its lease (in
// hand, or left by a process that died) is answered 503, so the platform
// tries again later, instead of 200 "duplicate", which would lose the event
// if its first handler never finished.
func TestRedeliveryDuringLeaseIsRetried(t *testing.T) {
	hs := newHarness(t, nil)
	hs.claims.keys["event:ev_1"] = DefaultClaimLease // taken, never kept
	plain := v2(t, eventMessageReceive, "ev_1", textMessage("om_1", "/todo x"))
	if got := hs.send(t, sealed(t, plain)); got.status != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", got.status)
	}
	if msgs, _ := hs.flows.handled(); len(msgs) != 0 {
		t.Fatalf("flows called %d times, want 0", len(msgs))
	}
	if _, ok := hs.claims.keys["message:om_1"]; ok {
		t.Fatal("a refused redelivery took a claim")
	}
	delete(hs.claims.keys, "event:ev_1") // the lease lapses
	if got := hs.send(t, sealed(t, plain)); got.status != http.StatusOK {
		t.Fatalf("after the lease: status %d, want 200", got.status)
	}
	if msgs, _ := hs.flows.handled(); len(msgs) != 1 {
		t.Fatalf("flows called %d times, want 1", len(msgs))
	}
}
