package webhook

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRefusals covers every answer to bad input in contract.md: each case
// must leave no trace (flows not called, no claim left behind).
func TestRefusals(t *testing.T) {
	msg := func(t *testing.T) []byte { return v2(t, eventMessageReceive, "ev_1", textMessage("om_1", "/todo x")) }
	ts := nowTS()
	tests := []struct {
		name     string
		noKey    bool // handler without an Encrypt Key (token only)
		cfg      func(*Config)
		claimed  []string // claims present before the request
		redisErr bool
		req      func(t *testing.T) delivery
		want     int
		why      string // in the logged reason of the refusal
	}{
		{name: "body over 1 MiB", why: "too large", want: http.StatusRequestEntityTooLarge, req: func(t *testing.T) delivery {
			return sealed(t, bytes.Repeat([]byte(" "), DefaultMaxBodyBytes+1))
		}},
		{name: "plain body over 1 MiB without key", why: "too large", noKey: true, want: http.StatusRequestEntityTooLarge, req: func(t *testing.T) delivery {
			return delivery{body: append(msg(t), bytes.Repeat([]byte(" "), DefaultMaxBodyBytes)...)}
		}},
		{name: "GET", why: "method", want: http.StatusMethodNotAllowed, req: func(t *testing.T) delivery {
			d := sealed(t, msg(t))
			d.method = http.MethodGet
			return d
		}},
		{name: "not JSON, signed", why: "not a JSON object", want: http.StatusBadRequest, req: func(t *testing.T) delivery {
			return signed([]byte("not json"), testKey, ts)
		}},
		{name: "not JSON, no key", why: "not a JSON object", noKey: true, want: http.StatusBadRequest, req: func(t *testing.T) delivery {
			return delivery{body: []byte("{not json")}
		}},
		{name: "JSON null", why: "not a JSON object", noKey: true, want: http.StatusBadRequest, req: func(t *testing.T) delivery {
			return delivery{body: []byte("null")}
		}},
		{name: "JSON array, signed", why: "not a JSON object", want: http.StatusBadRequest, req: func(t *testing.T) delivery {
			return signed([]byte(`[{"encrypt":"x"}]`), testKey, ts)
		}},
		{name: "bad base64", why: "cannot decrypt", want: http.StatusBadRequest, req: func(t *testing.T) delivery {
			return signed([]byte(`{"encrypt":"%%% not base64"}`), testKey, ts)
		}},
		{name: "ciphertext too short", why: "cannot decrypt", want: http.StatusBadRequest, req: func(t *testing.T) delivery {
			return signed(mustJSON(t, map[string]string{"encrypt": base64.StdEncoding.EncodeToString(make([]byte, 16))}), testKey, ts)
		}},
		// Bad padding, or (1 in 256, the IV being random) garbage that is not JSON.
		{name: "encrypted with another key", why: "decrypt", want: http.StatusBadRequest, req: func(t *testing.T) delivery {
			return signed(encryptBody(t, msg(t), "another key"), testKey, ts)
		}},
		{name: "decrypts to non-JSON", why: "decrypted body is not", want: http.StatusBadRequest, req: func(t *testing.T) delivery {
			return sealed(t, []byte("hello world"))
		}},
		{name: "encrypted body, no key configured", why: "no encrypt key", noKey: true, want: http.StatusBadRequest, req: func(t *testing.T) delivery {
			return delivery{body: encryptBody(t, msg(t), testKey)}
		}},
		{name: "wrong signature", why: "signature mismatch", want: http.StatusUnauthorized, req: func(t *testing.T) delivery {
			d := sealed(t, msg(t))
			d.header.Set("X-Lark-Signature", strings.Repeat("0", 64))
			return d
		}},
		{name: "signed with another key", why: "signature mismatch", want: http.StatusUnauthorized, req: func(t *testing.T) delivery {
			return signed(encryptBody(t, msg(t), testKey), "another key", ts)
		}},
		{name: "body changed after signing", why: "signature mismatch", want: http.StatusUnauthorized, req: func(t *testing.T) delivery {
			d := sealed(t, msg(t))
			d.body = append(d.body, ' ')
			return d
		}},
		{name: "missing signature header", why: "no valid v2 signature", want: http.StatusUnauthorized, req: func(t *testing.T) delivery {
			d := sealed(t, msg(t))
			d.header.Del("X-Lark-Signature")
			return d
		}},
		{name: "missing nonce header", why: "no valid v2 signature", want: http.StatusUnauthorized, req: func(t *testing.T) delivery {
			d := sealed(t, msg(t))
			d.header.Del("X-Lark-Request-Nonce")
			return d
		}},
		{name: "missing timestamp header", why: "no valid v2 signature", want: http.StatusUnauthorized, req: func(t *testing.T) delivery {
			d := sealed(t, msg(t))
			d.header.Del("X-Lark-Request-Timestamp")
			return d
		}},
		{name: "plaintext body while a key is set", why: "plaintext", want: http.StatusUnauthorized, req: func(t *testing.T) delivery {
			return signed(msg(t), testKey, ts)
		}},
		{name: "wrong token", why: "verification token", want: http.StatusUnauthorized, req: func(t *testing.T) delivery {
			return sealed(t, v2(t, eventMessageReceive, "ev_1", textMessage("om_1", "x"), func(h map[string]any) { h["token"] = "wrong" }))
		}},
		{name: "wrong token, no key", why: "verification token", noKey: true, want: http.StatusUnauthorized, req: func(t *testing.T) delivery {
			return delivery{body: v2(t, eventMessageReceive, "ev_1", textMessage("om_1", "x"), func(h map[string]any) { h["token"] = "wrong" })}
		}},
		{name: "no header, no key", why: "verification token", noKey: true, want: http.StatusUnauthorized, req: func(t *testing.T) delivery {
			return delivery{body: []byte(`{"schema":"2.0","event":{}}`)}
		}},
		{name: "wrong app_id", why: "app_id", want: http.StatusUnauthorized, req: func(t *testing.T) delivery {
			return sealed(t, v2(t, eventMessageReceive, "ev_1", textMessage("om_1", "x"), func(h map[string]any) { h["app_id"] = "cli_other" }))
		}},
		{name: "timestamp 9h old", why: "window", want: http.StatusUnauthorized, req: func(t *testing.T) delivery {
			old := strconv.FormatInt(time.Now().Add(-9*time.Hour).Unix(), 10)
			return signed(encryptBody(t, msg(t), testKey), testKey, old)
		}},
		{name: "timestamp 9h ahead, in ms", why: "window", want: http.StatusUnauthorized, req: func(t *testing.T) delivery {
			ahead := strconv.FormatInt(time.Now().Add(9*time.Hour).UnixMilli(), 10)
			return signed(encryptBody(t, msg(t), testKey), testKey, ahead)
		}},
		{name: "v2 event signed with the legacy scheme", why: "no valid v2 signature", cfg: legacyOn, want: http.StatusUnauthorized, req: func(t *testing.T) delivery {
			return legacySigned(encryptBody(t, v2(t, eventCardAction, "ev_c", cardTrigger(map[string]any{"k": "v"})), testKey), testToken, ts)
		}},
		{name: "v2 event signed with the legacy scheme, legacy off", why: "legacy card callback format is off", want: http.StatusUnauthorized, req: func(t *testing.T) delivery {
			return legacySigned(encryptBody(t, v2(t, eventCardAction, "ev_c", cardTrigger(map[string]any{"k": "v"})), testKey), testToken, ts)
		}},
		{name: "legacy action unsigned", why: "legacy signature", cfg: legacyOn, want: http.StatusUnauthorized, req: func(t *testing.T) delivery {
			return delivery{path: "/webhook/card", body: legacyAction(t, map[string]any{"k": "v"})}
		}},
		{name: "legacy action unsigned, no key", why: "legacy signature", cfg: legacyOn, noKey: true, want: http.StatusUnauthorized, req: func(t *testing.T) delivery {
			return delivery{path: "/webhook/card", body: legacyAction(t, map[string]any{"k": "v"})}
		}},
		// Item 2: the legacy format is opt-in. Signed with the Verification
		// Token alone, it would let whoever holds the token (but not the
		// key) click as anyone.
		{name: "legacy action signed with the token, legacy off", why: "legacy card callback format is off", want: http.StatusUnauthorized, req: func(t *testing.T) delivery {
			return legacySigned(legacyAction(t, map[string]any{"k": "v"}), testToken, ts)
		}},
		{name: "legacy action encrypted and signed with the token, legacy off", why: "legacy card callback format is off", want: http.StatusUnauthorized, req: func(t *testing.T) delivery {
			return legacySigned(encryptBody(t, legacyAction(t, map[string]any{"k": "v"}), testKey), testToken, ts)
		}},
		{name: "legacy action signed with the token, legacy off, no key", why: "legacy card callback format is off", noKey: true, want: http.StatusUnauthorized, req: func(t *testing.T) delivery {
			return legacySigned(legacyAction(t, map[string]any{"k": "v"}), testToken, ts)
		}},
		{name: "legacy action unsigned, legacy off, no key", why: "legacy card callback format is off", noKey: true, want: http.StatusUnauthorized, req: func(t *testing.T) delivery {
			return delivery{path: "/webhook/card", body: legacyAction(t, map[string]any{"k": "v"})}
		}},
		{name: "legacy action with a bad timestamp", why: "cannot be placed", cfg: legacyOn, want: http.StatusUnauthorized, req: func(t *testing.T) delivery {
			return legacySigned(legacyAction(t, map[string]any{"k": "v"}), testToken, "-99999")
		}},
		{name: "legacy action signed with another token", why: "signature mismatch", want: http.StatusUnauthorized, req: func(t *testing.T) delivery {
			return legacySigned(legacyAction(t, map[string]any{"k": "v"}), "not-our-token", ts)
		}},
		{name: "legacy action on the event route", why: "signature mismatch", want: http.StatusUnauthorized, req: func(t *testing.T) delivery {
			d := legacySigned(legacyAction(t, map[string]any{"k": "v"}), testToken, ts)
			d.path = "/webhook/event"
			return d
		}},
		// Item 3: a signed request whose timestamp cannot be placed in time
		// has no window; accepted, it could be replayed once its claim
		// expired.
		{name: "timestamp negative", why: "cannot be placed", want: http.StatusUnauthorized, req: func(t *testing.T) delivery {
			return signed(encryptBody(t, msg(t), testKey), testKey, "-99999")
		}},
		{name: "timestamp 9h old, in µs", why: "window", want: http.StatusUnauthorized, req: func(t *testing.T) delivery {
			return signed(encryptBody(t, msg(t), testKey), testKey, strconv.FormatInt(time.Now().Add(-9*time.Hour).UnixMicro(), 10))
		}},
		{name: "timestamp of 18 digits", why: "cannot be placed", want: http.StatusUnauthorized, req: func(t *testing.T) delivery {
			return signed(encryptBody(t, msg(t), testKey), testKey, "170000000000000000")
		}},
		{name: "timestamp in words", why: "cannot be placed", want: http.StatusUnauthorized, req: func(t *testing.T) delivery {
			return signed(encryptBody(t, msg(t), testKey), testKey, "yesterday")
		}},
		{name: "timestamp Go time.String, 9h old", why: "window", want: http.StatusUnauthorized, req: func(t *testing.T) delivery {
			return signed(encryptBody(t, msg(t), testKey), testKey, time.Now().Add(-9*time.Hour).String())
		}},
		{name: "timestamp of 64 KiB", why: "cannot be placed", want: http.StatusUnauthorized, req: func(t *testing.T) delivery {
			return signed(encryptBody(t, msg(t), testKey), testKey, strings.Repeat("9", 64<<10))
		}},
		// Item 4: a v2 envelope without header is malformed, not a crash.
		{name: "v2 without header, token at the top", why: "without header", want: http.StatusBadRequest, req: func(t *testing.T) delivery {
			return sealed(t, []byte(`{"schema":"2.0","token":"`+testToken+`","event":{}}`))
		}},
		{name: "v2 with header null", why: "without header", want: http.StatusBadRequest, req: func(t *testing.T) delivery {
			return sealed(t, []byte(`{"schema":"2.0","header":null,"token":"`+testToken+`","event":{}}`))
		}},
		{name: "v2 without header", why: "without header", want: http.StatusBadRequest, req: func(t *testing.T) delivery {
			return sealed(t, []byte(`{"schema":"2.0","event":{}}`))
		}},
		{name: "v2 without header, token at the top, no key", why: "verification token", noKey: true, want: http.StatusUnauthorized, req: func(t *testing.T) delivery {
			return delivery{body: []byte(`{"schema":"2.0","header":null,"token":"` + testToken + `","event":{}}`)}
		}},
		{name: "empty app_id", why: "no app_id", want: http.StatusUnauthorized, req: func(t *testing.T) delivery {
			return sealed(t, v2(t, eventMessageReceive, "ev_1", textMessage("om_1", "x"), func(h map[string]any) { h["app_id"] = "" }))
		}},
		{name: "no app_id", why: "no app_id", want: http.StatusUnauthorized, req: func(t *testing.T) delivery {
			return sealed(t, v2(t, eventMessageReceive, "ev_1", textMessage("om_1", "x"), func(h map[string]any) { delete(h, "app_id") }))
		}},
		{name: "empty app_id, no key", why: "no app_id", noKey: true, want: http.StatusUnauthorized, req: func(t *testing.T) delivery {
			return delivery{body: v2(t, eventMessageReceive, "ev_1", textMessage("om_1", "x"), func(h map[string]any) { h["app_id"] = "" })}
		}},
		{name: "empty app_id on a callback", why: "no app_id", want: http.StatusUnauthorized, req: func(t *testing.T) delivery {
			d := sealed(t, v2(t, eventCardAction, "ev_c", cardTrigger(map[string]any{"k": "v"}), func(h map[string]any) { h["app_id"] = "" }))
			d.path = "/webhook/card"
			return d
		}},
		{name: "malformed app_id, app id not configured", why: "malformed app_id", cfg: func(c *Config) { c.AppID = "" }, want: http.StatusBadRequest, req: func(t *testing.T) delivery {
			return sealed(t, v2(t, eventMessageReceive, "ev_1", textMessage("om_1", "x"), func(h map[string]any) { h["app_id"] = "cli_<x>" }))
		}},
		// Ids of the wrong shape (platformid): 400 for events; callbacks
		// must answer 200, with an error toast, and do nothing.
		{name: "malformed sender open_id", why: "sender open_id", want: http.StatusBadRequest, req: func(t *testing.T) delivery {
			ev := textMessage("om_1", "/todo x")
			ev["sender"].(map[string]any)["sender_id"] = map[string]string{"open_id": "ou_a\"b"}
			return sealed(t, v2(t, eventMessageReceive, "ev_1", ev))
		}},
		{name: "sender id of another kind", why: "sender open_id", want: http.StatusBadRequest, req: func(t *testing.T) delivery {
			ev := textMessage("om_1", "/todo x")
			ev["sender"].(map[string]any)["sender_id"] = map[string]string{"open_id": "oc_chat"}
			return sealed(t, v2(t, eventMessageReceive, "ev_1", ev))
		}},
		{name: "malformed chat_id", why: "chat_id", want: http.StatusBadRequest, req: func(t *testing.T) delivery {
			ev := textMessage("om_1", "/todo x")
			ev["message"].(map[string]any)["chat_id"] = "oc_<script>"
			return sealed(t, v2(t, eventMessageReceive, "ev_1", ev))
		}},
		{name: "no chat_id", why: "chat_id", want: http.StatusBadRequest, req: func(t *testing.T) delivery {
			ev := textMessage("om_1", "/todo x")
			delete(ev["message"].(map[string]any), "chat_id")
			return sealed(t, v2(t, eventMessageReceive, "ev_1", ev))
		}},
		{name: "malformed message_id", why: "message_id", want: http.StatusBadRequest, req: func(t *testing.T) delivery {
			return sealed(t, v2(t, eventMessageReceive, "ev_1", textMessage("om_1:x", "/todo x")))
		}},
		{name: "malformed mention open_id", why: "mention open_id", want: http.StatusBadRequest, req: func(t *testing.T) delivery {
			ev := textMessage("om_1", "/todo x")
			ev["message"].(map[string]any)["mentions"] = []map[string]any{{"key": "@_user_1", "id": map[string]string{"open_id": "ou_ x"}, "name": "X"}}
			return sealed(t, v2(t, eventMessageReceive, "ev_1", ev))
		}},
		{name: "malformed event_id", why: "malformed event_id", want: http.StatusBadRequest, req: func(t *testing.T) delivery {
			return sealed(t, v2(t, eventMessageReceive, "ev 1\nlevel=error", textMessage("om_1", "x")))
		}},
		{name: "event_id of 64 KiB", why: "malformed event_id", want: http.StatusBadRequest, req: func(t *testing.T) delivery {
			return sealed(t, v2(t, eventMessageReceive, strings.Repeat("e", 64<<10), textMessage("om_1", "x")))
		}},
		{name: "chat_id of 64 KiB", why: "chat_id", want: http.StatusBadRequest, req: func(t *testing.T) delivery {
			ev := textMessage("om_1", "/todo x")
			ev["message"].(map[string]any)["chat_id"] = "oc_" + strings.Repeat("c", 64<<10)
			return sealed(t, v2(t, eventMessageReceive, "ev_1", ev))
		}},
		{name: "callback with a malformed operator open_id", want: http.StatusOK, req: func(t *testing.T) delivery {
			ev := cardTrigger(map[string]any{"k": "v"})
			ev["operator"].(map[string]any)["open_id"] = "ou_<b>" + strings.Repeat("x", 64<<10)
			return sealed(t, v2(t, eventCardAction, "ev_c", ev))
		}},
		{name: "callback without operator open_id", want: http.StatusOK, req: func(t *testing.T) delivery {
			ev := cardTrigger(map[string]any{"k": "v"})
			delete(ev["operator"].(map[string]any), "open_id")
			return sealed(t, v2(t, eventCardAction, "ev_c", ev))
		}},
		{name: "callback with a malformed open_chat_id", want: http.StatusOK, req: func(t *testing.T) delivery {
			ev := cardTrigger(map[string]any{"k": "v"})
			ev["context"] = map[string]string{"open_message_id": "om_card", "open_chat_id": "om_card"}
			return sealed(t, v2(t, eventCardAction, "ev_c", ev))
		}},
		{name: "callback with a malformed open_message_id", want: http.StatusOK, req: func(t *testing.T) delivery {
			ev := cardTrigger(map[string]any{"k": "v"})
			ev["context"] = map[string]string{"open_message_id": "om_ card", "open_chat_id": "oc_chat"}
			return sealed(t, v2(t, eventCardAction, "ev_c", ev))
		}},
		{name: "legacy action with a malformed open_id", cfg: legacyOn, want: http.StatusOK, req: func(t *testing.T) delivery {
			body := mustJSON(t, map[string]any{"open_id": "ou_'x'", "open_message_id": "om_card", "open_chat_id": "oc_chat",
				"action": map[string]any{"value": "v", "tag": "button"}})
			return legacySigned(body, testToken, ts)
		}},
		// Item 5: nothing a client sends reaches a log line unbounded.
		{name: "X-Request-Id of 64 KiB", why: "signature mismatch", want: http.StatusUnauthorized, req: func(t *testing.T) delivery {
			d := sealed(t, msg(t))
			d.header.Set("X-Lark-Signature", strings.Repeat("0", 64))
			d.header.Set("X-Request-Id", strings.Repeat("r", 64<<10))
			return d
		}},
		{name: "v2 event without event_id", why: "event_id", want: http.StatusBadRequest, req: func(t *testing.T) delivery {
			return sealed(t, v2(t, eventMessageReceive, "", textMessage("om_1", "x")))
		}},
		{name: "message event not an object", why: "malformed", want: http.StatusBadRequest, req: func(t *testing.T) delivery {
			return sealed(t, v2(t, eventMessageReceive, "ev_1", "a string"))
		}},
		{name: "duplicate event_id", why: "", claimed: []string{"event:ev_1"}, want: http.StatusOK, req: func(t *testing.T) delivery {
			return sealed(t, msg(t))
		}},
		{name: "duplicate message_id", why: "", claimed: []string{"message:om_1"}, want: http.StatusOK, req: func(t *testing.T) delivery {
			return sealed(t, msg(t))
		}},
		{name: "store down", why: "message not handled", redisErr: true, want: http.StatusServiceUnavailable, req: func(t *testing.T) delivery {
			return sealed(t, msg(t))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mods := []func(*Config){}
			if tt.noKey {
				mods = append(mods, noKey)
			}
			if tt.cfg != nil {
				mods = append(mods, tt.cfg)
			}
			hs := newHarness(t, both(mods...))
			for _, k := range tt.claimed {
				hs.claims.keys[k] = time.Hour
				hs.claims.kept[k] = true
			}
			if tt.redisErr {
				hs.claims.err = errors.New("dial tcp: connection refused")
			}
			got := hs.send(t, tt.req(t))
			if got.status != tt.want {
				t.Errorf("status = %d, want %d (body %s)", got.status, tt.want, got.body)
			}
			if ct := got.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q", ct)
			}
			if !json.Valid(got.body) {
				t.Errorf("body is not JSON: %q", got.body)
			}
			if tt.why != "" {
				logged := hs.logs.FilterFieldKey("reason").All()
				if len(logged) != 1 || !strings.Contains(logged[0].ContextMap()["reason"].(string), tt.why) {
					t.Errorf("want one refusal logged with reason %q, got %v", tt.why, logged)
				}
			}
			if n, line := maxLogLine(t, hs.logs); n > maxLogBytes {
				t.Errorf("a log line of %d bytes: %.300s…", n, line)
			}
			if m, a := hs.flows.handled(); len(m)+len(a) > 0 {
				t.Errorf("flows were called: %v %v", m, a)
			}
			want := slices.Sorted(slices.Values(tt.claimed))
			if held := hs.claims.held(); !slices.Equal(held, want) {
				t.Errorf("claims after the request = %v, want %v", held, want)
			}
		})
	}
}
