package feishusim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	larkcard "github.com/larksuite/oapi-sdk-go/v3/card"
	"github.com/larksuite/oapi-sdk-go/v3/core/httpserverext"
	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher"
	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher/callback"
	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"
)

const botOpenID = "ou_bot0000000000000000000000000000"

func newPlatform(url string, clock *fakeClock) *Platform {
	return &Platform{
		EventURL: url, CardURL: url,
		AppID: "cli_test", TenantKey: "tenant_1",
		VerificationToken: "vtoken", EncryptKey: "ekey",
		Clock: clock.Now,
	}
}

// The SDK's own webhook handler verifies the signature, decrypts and parses
// what Platform sends: if it accepts the payloads, so should the platform's
// real receivers.
func TestPlatformThroughSDKDispatcher(t *testing.T) {
	msgs := make(chan *larkim.P2MessageReceiveV1, 1)
	actions := make(chan *callback.CardActionTriggerEvent, 1)
	d := dispatcher.NewEventDispatcher("vtoken", "ekey").
		OnP2MessageReceiveV1(func(_ context.Context, ev *larkim.P2MessageReceiveV1) error {
			msgs <- ev
			return nil
		}).
		OnP2CardActionTrigger(func(_ context.Context, ev *callback.CardActionTriggerEvent) (*callback.CardActionTriggerResponse, error) {
			actions <- ev
			return &callback.CardActionTriggerResponse{}, nil
		})
	srv := httptest.NewServer(http.HandlerFunc(httpserverext.NewEventHandlerFunc(d)))
	defer srv.Close()
	p := newPlatform(srv.URL, newFakeClock())
	ctx := context.Background()

	res, err := p.SendText(ctx, MessageOpts{
		ChatID: "oc_group", SenderOpenID: alice, Text: "@_user_1 /todo Buy milk",
		Mentions: []Mention{{Key: "@_user_1", OpenID: botOpenID, Name: "TodoBot"}},
	})
	if err != nil || res.Status != http.StatusOK {
		t.Fatalf("SendText: %v %d %s", err, res.Status, res.Body)
	}
	ev := <-msgs
	m := ev.Event.Message
	if *m.Content != `{"text":"@_user_1 /todo Buy milk"}` || *m.ChatId != "oc_group" || *m.ChatType != "group" ||
		*m.MessageType != "text" || !strings.HasPrefix(*m.MessageId, "om_") {
		t.Fatalf("message %+v", m)
	}
	if len(m.Mentions) != 1 || *m.Mentions[0].Key != "@_user_1" || *m.Mentions[0].Id.OpenId != botOpenID {
		t.Fatalf("mentions %+v", m.Mentions)
	}
	if *ev.Event.Sender.SenderId.OpenId != alice || ev.EventV2Base.Header.EventID != res.EventID ||
		ev.EventV2Base.Header.Token != "vtoken" || ev.EventV2Base.Header.AppID != "cli_test" {
		t.Fatalf("sender/header %+v %+v", ev.Event.Sender, ev.EventV2Base.Header)
	}

	res, err = p.ClickButton(ctx, ActionOpts{
		OperatorOpenID: alice, ChatID: "oc_group", MessageID: "om_card", Name: "submit_btn",
		Value:     map[string]any{"flow": "todo", "action": "submit"},
		FormValue: map[string]any{"title": "Buy milk", "due_date": "2024-11-15 +0800"},
	})
	if err != nil || res.Status != http.StatusOK || string(res.Body) != "{}" {
		t.Fatalf("ClickButton: %v %d %s", err, res.Status, res.Body)
	}
	a := <-actions
	if a.Event.Operator.OpenID != alice || a.Event.Action.Name != "submit_btn" || a.Event.Action.Tag != "button" ||
		a.Event.Action.Value["action"] != "submit" || a.Event.Action.FormValue["title"] != "Buy milk" ||
		a.Event.Action.Timezone != "Asia/Shanghai" || a.Event.Context.OpenMessageID != "om_card" ||
		a.Event.Context.OpenChatID != "oc_group" || !strings.HasPrefix(a.Event.Token, "c-") {
		t.Fatalf("action %+v", a.Event)
	}

	res, err = p.URLVerification(ctx, srv.URL, "ajls384kdjx98XX")
	if err != nil || res.Status != http.StatusOK || !strings.Contains(string(res.Body), "ajls384kdjx98XX") {
		t.Fatalf("URLVerification: %v %d %s", err, res.Status, res.Body)
	}

	// A hand-built delivery of the same event goes through; with a wrong
	// signature the SDK refuses it (with its 500).
	body := p.BuildEvent("im.message.receive_v1", MessageEventBody(MessageOpts{ChatID: "oc_group", SenderOpenID: alice, Text: "/help"}))
	if res, err = p.Deliver(ctx, srv.URL, body, DeliverOpts{}); err != nil || res.Status != http.StatusOK {
		t.Fatalf("Deliver: %v %d %s", err, res.Status, res.Body)
	}
	if ev := <-msgs; *ev.Event.Message.Content != `{"text":"/help"}` {
		t.Fatalf("hand-built event content %s", *ev.Event.Message.Content)
	}
	res, err = p.Deliver(ctx, srv.URL, body, DeliverOpts{BadSignature: true})
	if err != nil || res.Status == http.StatusOK {
		t.Fatalf("bad signature accepted: %v %d %s", err, res.Status, res.Body)
	}
}

func TestPlatformLegacyThroughSDK(t *testing.T) {
	got := make(chan *larkcard.CardAction, 1)
	h := larkcard.NewCardActionHandler("vtoken", "", func(_ context.Context, a *larkcard.CardAction) (any, error) {
		got <- a
		return nil, nil
	})
	srv := httptest.NewServer(http.HandlerFunc(httpserverext.NewCardActionHandlerFunc(h)))
	defer srv.Close()
	p := newPlatform(srv.URL, newFakeClock())

	res, err := p.ClickLegacy(context.Background(), ActionOpts{
		OperatorOpenID: alice, ChatID: "oc_group", MessageID: "om_card", Name: "done", Value: map[string]any{"todo": "td_42"},
	})
	if err != nil || res.Status != http.StatusOK {
		t.Fatalf("ClickLegacy: %v %d %s", err, res.Status, res.Body)
	}
	if strings.Contains(string(res.Sent.Body), "encrypt") {
		t.Fatalf("legacy bodies stay plaintext: %s", res.Sent.Body)
	}
	a := <-got
	if a.OpenID != alice || a.OpenMessageID != "om_card" || a.OpenChatId != "oc_group" || a.Action.Value["todo"] != "td_42" {
		t.Fatalf("legacy action %+v %+v", a, a.Action)
	}
	body, _ := json.Marshal(map[string]any{"open_id": alice, "action": map[string]any{"value": map[string]any{}}})
	res, err = p.Deliver(context.Background(), srv.URL, body, DeliverOpts{Legacy: true, BadSignature: true})
	if err != nil || res.Status == http.StatusOK {
		t.Fatalf("bad legacy signature accepted: %v %d", err, res.Status)
	}
}

// recorded is one request a capture server saw.
type recorded struct {
	header http.Header
	body   []byte
}

func captureServer(t *testing.T) (*httptest.Server, func() recorded) {
	t.Helper()
	var mu sync.Mutex
	var last recorded
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		last = recorded{header: r.Header.Clone(), body: b}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"msg":"success"}`))
	}))
	t.Cleanup(srv.Close)
	return srv, func() recorded {
		mu.Lock()
		defer mu.Unlock()
		return last
	}
}

func TestDeliverHeaders(t *testing.T) {
	srv, last := captureServer(t)
	clock := newFakeClock()
	p := newPlatform(srv.URL, clock)
	ctx := context.Background()
	plain := p.BuildEvent("im.message.receive_v1", map[string]any{})

	res, err := p.Deliver(ctx, srv.URL, plain, DeliverOpts{})
	if err != nil || res.Status != http.StatusOK || string(res.Body) != `{"msg":"success"}` {
		t.Fatalf("Deliver: %v %+v", err, res)
	}
	r := last()
	ts, nonce, sig := r.header.Get("X-Lark-Request-Timestamp"), r.header.Get("X-Lark-Request-Nonce"), r.header.Get("X-Lark-Signature")
	if ts != strconv.FormatInt(clock.Now().Unix(), 10) || nonce == "" || sig != Sign(ts, nonce, "ekey", r.body) {
		t.Fatalf("headers ts=%q nonce=%q sig=%q", ts, nonce, sig)
	}
	var wrapped struct{ Encrypt string }
	if err := json.Unmarshal(r.body, &wrapped); err != nil || wrapped.Encrypt == "" {
		t.Fatalf("body %s", r.body)
	}
	if dec, err := Decrypt(wrapped.Encrypt, "ekey"); err != nil || !bytes.Equal(dec, plain) {
		t.Fatalf("decrypted %s, %v", dec, err)
	}

	// Replays are byte-identical, headers included.
	if _, err := p.Resend(ctx, res.Sent); err != nil {
		t.Fatal(err)
	}
	if again := last(); !bytes.Equal(again.body, r.body) || again.header.Get("X-Lark-Signature") != sig {
		t.Fatal("Resend changed the request")
	}

	_, _ = p.Deliver(ctx, srv.URL, plain, DeliverOpts{Timestamp: "1", Nonce: "n", BadSignature: true})
	if r := last(); r.header.Get("X-Lark-Request-Timestamp") != "1" || r.header.Get("X-Lark-Signature") == Sign("1", "n", "ekey", r.body) {
		t.Fatalf("BadSignature/Timestamp not applied: %v", r.header)
	}
	_, _ = p.Deliver(ctx, srv.URL, plain, DeliverOpts{SkipSign: true})
	if r := last(); r.header.Get("X-Lark-Signature") != "" || r.header.Get("X-Lark-Request-Timestamp") != "" {
		t.Fatalf("SkipSign sent %v", r.header)
	}

	p.EncryptKey = ""
	_, _ = p.Deliver(ctx, srv.URL, plain, DeliverOpts{})
	if r := last(); !bytes.Equal(r.body, plain) || r.header.Get("X-Lark-Signature") != "" {
		t.Fatalf("without a key: body %s, signature %q", r.body, r.header.Get("X-Lark-Signature"))
	}
}

func TestBuildEventEnvelope(t *testing.T) {
	p := newPlatform("http://unused", newFakeClock())
	eventID := regexp.MustCompile(`^[0-9a-f]{32}$`)
	for _, tc := range []struct {
		eventType string
		digits    int
	}{{"im.message.receive_v1", 13}, {"card.action.trigger", 16}} {
		var env struct {
			Schema string
			Header envelopeHeader
		}
		if err := json.Unmarshal(p.BuildEvent(tc.eventType, map[string]any{}), &env); err != nil {
			t.Fatal(err)
		}
		if env.Schema != "2.0" || !eventID.MatchString(env.Header.EventID) || len(env.Header.CreateTime) != tc.digits ||
			env.Header.Token != "vtoken" || env.Header.TenantKey != "tenant_1" {
			t.Fatalf("%s envelope %+v", tc.eventType, env)
		}
	}
}
