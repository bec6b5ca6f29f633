package ephemeral

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
)

// decodeBody decodes a recorded JSON body into a generic map.
func decodeBody(t *testing.T, r request) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("request body is not JSON: %v\n%s", err, r.Body)
	}
	return m
}

func TestSendEphemeralRequest(t *testing.T) {
	tests := []struct {
		name      string
		to        Recipient
		wantField string
		wantValue string
	}{
		{"open id only", Recipient{OpenID: "ou_a"}, "open_id", "ou_a"},
		{"open id wins over all", Recipient{OpenID: "ou_a", UserID: "u1", Email: "a@x.com"}, "open_id", "ou_a"},
		{"user id wins over email", Recipient{UserID: "u1", Email: "a@x.com"}, "user_id", "u1"},
		{"email alone", Recipient{Email: "a@x.com"}, "email", "a@x.com"},
		{"blank open id falls through", Recipient{OpenID: "  ", Email: "a@x.com"}, "email", "a@x.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeLark(t)
			f.handle("POST "+pathEphemeralSend, okSend)
			c, _ := newTestClient(t, f)

			id, err := c.SendEphemeralTo(context.Background(), "oc_1", tt.to, testCard)
			if err != nil || id != "om_1" {
				t.Fatalf("SendEphemeralTo = %q, %v", id, err)
			}
			reqs := f.apiRequests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.ContentType != "application/json; charset=utf-8" {
				t.Errorf("Content-Type = %q", r.ContentType)
			}
			if r.Auth != "Bearer "+tokenPrefix+"1" {
				t.Errorf("Authorization = %q", r.Auth)
			}
			body := decodeBody(t, r)
			want := map[string]any{
				"chat_id":    "oc_1",
				tt.wantField: tt.wantValue,
				"msg_type":   "interactive",
				"card":       jsonRoundTrip(t, testCard),
			}
			if !reflect.DeepEqual(body, want) {
				t.Errorf("body = %v\nwant   %v", body, want)
			}
			if _, isObject := body["card"].(map[string]any); !isObject {
				t.Errorf("card is %T, want a JSON object", body["card"])
			}
		})
	}
}

func TestSendEphemeralCardKinds(t *testing.T) {
	tests := []struct {
		name string
		card any
		want string // the card as the platform must receive it
	}{
		{"raw message 1.0", json.RawMessage(`{"elements":[{"tag":"hr"}]}`), `{"elements":[{"tag":"hr"}]}`},
		{"raw message 2.0", json.RawMessage(` {"schema":"2.0","body":{"elements":[]}} `), `{"schema":"2.0","body":{"elements":[]}}`},
		{"struct", struct {
			Schema string `json:"schema"`
		}{"2.0"}, `{"schema":"2.0"}`},
		{"template minimal", TemplateCard{ID: "AAq1"}, `{"type":"template","data":{"template_id":"AAq1"}}`},
		{"template full", &TemplateCard{ID: "AAq1", VersionName: "1.0.2", Variables: map[string]any{"title": "Buy milk"}},
			`{"type":"template","data":{"template_id":"AAq1","template_version_name":"1.0.2","template_variable":{"title":"Buy milk"}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeLark(t)
			f.handle("POST "+pathEphemeralSend, okSend)
			c, _ := newTestClient(t, f)
			if _, err := c.SendEphemeral(context.Background(), "oc_1", "ou_1", tt.card); err != nil {
				t.Fatal(err)
			}
			got := decodeBody(t, f.apiRequests()[0])["card"]
			var want any
			if err := json.Unmarshal([]byte(tt.want), &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("card = %v, want %v", got, want)
			}
		})
	}
}

func TestSendEphemeralMissingMessageID(t *testing.T) {
	f := newFakeLark(t)
	f.handle("POST "+pathEphemeralSend, answer(http.StatusOK, map[string]any{"code": 0, "msg": "ok"}))
	c, _ := newTestClient(t, f)
	if _, err := c.SendEphemeral(context.Background(), "oc_1", "ou_1", testCard); err == nil || Retryable(err) {
		t.Errorf("err = %v, want a permanent error (a retry could show the card twice)", err)
	}
}

func TestDeleteEphemeralRequest(t *testing.T) {
	f := newFakeLark(t)
	f.handle("POST "+pathEphemeralDelete, answer(http.StatusOK, map[string]any{"code": 0, "msg": "ok"}))
	c, _ := newTestClient(t, f)
	if err := c.DeleteEphemeral(context.Background(), "om_9"); err != nil {
		t.Fatal(err)
	}
	body := decodeBody(t, f.apiRequests()[0])
	if !reflect.DeepEqual(body, map[string]any{"message_id": "om_9"}) {
		t.Errorf("body = %v", body)
	}
}

func jsonRoundTrip(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
