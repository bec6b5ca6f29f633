package feishusim

import (
	"net/http"
	"testing"
	"time"
)

func TestEphemeralPerChatLimit(t *testing.T) {
	e := newEnv(t, true)
	for i := range 40 {
		wantCode(t, e.sendEphemeral("oc_group", alice, simpleCard("x")), http.StatusOK, 0)
		_ = i
	}
	r := e.sendEphemeral("oc_group", alice, simpleCard("x"))
	wantCode(t, r, http.StatusTooManyRequests, CodeRateLimited)
	// The fake clock sits 300 ms into its second: 700 ms left, rounded up.
	if r.Header.Get("x-ogw-ratelimit-limit") != "40" || r.Header.Get("x-ogw-ratelimit-reset") != "1" {
		t.Fatalf("headers limit=%q reset=%q", r.Header.Get("x-ogw-ratelimit-limit"), r.Header.Get("x-ogw-ratelimit-reset"))
	}
	// Another chat has its own 40.
	wantCode(t, e.sendEphemeral("oc_group2", alice, simpleCard("x")), http.StatusOK, 0)

	e.clock.Advance(700 * time.Millisecond) // the next second
	wantCode(t, e.sendEphemeral("oc_group", alice, simpleCard("x")), http.StatusOK, 0)
	if n := len(e.sim.Ephemerals()); n != 42 {
		t.Fatalf("%d cards, want 42", n)
	}
}

func TestAppTierLimits(t *testing.T) {
	e := newEnv(t, true)
	// 50/s per app, spread over two chats so no chat reaches 40.
	for i := range 50 {
		chat := []string{"oc_group", "oc_group2"}[i%2]
		wantCode(t, e.sendEphemeral(chat, alice, simpleCard("x")), http.StatusOK, 0)
	}
	r := e.sendEphemeral("oc_group2", alice, simpleCard("x"))
	wantCode(t, r, http.StatusTooManyRequests, CodeRateLimited)
	if r.Header.Get("x-ogw-ratelimit-limit") != "50" {
		t.Fatalf("limit header %q, want 50", r.Header.Get("x-ogw-ratelimit-limit"))
	}
	// Delete is a separate API with its own tier.
	id := e.sim.Ephemerals()[0].MessageID
	wantCode(t, e.post("/open-apis/ephemeral/v1/delete", map[string]any{"message_id": id}), http.StatusOK, 0)

	// 1000 per minute: 20 more seconds of 50 reach it (the first second used 50).
	for range 19 {
		e.clock.Advance(time.Second)
		for i := range 50 {
			chat := []string{"oc_group", "oc_group2"}[i%2]
			wantCode(t, e.sendEphemeral(chat, alice, simpleCard("x")), http.StatusOK, 0)
		}
	}
	e.clock.Advance(time.Second)
	r = e.sendEphemeral("oc_group", alice, simpleCard("x"))
	wantCode(t, r, http.StatusTooManyRequests, CodeRateLimited)
	if r.Header.Get("x-ogw-ratelimit-limit") != "1000" {
		t.Fatalf("limit header %q, want 1000", r.Header.Get("x-ogw-ratelimit-limit"))
	}
}

func TestMessageLimits(t *testing.T) {
	e := newEnv(t, true)
	for range 5 {
		wantCode(t, e.postCard("oc_group", simpleCard("x"), ""), http.StatusOK, 0)
	}
	wantCode(t, e.postCard("oc_group", simpleCard("x"), ""), http.StatusBadRequest, CodeMsgRateLimited)
	wantCode(t, e.postCard("oc_group2", simpleCard("x"), ""), http.StatusOK, 0)

	id := e.sim.Messages()[0].MessageID
	for range 5 {
		wantCode(t, e.request(http.MethodPatch, "/open-apis/im/v1/messages/"+id, map[string]any{"content": `{"schema":"2.0","body":{"elements":[]}}`}, nil), http.StatusOK, 0)
	}
	wantCode(t, e.request(http.MethodPatch, "/open-apis/im/v1/messages/"+id, map[string]any{"content": `{"schema":"2.0","body":{"elements":[]}}`}, nil), http.StatusBadRequest, CodeMsgRateLimited)
}

func TestLimitsOff(t *testing.T) {
	e := newEnv(t, false)
	for range 60 {
		wantCode(t, e.sendEphemeral("oc_group", alice, simpleCard("x")), http.StatusOK, 0)
	}
	for range 10 {
		wantCode(t, e.postCard("oc_group", simpleCard("x"), ""), http.StatusOK, 0)
	}
}
