package ephemeral

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

var okCreate = answer(http.StatusOK, map[string]any{"code": 0, "msg": "success", "data": map[string]any{
	"message_id": "om_group", "chat_id": "oc_1", "msg_type": "interactive",
}})

func TestPostCardRequest(t *testing.T) {
	tests := []struct {
		name     string
		card     any
		uuid     string
		wantUUID any // nil: the field must be absent
	}{
		{"with uuid", testCard, "todo-itx_1", "todo-itx_1"},
		{"uuid of 50 chars", testCard, strings.Repeat("x", 50), strings.Repeat("x", 50)},
		{"without uuid", testCard, "", nil},
		{"template", TemplateCard{ID: "AAq1", Variables: map[string]any{"n": 1}}, "u", "u"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeLark(t)
			f.handle("POST /open-apis/im/v1/messages", okCreate)
			c, _ := newTestClient(t, f)

			id, err := c.PostCard(context.Background(), "oc_1", tt.card, tt.uuid)
			if err != nil || id != "om_group" {
				t.Fatalf("PostCard = %q, %v", id, err)
			}
			r := f.apiRequests()[0]
			if r.Query != "receive_id_type=chat_id" {
				t.Errorf("query = %q", r.Query)
			}
			if r.ContentType != "application/json; charset=utf-8" {
				t.Errorf("Content-Type = %q", r.ContentType)
			}
			body := decodeBody(t, r)
			content, isString := body["content"].(string)
			if !isString {
				t.Fatalf("content is %T, want a string", body["content"])
			}
			var gotCard any
			if err := json.Unmarshal([]byte(content), &gotCard); err != nil {
				t.Fatalf("content is not card JSON: %v", err)
			}
			if !reflect.DeepEqual(gotCard, jsonRoundTrip(t, tt.card)) {
				t.Errorf("content = %s", content)
			}
			if body["receive_id"] != "oc_1" || body["msg_type"] != "interactive" {
				t.Errorf("body = %v", body)
			}
			if body["uuid"] != tt.wantUUID {
				t.Errorf("uuid = %v, want %v", body["uuid"], tt.wantUUID)
			}
		})
	}
}

func TestUpdateCardRequest(t *testing.T) {
	f := newFakeLark(t)
	f.handle("PATCH /open-apis/im/v1/messages/om_group", answer(http.StatusOK, map[string]any{"code": 0, "msg": "ok", "data": map[string]any{}}))
	c, _ := newTestClient(t, f)

	if err := c.UpdateCard(context.Background(), "om_group", testCard); err != nil {
		t.Fatal(err)
	}
	body := decodeBody(t, f.apiRequests()[0])
	content, isString := body["content"].(string)
	if !isString || len(body) != 1 {
		t.Fatalf("body = %v, want only a string content", body)
	}
	var got any
	_ = json.Unmarshal([]byte(content), &got)
	if !reflect.DeepEqual(got, jsonRoundTrip(t, testCard)) {
		t.Errorf("content = %s", content)
	}
}

func TestUpdateCardRecalled(t *testing.T) {
	f := newFakeLark(t)
	f.handle("PATCH /open-apis/im/v1/messages/om_gone", answer(http.StatusBadRequest, map[string]any{"code": 230011, "msg": "message recalled"}))
	c, _ := newTestClient(t, f)
	err := c.UpdateCard(context.Background(), "om_gone", testCard)
	if err == nil || Retryable(err) {
		t.Errorf("err = %v, want a permanent error", err)
	}
}

func TestPostCardServerErrorThroughTypedMethod(t *testing.T) {
	// A gateway's HTML 502 makes the SDK's typed method fail to decode; the
	// status must still reach the error.
	f := newFakeLark(t)
	f.handle("POST /open-apis/im/v1/messages", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("X-Tt-Logid", "log-gw")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("<html>bad gateway</html>"))
	})
	c, _ := newTestClient(t, f)
	_, err := c.PostCard(context.Background(), "oc_1", testCard, "u")
	apiErr, ok := errors.AsType[*APIError](err)
	if !ok || apiErr.HTTPStatus != 502 || apiErr.LogID != "log-gw" || !apiErr.Retryable() {
		t.Errorf("err = %#v, want retryable 502 with log id", err)
	}
}
