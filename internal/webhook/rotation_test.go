package webhook

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/botd/botd/internal/feishusim"
)

// Secrets of a rotation: the console held oldKey/oldToken and now holds
// testKey/testToken; otherKey/otherToken were never botd's.
const (
	oldKey     = "ek-old-key"
	oldToken   = "vt-old-token"
	otherKey   = "ek-someone-elses-key"
	otherToken = "vt-someone-elses-token"
)

func rotatingKey(c *Config)   { c.PreviousEncryptKey = oldKey }
func rotatingToken(c *Config) { c.PreviousVerificationToken = oldToken }

// secretCounts reads botd_webhook_secret_used_total as "kind/secret" → value.
func (hs *harness) secretCounts(t testing.TB) map[string]float64 {
	t.Helper()
	families, err := hs.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range families {
		if mf.GetName() != "botd_webhook_secret_used_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			l := map[string]string{}
			for _, p := range m.GetLabel() {
				l[p.GetName()] = p.GetValue()
			}
			if v := m.GetCounter().GetValue(); v != 0 {
				out[l["kind"]+"/"+l["secret"]] = v
			}
		}
	}
	return out
}

// sealedWith is plain encrypted with encKey and signed with signKey.
func sealedWith(t testing.TB, plain []byte, encKey, signKey string) delivery {
	return signed(encryptBody(t, plain, encKey), signKey, nowTS())
}

func withToken(tok string) func(map[string]any) {
	return func(h map[string]any) { h["token"] = tok }
}

func challenge(t testing.TB, token string) []byte {
	return mustJSON(t, map[string]string{"type": "url_verification", "token": token, "challenge": "ch-1"})
}

func TestRotationEncryptKey(t *testing.T) {
	event := func(t *testing.T, i int) []byte {
		return v2(t, eventMessageReceive, fmt.Sprintf("ev_r%d", i), textMessage(fmt.Sprintf("om_r%d", i), "/todo x"))
	}
	type step struct {
		name   string
		req    func(t *testing.T) delivery
		status int
	}
	tests := []struct {
		name  string
		mod   func(*Config)
		steps []step
		want  map[string]float64 // counted when every step is done
	}{
		{"rotating", rotatingKey, []step{
			{"new key", func(t *testing.T) delivery { return sealedWith(t, event(t, 1), testKey, testKey) }, http.StatusOK},
			{"old key", func(t *testing.T) delivery { return sealedWith(t, event(t, 2), oldKey, oldKey) }, http.StatusOK},
			{"old key again", func(t *testing.T) delivery { return sealedWith(t, event(t, 3), oldKey, oldKey) }, http.StatusOK},
			{"a third key", func(t *testing.T) delivery { return sealedWith(t, event(t, 4), otherKey, otherKey) }, http.StatusUnauthorized},
			// The signature binds the key: signed with the old one, the
			// body must be encrypted with the old one too.
			{"signed old, encrypted new", func(t *testing.T) delivery { return sealedWith(t, event(t, 5), testKey, oldKey) }, http.StatusBadRequest},
			{"signed new, encrypted old", func(t *testing.T) delivery { return sealedWith(t, event(t, 6), oldKey, testKey) }, http.StatusBadRequest},
			// An unsigned handshake: decrypted with the current key, then
			// with the previous one.
			{"handshake, old key, unsigned", func(t *testing.T) delivery {
				return delivery{body: encryptBody(t, challenge(t, testToken), oldKey)}
			}, http.StatusOK},
			{"handshake, a third key, unsigned", func(t *testing.T) delivery {
				return delivery{body: encryptBody(t, challenge(t, testToken), otherKey)}
			}, http.StatusBadRequest},
		}, map[string]float64{
			"encrypt_key/current": 1, "encrypt_key/previous": 3,
			"verification_token/current": 4,
		}},
		{"not rotating", nil, []step{
			{"new key", func(t *testing.T) delivery { return sealedWith(t, event(t, 1), testKey, testKey) }, http.StatusOK},
			{"old key", func(t *testing.T) delivery { return sealedWith(t, event(t, 2), oldKey, oldKey) }, http.StatusUnauthorized},
			{"handshake, old key, unsigned", func(t *testing.T) delivery {
				return delivery{body: encryptBody(t, challenge(t, testToken), oldKey)}
			}, http.StatusBadRequest},
		}, map[string]float64{"encrypt_key/current": 1, "verification_token/current": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, tt.mod)
			for _, s := range tt.steps {
				if got := hs.send(t, s.req(t)); got.status != s.status {
					t.Errorf("%s: %d %s, want %d", s.name, got.status, got.body, s.status)
				}
			}
			if got := hs.secretCounts(t); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("secret_used_total = %v, want %v", got, tt.want)
			}
		})
	}

	// What was accepted reached the flows, whichever key it came with.
	hs := newHarness(t, rotatingKey)
	hs.send(t, sealedWith(t, event(t, 1), oldKey, oldKey))
	hs.send(t, sealedWith(t, event(t, 2), testKey, testKey))
	if msgs, _ := hs.flows.handled(); len(msgs) != 2 {
		t.Errorf("flows got %d messages, want 2", len(msgs))
	}
	// The handshake is answered with its challenge.
	got := hs.send(t, delivery{body: encryptBody(t, challenge(t, testToken), oldKey)})
	if got.status != http.StatusOK || string(got.body) != `{"challenge":"ch-1"}` {
		t.Errorf("handshake answer = %d %s", got.status, got.body)
	}
}

func TestRotationVerificationToken(t *testing.T) {
	event := func(t *testing.T, i int, tok string) []byte {
		return v2(t, eventMessageReceive, fmt.Sprintf("ev_t%d", i), textMessage(fmt.Sprintf("om_t%d", i), "/todo x"), withToken(tok))
	}
	legacy := func(t *testing.T, tok string) delivery {
		return legacySigned(legacyAction(t, fmt.Sprintf("todo:%s", tok)), tok, nowTS())
	}
	type step struct {
		name   string
		req    func(t *testing.T) delivery
		status int
	}
	tests := []struct {
		name  string
		mod   func(*Config)
		steps []step
		want  map[string]float64
	}{
		{"rotating, with a key", both(rotatingToken, legacyOn), []step{
			{"new token", func(t *testing.T) delivery { return sealed(t, event(t, 1, testToken)) }, http.StatusOK},
			{"old token", func(t *testing.T) delivery { return sealed(t, event(t, 2, oldToken)) }, http.StatusOK},
			{"a third token", func(t *testing.T) delivery { return sealed(t, event(t, 3, otherToken)) }, http.StatusUnauthorized},
			{"handshake, old token", func(t *testing.T) delivery { return sealed(t, challenge(t, oldToken)) }, http.StatusOK},
			{"handshake, a third token", func(t *testing.T) delivery { return sealed(t, challenge(t, otherToken)) }, http.StatusUnauthorized},
			{"legacy, new token", func(t *testing.T) delivery { return legacy(t, testToken) }, http.StatusOK},
			{"legacy, old token", func(t *testing.T) delivery { return legacy(t, oldToken) }, http.StatusOK},
			{"legacy, a third token", func(t *testing.T) delivery { return legacy(t, otherToken) }, http.StatusUnauthorized},
		}, map[string]float64{
			"encrypt_key/current":        3,
			"verification_token/current": 2, "verification_token/previous": 3,
		}},
		{"rotating, no key", both(noKey, rotatingToken, legacyOn), []step{
			{"new token", func(t *testing.T) delivery { return delivery{body: event(t, 1, testToken)} }, http.StatusOK},
			{"old token", func(t *testing.T) delivery { return delivery{body: event(t, 2, oldToken)} }, http.StatusOK},
			{"a third token", func(t *testing.T) delivery { return delivery{body: event(t, 3, otherToken)} }, http.StatusUnauthorized},
			{"handshake, old token", func(t *testing.T) delivery { return delivery{body: challenge(t, oldToken)} }, http.StatusOK},
			{"legacy, old token", func(t *testing.T) delivery { return legacy(t, oldToken) }, http.StatusOK},
			{"legacy, a third token", func(t *testing.T) delivery { return legacy(t, otherToken) }, http.StatusUnauthorized},
		}, map[string]float64{"verification_token/current": 1, "verification_token/previous": 3}},
		{"not rotating", legacyOn, []step{
			{"new token", func(t *testing.T) delivery { return sealed(t, event(t, 1, testToken)) }, http.StatusOK},
			{"old token", func(t *testing.T) delivery { return sealed(t, event(t, 2, oldToken)) }, http.StatusUnauthorized},
			{"handshake, old token", func(t *testing.T) delivery { return sealed(t, challenge(t, oldToken)) }, http.StatusUnauthorized},
			{"legacy, old token", func(t *testing.T) delivery { return legacy(t, oldToken) }, http.StatusUnauthorized},
		}, map[string]float64{"encrypt_key/current": 1, "verification_token/current": 1}},
		{"not rotating, no key", both(noKey, legacyOn), []step{
			{"old token", func(t *testing.T) delivery { return delivery{body: event(t, 2, oldToken)} }, http.StatusUnauthorized},
			{"legacy, old token", func(t *testing.T) delivery { return legacy(t, oldToken) }, http.StatusUnauthorized},
		}, map[string]float64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, tt.mod)
			for _, s := range tt.steps {
				if got := hs.send(t, s.req(t)); got.status != s.status {
					t.Errorf("%s: %d %s, want %d", s.name, got.status, got.body, s.status)
				}
			}
			if got := hs.secretCounts(t); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("secret_used_total = %v, want %v", got, tt.want)
			}
		})
	}
}

// Rotating both at once: each is counted on its own.
func TestRotationBoth(t *testing.T) {
	hs := newHarness(t, both(rotatingKey, rotatingToken))
	plain := v2(t, eventMessageReceive, "ev_b1", textMessage("om_b1", "/todo x"), withToken(oldToken))
	if got := hs.send(t, sealedWith(t, plain, oldKey, oldKey)); got.status != http.StatusOK {
		t.Fatalf("answer = %d %s", got.status, got.body)
	}
	plain = v2(t, eventMessageReceive, "ev_b2", textMessage("om_b2", "/todo x"), withToken(oldToken))
	if got := hs.send(t, sealedWith(t, plain, testKey, testKey)); got.status != http.StatusOK {
		t.Fatalf("answer = %d %s", got.status, got.body)
	}
	want := map[string]float64{"encrypt_key/current": 1, "encrypt_key/previous": 1, "verification_token/previous": 2}
	if got := hs.secretCounts(t); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("secret_used_total = %v, want %v", got, want)
	}
}

// The first use of a previous secret is logged once per kind, at Info, and
// no secret reaches the logs.
func TestRotationLoggedOnce(t *testing.T) {
	hs := newHarness(t, both(rotatingKey, rotatingToken))
	for i := range 3 {
		plain := v2(t, eventMessageReceive, fmt.Sprintf("ev_l%d", i), textMessage(fmt.Sprintf("om_l%d", i), "/todo x"), withToken(oldToken))
		if got := hs.send(t, sealedWith(t, plain, oldKey, oldKey)); got.status != http.StatusOK {
			t.Fatalf("answer = %d %s", got.status, got.body)
		}
	}
	kinds := map[string]int{}
	var all strings.Builder
	for _, e := range hs.logs.All() {
		fmt.Fprintf(&all, "%s %v\n", e.Message, e.ContextMap())
		if strings.Contains(e.Message, "previous secret") {
			if e.Level.String() != "info" {
				t.Errorf("logged at %s: %s", e.Level, e.Message)
			}
			kinds[fmt.Sprint(e.ContextMap()["kind"])]++
		}
	}
	if want := map[string]int{"encrypt_key": 1, "verification_token": 1}; fmt.Sprint(kinds) != fmt.Sprint(want) {
		t.Errorf("previous-secret lines by kind = %v, want %v", kinds, want)
	}
	for _, secret := range []string{testKey, testToken, oldKey, oldToken} {
		if strings.Contains(all.String(), secret) {
			t.Errorf("logs contain %q:\n%s", secret, all.String())
		}
	}
}

func TestRotationConfig(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  Config
	}{
		{"previous key without a current one", Config{VerificationToken: testToken, PreviousEncryptKey: oldKey}},
		{"previous key equal to the current one", Config{VerificationToken: testToken, EncryptKey: testKey, PreviousEncryptKey: testKey}},
		{"previous token without a current one", Config{LongConnection: true, PreviousVerificationToken: oldToken}},
		{"previous token equal to the current one", Config{VerificationToken: testToken, PreviousVerificationToken: testToken}},
	} {
		if _, err := New(tt.cfg, &fakeFlows{}, newFakeClaims(), nil, nil); err == nil {
			t.Errorf("%s: New accepted it", tt.name)
		}
	}
	ok := Config{VerificationToken: testToken, EncryptKey: testKey, PreviousVerificationToken: oldToken, PreviousEncryptKey: oldKey}
	if _, err := New(ok, &fakeFlows{}, newFakeClaims(), nil, nil); err != nil {
		t.Errorf("New refused a rotation: %v", err)
	}
}

// The long connection uses neither secret: nothing is counted for it.
func TestRotationNotOnLongConnection(t *testing.T) {
	hs := newHarness(t, nil) // for its registry and fakes
	h, err := New(Config{AppID: testAppID, LongConnection: true}, hs.flows, hs.claims, nil, hs.reg)
	if err != nil {
		t.Fatal(err)
	}
	plain := v2(t, eventMessageReceive, "ev_lc", textMessage("om_lc", "/todo x"), withToken(""))
	if _, err := h.Deliver(context.Background(), plain, "rq-1"); err != nil {
		t.Fatal(err)
	}
	if got := hs.secretCounts(t); len(got) != 0 {
		t.Errorf("secret_used_total = %v, want nothing", got)
	}
}

// Both keys decrypt the platform's documented vector shape: a sanity check
// that the previous key's block is its own, not the current one's.
func TestPreviousBlockIsItsOwn(t *testing.T) {
	s := newSecrets(Config{VerificationToken: testToken, EncryptKey: testKey, PreviousEncryptKey: oldKey})
	enc, err := feishusim.Encrypt([]byte(`{"a":1}`), oldKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := openWith(s.prevBlock, []byte(enc)); err != nil {
		t.Errorf("previous block: %v", err)
	}
	if _, err := openWith(bodyCipher(testKey), []byte(enc)); err == nil {
		t.Error("the current key opened a body encrypted with the previous one")
	}
}

// BenchmarkOpenRotating is BenchmarkOpenAndParse with a previous key and
// token configured: a request with the current ones must cost what it costs
// without rotation; one with the previous ones pays a second signature hash.
func BenchmarkOpenRotating(b *testing.B) {
	h, err := New(Config{AppID: testAppID, VerificationToken: testToken, EncryptKey: testKey,
		PreviousEncryptKey: oldKey, PreviousVerificationToken: oldToken}, benchFlows{}, newFakeClaims(), nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	plain := func(tok string) []byte {
		return v2(b, eventMessageReceive, "ev_bench_0", textMessage("om_bench_0", "/todo Buy milk @_user_2"), withToken(tok))
	}
	for _, tc := range []struct {
		name string
		d    delivery
	}{
		{"current", sealedWith(b, plain(testToken), testKey, testKey)},
		{"previous", sealedWith(b, plain(oldToken), oldKey, oldKey)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			r := benchRequest(tc.d)
			b.ReportAllocs()
			for b.Loop() {
				c := h.newCall(routeEvent, r)
				if _, _, err := h.open(c, tc.d.body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
