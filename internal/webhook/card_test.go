package webhook

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/botd/botd/internal/flows"
)

const errorToastJSON = `{"toast":{"type":"error","content":"Something went wrong, please try again","i18n":{"en_us":"Something went wrong, please try again","zh_cn":"出错了，请重试"}}}`

func TestCardActionHandedOver(t *testing.T) {
	for _, path := range []string{"/webhook/card", "/webhook/event"} {
		t.Run(path, func(t *testing.T) {
			hs := newHarness(t, nil)
			d := sealed(t, v2(t, eventCardAction, "ev_c1", cardTrigger(map[string]any{"flow": "todo", "iid": "itx_1"})))
			d.path = path
			got := hs.send(t, d)
			if got.status != http.StatusOK || string(got.body) != "{}" {
				t.Fatalf("answer = %d %s", got.status, got.body)
			}
			_, acts := hs.flows.handled()
			want := []flows.Action{{
				EventID: "ev_c1", TenantKey: "tk_1", OperatorID: "ou_clicker", MessageID: "om_card", ChatID: "oc_chat",
				Token: "c-update-token", Tag: "button", Name: "submit_btn", Timezone: "Asia/Shanghai",
				Value:     map[string]any{"flow": "todo", "iid": "itx_1"},
				FormValue: map[string]any{"title": "Buy milk", "due_date": "2024-11-15 +0800"},
			}}
			if !reflect.DeepEqual(acts, want) {
				t.Errorf("flows got %+v\nwant %+v", acts, want)
			}
			if held := hs.claims.held(); !slices.Equal(held, []string{"event:ev_c1"}) {
				t.Errorf("claims = %v", held)
			}
		})
	}
}

func TestCardAnswers(t *testing.T) {
	card := map[string]any{"schema": "2.0", "body": map[string]any{"elements": []any{}}}
	tests := []struct {
		name    string
		answer  flows.Answer
		err     error
		panics  bool
		dup     bool
		down    bool
		want    string
		handled int
	}{
		{name: "empty", want: `{}`, handled: 1},
		{name: "toast", answer: flows.Answer{Toast: &flows.Toast{Type: "success", Content: "Saved", I18n: map[string]string{"zh_cn": "已保存", "en_us": "Saved"}}},
			want: `{"toast":{"type":"success","content":"Saved","i18n":{"en_us":"Saved","zh_cn":"已保存"}}}`, handled: 1},
		{name: "toast and card", answer: flows.Answer{Toast: &flows.Toast{Type: "info", Content: "Done"}, Card: card},
			want: `{"toast":{"type":"info","content":"Done"},"card":{"type":"raw","data":{"body":{"elements":[]},"schema":"2.0"}}}`, handled: 1},
		{name: "raw JSON card", answer: flows.Answer{Card: json.RawMessage(`{"schema":"2.0"}`)},
			want: `{"card":{"type":"raw","data":{"schema":"2.0"}}}`, handled: 1},
		{name: "card that is not an object", answer: flows.Answer{Card: "oops"}, want: errorToastJSON, handled: 1},
		{name: "flows error", err: errFlows, want: errorToastJSON},
		{name: "flows panic", panics: true, want: errorToastJSON},
		{name: "store down", down: true, want: errorToastJSON},
		{name: "duplicate", dup: true, want: `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, nil)
			hs.flows.set(func(f *fakeFlows) {
				f.answer, f.err = tt.answer, tt.err
				if tt.panics {
					f.panicMsg = "boom"
				}
			})
			if tt.dup {
				hs.claims.keys["event:ev_c1"] = 0
				hs.claims.kept["event:ev_c1"] = true
			}
			if tt.down {
				hs.claims.err = errors.New("redis: connection refused")
			}
			d := sealed(t, v2(t, eventCardAction, "ev_c1", cardTrigger(map[string]any{"k": "v"})))
			d.path = "/webhook/card"
			got := hs.send(t, d)
			if got.status != http.StatusOK || string(got.body) != tt.want {
				t.Errorf("answer = %d %s\nwant 200 %s", got.status, got.body, tt.want)
			}
			if ct := got.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q", ct)
			}
			if _, acts := hs.flows.handled(); len(acts) != tt.handled {
				t.Errorf("handled %d times, want %d", len(acts), tt.handled)
			}
			if tt.err != nil || tt.panics || tt.down {
				if held := hs.claims.held(); len(held) != 0 {
					t.Errorf("claims after a failure = %v", held)
				}
			}
		})
	}
}

func TestLooseValue(t *testing.T) {
	tests := []struct {
		raw  string
		want map[string]any
	}{
		{`{"k":"v"}`, map[string]any{"k": "v"}},
		{`"{\"flow\":\"todo\"}"`, map[string]any{"flow": "todo"}},
		{`"plain"`, map[string]any{"value": "plain"}},
		{`42`, map[string]any{"value": float64(42)}},
		{`["a"]`, map[string]any{"value": []any{"a"}}},
		{`null`, nil},
		{``, nil},
	}
	for _, tt := range tests {
		if got := looseObject(json.RawMessage(tt.raw)); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("looseObject(%s) = %#v, want %#v", tt.raw, got, tt.want)
		}
	}
	// Over the wire: a string value, which breaks the SDK's model, is handled.
	hs := newHarness(t, nil)
	d := sealed(t, v2(t, eventCardAction, "ev_c1", cardTrigger("just a string")))
	if got := hs.send(t, d); got.status != http.StatusOK || string(got.body) != "{}" {
		t.Fatalf("answer = %d %s", got.status, got.body)
	}
	if _, acts := hs.flows.handled(); len(acts) != 1 || acts[0].Value["value"] != "just a string" {
		t.Errorf("actions = %+v", acts)
	}
}

func TestMalformedCallbackStillAnswers200(t *testing.T) {
	hs := newHarness(t, nil)
	ev := cardTrigger(map[string]any{"k": "v"})
	ev["action"].(map[string]any)["tag"] = 7 // not a string
	got := hs.send(t, sealed(t, v2(t, eventCardAction, "ev_c1", ev)))
	if got.status != http.StatusOK || string(got.body) != errorToastJSON {
		t.Errorf("answer = %d %s", got.status, got.body)
	}
	if _, acts := hs.flows.handled(); len(acts) != 0 || len(hs.claims.held()) != 0 {
		t.Errorf("malformed callback had effects: %v %v", acts, hs.claims.held())
	}
}

func TestLegacyCallback(t *testing.T) {
	card1 := map[string]any{"config": map[string]any{"wide_screen_mode": true}, "elements": []any{}}
	for _, mode := range []struct {
		name string
		mod  func(*Config)
		body func(t *testing.T, plain []byte) []byte
	}{
		{"plaintext", legacyOn, func(_ *testing.T, plain []byte) []byte { return plain }},
		{"plaintext, no key", both(noKey, legacyOn), func(_ *testing.T, plain []byte) []byte { return plain }},
		{"encrypted", legacyOn, func(t *testing.T, plain []byte) []byte { return encryptBody(t, plain, testKey) }},
	} {
		t.Run(mode.name, func(t *testing.T) {
			hs := newHarness(t, mode.mod)
			hs.flows.set(func(f *fakeFlows) {
				f.answer = flows.Answer{Toast: &flows.Toast{Type: "success", Content: "dropped"}, Card: card1}
			})
			d := legacySigned(mode.body(t, legacyAction(t, "todo:done")), testToken, nowTS())
			got := hs.send(t, d)
			if got.status != http.StatusOK || string(got.body) != `{"config":{"wide_screen_mode":true},"elements":[]}` {
				t.Fatalf("answer = %d %s", got.status, got.body)
			}
			_, acts := hs.flows.handled()
			want := []flows.Action{{
				TenantKey: "tk_1", OperatorID: "ou_clicker", MessageID: "om_card", ChatID: "oc_chat",
				Token: "c-legacy-token", Tag: "button", Name: "done_btn", Timezone: "Asia/Shanghai",
				Value: map[string]any{"value": "todo:done"}, Legacy: true,
			}}
			if !reflect.DeepEqual(acts, want) {
				t.Errorf("flows got %+v\nwant %+v", acts, want)
			}

			// The exact same signed request again: a replay, refused quietly.
			if got := hs.send(t, d); got.status != http.StatusOK || string(got.body) != "{}" {
				t.Errorf("replay answer = %d %s", got.status, got.body)
			}
			if _, acts := hs.flows.handled(); len(acts) != 1 {
				t.Errorf("replay handled: %d actions", len(acts))
			}
			held := hs.claims.held()
			if len(held) != 1 || !strings.HasPrefix(held[0], "legacy:") {
				t.Errorf("claims = %v", held)
			}
		})
	}
}

func TestLegacyCallbackFailure(t *testing.T) {
	hs := newHarness(t, legacyOn)
	hs.flows.set(func(f *fakeFlows) { f.err = errFlows })
	got := hs.send(t, legacySigned(legacyAction(t, map[string]any{"k": "v"}), testToken, nowTS()))
	if got.status != http.StatusOK || string(got.body) != "{}" {
		t.Errorf("answer = %d %s", got.status, got.body)
	}
	if held := hs.claims.held(); len(held) != 0 {
		t.Errorf("claims after a failure = %v", held)
	}
}

func TestMalformedLegacyCallback(t *testing.T) {
	hs := newHarness(t, legacyOn)
	body := []byte(`{"open_id":"ou_1","open_message_id":"om_1","action":{"tag":["not","a","string"]}}`)
	got := hs.send(t, legacySigned(body, testToken, nowTS()))
	if got.status != http.StatusOK || string(got.body) != "{}" {
		t.Errorf("answer = %d %s", got.status, got.body)
	}
	if _, acts := hs.flows.handled(); len(acts) != 0 || len(hs.claims.held()) != 0 {
		t.Errorf("malformed callback had effects: %v %v", acts, hs.claims.held())
	}
}
