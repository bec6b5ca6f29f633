package main

import (
	"context"
	"encoding/json"
	"github.com/botd/botd/internal/app"
	"github.com/botd/botd/internal/app/apptest"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/botd/botd/internal/feishusim"
	"github.com/botd/botd/internal/state/statetest"
)

const (
	testAppID  = "cli_e2etest0000001"
	testSecret = "e2e-app-secret"
	testToken  = "e2e-verification-token"
	testKey    = "e2e-encrypt-key"
	testTenant = "tenant_e2e"
	chatID     = "oc_e2e_group"
	alice      = "ou_alice"
	bob        = "ou_bob"
	carol      = "ou_carol"
)

// world is botd running on a free port against the simulator and Redis,
// with a platform that delivers signed, encrypted events to it.
type world struct {
	sim      *feishusim.Server
	platform *feishusim.Platform
	bot      *app.App
}

// newTestSim serves the simulator on a free loopback port, with one group
// (chatID) of alice (its owner), bob and carol, and the bot in it.
func newTestSim(t *testing.T) (*feishusim.Server, *httptest.Server) {
	t.Helper()
	sim := feishusim.New(feishusim.Options{AppID: testAppID, AppSecret: testSecret, BotOpenID: "ou_bot"})
	simSrv := httptest.NewServer(sim)
	t.Cleanup(simSrv.Close)
	for _, u := range []feishusim.User{{OpenID: alice, Name: "Alice"}, {OpenID: bob, Name: "Bob"}, {OpenID: carol, Name: "Carol"}} {
		sim.AddUser(u)
	}
	sim.AddChat(feishusim.Chat{ID: chatID, Mode: "group", Name: "Team", OwnerID: alice,
		Members: []string{alice, bob, carol}, BotIsMember: true})
	return sim, simSrv
}

func newWorld(t *testing.T) *world { t.Helper(); return newWorldWith(t, nil) }

// newWorldWith is newWorld with edit applied to botd's config (when not nil).
func newWorldWith(t *testing.T, edit func(*Config)) *world {
	t.Helper()
	sim, simSrv := newTestSim(t)

	cfg := Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.AppID, cfg.AppSecret = testAppID, testSecret
	cfg.VerificationToken, cfg.EncryptKey = testToken, testKey
	cfg.OpenBaseURL = simSrv.URL
	cfg.RedisURL = Secret(statetest.URL(t))
	if edit != nil {
		edit(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	bot := apptest.Start(t, cfg.App(), app.Options{})
	base := "http://" + bot.Addr()
	return &world{
		sim: sim,
		bot: bot,
		platform: &feishusim.Platform{
			EventURL: base + "/webhook/event", CardURL: base + "/webhook/card",
			AppID: testAppID, TenantKey: testTenant,
			VerificationToken: testToken, EncryptKey: testKey,
			Client: &http.Client{Timeout: 5 * time.Second},
		},
	}
}

// eventually polls cond until it holds or 10 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// settle gives botd time to do anything it should NOT do, before a test
// asserts that it did not happen. Jobs are polled every 20 ms.
func settle() { time.Sleep(700 * time.Millisecond) }

// calls returns the simulator's record of Open API calls to path.
func (w *world) calls(path string) []feishusim.Call {
	var out []feishusim.Call
	for _, c := range w.sim.Calls() {
		if c.Path == path {
			out = append(out, c)
		}
	}
	return out
}

func (w *world) sendText(t *testing.T, sender, text string, mentions ...feishusim.Mention) feishusim.Result {
	t.Helper()
	res, err := w.platform.SendText(context.Background(), feishusim.MessageOpts{
		ChatID: chatID, ChatType: "group", SenderOpenID: sender, Text: text, Mentions: mentions,
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// formFor waits for the ephemeral form sent to viewer and returns it.
func (w *world) formFor(t *testing.T, viewer string, n int) feishusim.Ephemeral {
	t.Helper()
	var got []feishusim.Ephemeral
	eventually(t, "ephemeral card for "+viewer, func() bool {
		got = got[:0]
		for _, e := range w.sim.Ephemerals() {
			if e.OpenID == viewer {
				got = append(got, e)
			}
		}
		return len(got) >= n
	})
	return got[n-1]
}

func (w *world) click(t *testing.T, operator string, card json.RawMessage, button string, form map[string]any) answer {
	t.Helper()
	return w.clickIn(t, chatID, operator, card, button, form)
}

// clickIn is a click on a card in the chat chat.
func (w *world) clickIn(t *testing.T, chat, operator string, card json.RawMessage, button string, form map[string]any) answer {
	t.Helper()
	value, ok := feishusim.ButtonValue(card, button)
	if !ok {
		t.Fatalf("no button %q in card %s", button, card)
	}
	res, err := w.platform.ClickButton(context.Background(), feishusim.ActionOpts{
		OperatorOpenID: operator, ChatID: chat, Value: value, FormValue: form,
		Name: button, Tag: "button", Timezone: "Asia/Shanghai",
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != http.StatusOK {
		t.Fatalf("callback answered %d: %s", res.Status, res.Body)
	}
	var a answer
	if err := json.Unmarshal(res.Body, &a); err != nil {
		t.Fatalf("callback answer is not JSON: %s", res.Body)
	}
	return a
}

type answer struct {
	Toast *struct {
		Type    string            `json:"type"`
		Content string            `json:"content"`
		I18n    map[string]string `json:"i18n"`
	} `json:"toast"`
	Card *struct {
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	} `json:"card"`
}

func tomorrow() string {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	return time.Now().In(loc).AddDate(0, 0, 1).Format("2006-01-02") + " +0800"
}

// The spine of the product: /todo → one ephemeral form to the sender →
// submit → one group post with a uuid and one delete of the form, and nothing
// else.
func TestTodoSubmitted(t *testing.T) {
	w := newWorld(t)
	res := w.sendText(t, alice, "@_user_1 /todo Buy milk @_user_2",
		feishusim.Mention{Key: "@_user_1", OpenID: "ou_bot", Name: "botd"},
		feishusim.Mention{Key: "@_user_2", OpenID: bob, Name: "Bob"})
	if res.Status != http.StatusOK {
		t.Fatalf("event answered %d: %s", res.Status, res.Body)
	}
	form := w.formFor(t, alice, 1)
	if form.ChatID != chatID {
		t.Fatalf("form sent to chat %s", form.ChatID)
	}
	if !strings.Contains(string(form.Card), "Buy milk") {
		t.Errorf("form is not prefilled with the title: %s", form.Card)
	}

	a := w.click(t, alice, form.Card, "submit_btn", map[string]any{
		"title": "Buy milk", "assignee": bob, "due_date": tomorrow(), "notes": "2 litres",
	})
	if a.Toast == nil || a.Toast.Type != "success" {
		t.Fatalf("submit answer: %+v", a)
	}
	eventually(t, "group post and form deletion", func() bool {
		return len(w.sim.Messages()) == 1 && len(w.calls("/open-apis/ephemeral/v1/delete")) == 1
	})
	settle()

	if n := len(w.calls("/open-apis/ephemeral/v1/send")); n != 1 {
		t.Errorf("%d ephemeral sends, want 1", n)
	}
	if n := len(w.calls("/open-apis/ephemeral/v1/delete")); n != 1 {
		t.Errorf("%d ephemeral deletes, want 1", n)
	}
	msgs := w.sim.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d group posts, want 1", len(msgs))
	}
	post := msgs[0]
	if post.ChatID != chatID || post.UUID == "" {
		t.Errorf("post: chat %s uuid %q", post.ChatID, post.UUID)
	}
	for _, want := range []string{"Buy milk", bob, alice, "2 litres"} {
		if !strings.Contains(post.Content, want) {
			t.Errorf("group card lacks %q: %s", want, post.Content)
		}
	}
	eph := w.sim.Ephemerals()
	if len(eph) != 1 || !eph[0].Deleted {
		t.Errorf("the form was not deleted: %+v", eph)
	}
}

// Cancel deletes the form and posts nothing.
func TestTodoCancelled(t *testing.T) {
	w := newWorld(t)
	w.sendText(t, bob, "/todo Water plants")
	form := w.formFor(t, bob, 1)
	a := w.click(t, bob, form.Card, "cancel_btn", nil)
	if a.Toast == nil {
		t.Fatalf("cancel answer: %+v", a)
	}
	eventually(t, "form deletion", func() bool { return len(w.calls("/open-apis/ephemeral/v1/delete")) == 1 })
	settle()
	if n := len(w.sim.Messages()); n != 0 {
		t.Fatalf("%d group posts after cancel, want 0", n)
	}
}

// A validation error answers with a toast naming the field and the form
// re-rendered with the user's values; nothing is posted or deleted. Fixing
// the value then submits normally.
func TestTodoValidationError(t *testing.T) {
	w := newWorld(t)
	w.sendText(t, alice, "/todo")
	form := w.formFor(t, alice, 1)
	a := w.click(t, alice, form.Card, "submit_btn", map[string]any{"title": "   ", "notes": "keep me"})
	if a.Toast == nil || a.Toast.Type != "error" || !strings.Contains(strings.ToLower(a.Toast.Content), "title") {
		t.Fatalf("validation answer toast: %+v", a.Toast)
	}
	if a.Card == nil || !strings.Contains(string(a.Card.Data), "keep me") {
		t.Fatalf("validation answer should re-render the form with the values kept: %+v", a.Card)
	}
	past := w.click(t, alice, form.Card, "submit_btn", map[string]any{"title": "Late", "due_date": "2001-01-01 +0800"})
	if past.Toast == nil || past.Toast.Type != "error" || !strings.Contains(strings.ToLower(past.Toast.Content), "due") {
		t.Fatalf("past due date toast: %+v", past.Toast)
	}
	settle()
	if len(w.sim.Messages()) != 0 || len(w.calls("/open-apis/ephemeral/v1/delete")) != 0 {
		t.Fatal("a refused submit changed something")
	}
	ok := w.click(t, alice, form.Card, "submit_btn", map[string]any{"title": "Fixed"})
	if ok.Toast == nil || ok.Toast.Type != "success" {
		t.Fatalf("corrected submit: %+v", ok.Toast)
	}
	eventually(t, "group post", func() bool { return len(w.sim.Messages()) == 1 })
}

// A double click or a retried callback posts nothing more.
func TestTodoDoubleSubmit(t *testing.T) {
	w := newWorld(t)
	w.sendText(t, alice, "/todo Ship it")
	form := w.formFor(t, alice, 1)
	values := map[string]any{"title": "Ship it"}
	w.click(t, alice, form.Card, "submit_btn", values)
	second := w.click(t, alice, form.Card, "submit_btn", values)
	if second.Toast == nil || second.Toast.Type == "error" {
		t.Errorf("second submit answer: %+v", second.Toast)
	}
	eventually(t, "group post", func() bool { return len(w.sim.Messages()) >= 1 })
	w.click(t, alice, form.Card, "submit_btn", values) // after the post, too
	settle()
	if n := len(w.sim.Messages()); n != 1 {
		t.Fatalf("%d group posts, want 1", n)
	}
	if n := len(w.calls("/open-apis/im/v1/messages")); n != 1 {
		t.Fatalf("%d message create calls, want 1", n)
	}
}

// Someone else clicking the form's button changes nothing.
func TestTodoSubmitByAnotherMemberRefused(t *testing.T) {
	w := newWorld(t)
	w.sendText(t, alice, "/todo Mine")
	form := w.formFor(t, alice, 1)
	a := w.click(t, carol, form.Card, "submit_btn", map[string]any{"title": "Hijacked"})
	if a.Toast == nil || a.Toast.Type != "error" {
		t.Fatalf("foreign submit answer: %+v", a.Toast)
	}
	settle()
	if len(w.sim.Messages()) != 0 {
		t.Fatal("a foreign submit posted a card")
	}
}

// The platform redelivers an event (same event_id, and a repeat of the
// message under a new event_id): one form only.
func TestDuplicateEventDelivery(t *testing.T) {
	w := newWorld(t)
	opts := feishusim.MessageOpts{ChatID: chatID, ChatType: "group", SenderOpenID: alice,
		Text: "/todo Once", EventID: "0123456789abcdef0123456789abcdef", MessageID: "om_once"}
	for i := 0; i < 3; i++ {
		res, err := w.platform.SendText(context.Background(), opts)
		if err != nil || res.Status != http.StatusOK {
			t.Fatalf("delivery %d: %v %d %s", i, err, res.Status, res.Body)
		}
	}
	opts.EventID = "fedcba9876543210fedcba9876543210" // same message, new event id
	if res, err := w.platform.SendText(context.Background(), opts); err != nil || res.Status != http.StatusOK {
		t.Fatalf("redelivery under a new event id: %v %d", err, res.Status)
	}
	w.formFor(t, alice, 1)
	settle()
	if n := len(w.calls("/open-apis/ephemeral/v1/send")); n != 1 {
		t.Fatalf("%d ephemeral sends, want 1", n)
	}
}

// A bad signature is refused with 401 and nothing at all happens.
func TestBadSignatureDoesNothing(t *testing.T) {
	w := newWorld(t)
	body := w.platform.BuildEvent("im.message.receive_v1", feishusim.MessageEventBody(feishusim.MessageOpts{
		ChatID: chatID, ChatType: "group", SenderOpenID: alice, Text: "/todo Forged"}))
	res, err := w.platform.Deliver(context.Background(), w.platform.EventURL, body, feishusim.DeliverOpts{BadSignature: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != http.StatusUnauthorized {
		t.Fatalf("bad signature answered %d, want 401", res.Status)
	}
	settle()
	if n := len(w.calls("/open-apis/ephemeral/v1/send")) + len(w.sim.Messages()); n != 0 {
		t.Fatalf("a forged event caused %d Open API calls", n)
	}
}

// /help and an unknown command each answer with an ephemeral card.
func TestHelpAndUnknownCommand(t *testing.T) {
	w := newWorld(t)
	w.sendText(t, carol, "/help")
	help := w.formFor(t, carol, 1)
	if !strings.Contains(string(help.Card), "/todo") {
		t.Errorf("help card does not list /todo: %s", help.Card)
	}
	w.sendText(t, carol, "/frobnicate now")
	hint := w.formFor(t, carol, 2)
	if !strings.Contains(string(hint.Card), "/help") {
		t.Errorf("unknown-command hint does not point to /help: %s", hint.Card)
	}
	w.sendText(t, carol, "just chatting, no command")
	settle()
	if n := len(w.calls("/open-apis/ephemeral/v1/send")); n != 2 {
		t.Fatalf("%d ephemeral sends, want 2", n)
	}
}

func TestHealthAndReady(t *testing.T) {
	w := newWorld(t)
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		resp, err := http.Get("http://" + w.bot.Addr() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
}
