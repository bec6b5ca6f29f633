package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/botd/botd/internal/app"
	"github.com/botd/botd/internal/app/apptest"
	"github.com/botd/botd/internal/feishusim"
	"github.com/botd/botd/internal/state/statetest"
)

// webClient is a member's web app page: its session cookie and botd's base.
type webClient struct {
	t      *testing.T
	base   string
	cookie string
}

func (c *webClient) do(method, path string, body any) (int, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	req.Header.Set("Origin", c.base)
	req.Header.Set("Accept-Language", "en-US")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.cookie != "" {
		req.Header.Set("Cookie", c.cookie)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if method == http.MethodPost && strings.HasSuffix(path, "/session") {
		for _, ck := range resp.Cookies() {
			if ck.Name == "botd_session" {
				c.cookie = ck.Name + "=" + ck.Value
			}
		}
	}
	return resp.StatusCode, raw
}

// login opens the web app as openID: a tt.requestAccess code, exchanged.
func login(t *testing.T, sim *feishusim.Server, base, openID string) *webClient {
	t.Helper()
	code, err := sim.IssueAuthCode(openID)
	if err != nil {
		t.Fatal(err)
	}
	c := &webClient{t: t, base: base}
	if st, raw := c.do(http.MethodPost, "/app/api/session", map[string]string{"code": code}); st != http.StatusOK || c.cookie == "" {
		t.Fatalf("login %s: %d %s", openID, st, raw)
	}
	return c
}

// The web app end to end, on the simulator: a todo made in the group is
// marked done from the web app (the group card changes), shared through
// the client to another chat, and a click on the copy reaches botd like a
// click on the group card and is answered with the copy's JSON 1.0 card.
func TestWebAppActionAndShare(t *testing.T) {
	w := newWorld(t)
	// The web app's login reads the tenant from user_info: the events must
	// come from the same tenant.
	w.platform.TenantKey = w.sim.Options().TenantKey
	base := "http://" + w.bot.Addr()
	const other = "oc_e2e_other"
	w.sim.AddChat(feishusim.Chat{ID: other, Mode: "group", Name: "Elsewhere", Members: []string{alice, bob}, BotIsMember: true})

	w.sendText(t, alice, "/todo Buy milk")
	form := w.formFor(t, alice, 1)
	if a := w.click(t, alice, form.Card, "submit_btn", map[string]any{"title": "Buy milk", "assignee": bob, "due_date": "", "notes": ""}); a.Toast == nil || a.Toast.Type != "success" {
		t.Fatalf("submit: %+v", a)
	}
	var group feishusim.Message
	eventually(t, "the todo's group card", func() bool {
		for _, m := range w.sim.Messages() {
			if m.ChatID == chatID {
				group = m
				return true
			}
		}
		return false
	})

	page := login(t, w.sim, base, alice)
	st, raw := page.do(http.MethodGet, "/app/api/items", nil)
	var list struct {
		Items []struct {
			ID       string   `json:"id"`
			ChatName string   `json:"chat_name"`
			Actions  []string `json:"actions"`
		} `json:"items"`
	}
	if err := json.Unmarshal(raw, &list); st != http.StatusOK || err != nil || len(list.Items) != 1 ||
		list.Items[0].ChatName != "Team" || strings.Join(list.Items[0].Actions, ",") != "done" {
		t.Fatalf("items: %d %s", st, raw)
	}
	id := list.Items[0].ID

	st, raw = page.do(http.MethodPost, "/app/api/items/"+id+"/actions", map[string]string{"action": "done"})
	if st != http.StatusOK || !strings.Contains(string(raw), `"text":"Marked done"`) || !strings.Contains(string(raw), `"status":"done"`) {
		t.Fatalf("done: %d %s", st, raw)
	}
	eventually(t, "the group card PATCHed to done", func() bool {
		for _, m := range w.sim.Messages() {
			if m.MessageID == group.MessageID {
				return m.Updates > 0 && strings.Contains(m.Content, "todo_reopen_btn")
			}
		}
		return false
	})

	st, raw = page.do(http.MethodPost, "/app/api/items/"+id+"/share", map[string]string{"lang": "en"})
	var share struct {
		CardContent json.RawMessage `json:"cardContent"`
	}
	if err := json.Unmarshal(raw, &share); st != http.StatusOK || err != nil {
		t.Fatalf("share: %d %s", st, raw)
	}
	sent, failed, code := w.sim.ClientSendMessageCard(alice, []string{other}, share.CardContent)
	if code != 0 || len(failed) != 0 || len(sent) != 1 {
		t.Fatalf("sendMessageCard: %d %v %v", code, sent, failed)
	}
	st, raw = page.do(http.MethodPost, "/app/api/items/"+id+"/shares", map[string]any{"sendCardInfo": sent, "lang": "en"})
	if st != http.StatusOK || string(raw) != `{"recorded":1,"chat_names":{"`+other+`":"Elsewhere"}}` {
		t.Fatalf("shares: %d %s", st, raw)
	}

	// Bob reopens it from the copy in the other chat.
	var copyCard string
	for _, m := range w.sim.Messages() {
		if m.MessageID == sent[0].OpenMessageID {
			copyCard = m.Content
		}
	}
	value, ok := feishusim.ButtonValue(json.RawMessage(copyCard), "todo_reopen_btn")
	if !ok {
		t.Fatalf("the copy has no Reopen: %s", copyCard)
	}
	res, err := w.platform.ClickButton(context.Background(), feishusim.ActionOpts{OperatorOpenID: bob, ChatID: other,
		MessageID: sent[0].OpenMessageID, Value: value, Name: "todo_reopen_btn"})
	if err != nil || res.Status != http.StatusOK {
		t.Fatalf("click on the copy: %v %d %s", err, res.Status, res.Body)
	}
	var a answer
	if err := json.Unmarshal(res.Body, &a); err != nil || a.Toast == nil || a.Toast.Type != "success" || a.Card == nil {
		t.Fatalf("answer to the copy: %s", res.Body)
	}
	if strings.Contains(string(a.Card.Data), `"schema"`) || !strings.Contains(string(a.Card.Data), "todo_done_btn") ||
		len(feishusim.ValidateCard(a.Card.Data, false)) > 0 {
		t.Fatalf("the copy's answer is not the reopened todo in JSON 1.0: %s", a.Card.Data)
	}
	eventually(t, "the group card PATCHed back to open", func() bool {
		for _, m := range w.sim.Messages() {
			if m.MessageID == group.MessageID {
				return strings.Contains(m.Content, "todo_done_btn")
			}
		}
		return false
	})
	// botd never PATCHes the copy: only the click's answer updated it.
	for _, c := range w.calls("/open-apis/im/v1/messages/" + sent[0].OpenMessageID) {
		t.Errorf("botd called %s %s on the copy", c.Method, c.Path)
	}
}

// Records written before member indexes existed are found by the web app
// once botd has started: the start backfills them.
func TestWebAppBackfillsOldRecords(t *testing.T) {
	sim, simSrv := newTestSim(t)
	redisURL := statetest.URL(t)
	if redisURL == "" {
		redisURL = "redis://" + miniredis.RunT(t).Addr() + "/0"
	}
	opts, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Skipf("not a single-server URL: %v", err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	old := `{"id":"td_old","tenant_key":"` + sim.Options().TenantKey + `","chat_id":"` + chatID + `","title":"From before","creator_id":"` + alice +
		`","locale":"en_us","timezone":"Asia/Shanghai","status":"open","created_at":"2024-11-01T00:00:00Z","version":4}`
	if err := rdb.HSet(context.Background(), "botd:todo:td_old", "v", 4, "d", old).Err(); err != nil {
		t.Fatal(err)
	}

	cfg := Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.AppID, cfg.AppSecret = testAppID, testSecret
	cfg.VerificationToken, cfg.EncryptKey = testToken, testKey
	cfg.OpenBaseURL, cfg.RedisURL = simSrv.URL, Secret(redisURL)
	bot := apptest.Start(t, cfg.App(), app.Options{})
	page := login(t, sim, "http://"+bot.Addr(), alice)
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, raw := page.do(http.MethodGet, "/app/api/items", nil)
		if st == http.StatusOK && strings.Contains(string(raw), `"id":"td_old"`) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the old todo never appeared: %d %s", st, raw)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
