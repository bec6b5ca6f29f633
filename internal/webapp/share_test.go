package webapp

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/botd/botd/internal/card"
	"github.com/botd/botd/internal/feishusim"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/todo"
)

// share asks for an item's cardContent and returns it raw, as the page
// hands it to tt.sendMessageCard.
func (rp *replica) share(t *testing.T, cookie, id string, body any) (answer, json.RawMessage) {
	t.Helper()
	a := rp.do(t, http.MethodPost, "/app/api/items/"+id+"/share", body, map[string]string{"Cookie": cookie, "Origin": rp.srv.URL})
	var out struct {
		CardContent json.RawMessage `json:"cardContent"`
	}
	if a.status == http.StatusOK {
		if err := json.Unmarshal([]byte(a.raw), &out); err != nil {
			t.Fatal(err)
		}
	}
	return a, out.CardContent
}

// The whole share: botd's cardContent is what the client accepts; sent to
// a chat, the copy's button is the group card's; botd records the copy
// from the client's sendCardInfo, and a click on the copy is answered with
// its JSON 1.0 card while a click on the group card keeps its 2.0 one.
func TestShareThroughTheClient(t *testing.T) {
	p := newPlatform(t)
	rp := p.replica(t, Config{})
	todoID, _ := rp.world(t)
	cookie := rp.login(t, alice)

	a, content := rp.share(t, cookie, todoID, nil)
	if a.status != http.StatusOK {
		t.Fatalf("share: %d %s", a.status, a.raw)
	}
	var cc struct {
		MsgType     string          `json:"msg_type"`
		UpdateMulti bool            `json:"update_multi"`
		Card        json.RawMessage `json:"card"`
	}
	if err := json.Unmarshal(content, &cc); err != nil || cc.MsgType != "interactive" || !cc.UpdateMulti ||
		strings.Contains(string(cc.Card), `"schema"`) || !strings.Contains(string(cc.Card), "Mark done") {
		t.Fatalf("cardContent: %s", content)
	}
	if len(a.raw) > card.MaxContent1Bytes {
		t.Fatalf("answer of %d bytes", len(a.raw))
	}

	sent, failed, code := p.sim.ClientSendMessageCard(alice, []string{"oc_teamb"}, content)
	if code != 0 || len(failed) != 0 || len(sent) != 1 {
		t.Fatalf("the client refused botd's card: errCode %d, failed %v", code, failed)
	}
	var copyMsg feishusim.Message
	for _, m := range p.sim.Messages() {
		if m.MessageID == sent[0].OpenMessageID {
			copyMsg = m
		}
	}
	value, ok := feishusim.ButtonValue(json.RawMessage(copyMsg.Content), "todo_done_btn")
	if !ok || value["flow"] != "todo" || value["action"] != "todo_done" || value["todo"] != todoID {
		t.Fatalf("the copy's button: %v %v", value, ok)
	}

	info := []map[string]any{
		{"status": 0, "openChatId": sent[0].OpenChatID, "openMessageId": sent[0].OpenMessageID},
		{"status": 1, "openChatId": "oc_teamc", "openMessageId": "om_failed"},
		{"status": 0, "openChatId": "not a chat", "openMessageId": "om_x"},
		{"openChatId": "oc_teamd", "openMessageId": "om_nostatus"},
	}
	a = rp.do(t, http.MethodPost, "/app/api/items/"+todoID+"/shares", map[string]any{"sendCardInfo": info},
		map[string]string{"Cookie": cookie, "Origin": rp.srv.URL})
	if a.status != http.StatusOK || a.body["recorded"] != float64(1) {
		t.Fatalf("shares: %d %s", a.status, a.raw)
	}
	if names, _ := a.body["chat_names"].(map[string]any); len(names) != 1 || names["oc_teamb"] != "Team B" {
		t.Fatalf("shares named %v, want only Team B", a.body["chat_names"])
	}
	// A chat the member is not in is not named, whatever the page says.
	p.sim.AddChat(feishusim.Chat{ID: "oc_private", Name: "Board", Members: []string{bob}, BotIsMember: true})
	forged := []map[string]any{{"status": 0, "openChatId": "oc_private", "openMessageId": "om_forged"}}
	a = rp.do(t, http.MethodPost, "/app/api/items/"+todoID+"/shares", map[string]any{"sendCardInfo": forged},
		map[string]string{"Cookie": cookie, "Origin": rp.srv.URL})
	if names, _ := a.body["chat_names"].(map[string]any); a.status != http.StatusOK || len(names) != 0 {
		t.Fatalf("a chat alice is not in: %d %s", a.status, a.raw)
	}

	// Bob clicks Mark done on the copy in Team B.
	ans, err := rp.engine.HandleAction(t.Context(), flows.Action{OperatorID: bob, MessageID: sent[0].OpenMessageID,
		ChatID: sent[0].OpenChatID, Tag: "button", Value: value})
	if err != nil {
		t.Fatal(err)
	}
	v1, ok := ans.Card.(*card.V1)
	if !ok || ans.Toast.Type != flows.ToastSuccess {
		t.Fatalf("click on the copy: %T %+v", ans.Card, ans.Toast)
	}
	raw, _ := json.Marshal(v1)
	if !strings.Contains(string(raw), "todo_reopen") || len(feishusim.ValidateCard(raw, false)) > 0 {
		t.Fatalf("the copy's answer: %s", raw)
	}
	// The same click on the group card is answered with its 2.0 card.
	group := ""
	for _, m := range p.sim.Messages() {
		if m.ChatID == "oc_teama" {
			group = m.MessageID
		}
	}
	ans, err = rp.engine.HandleAction(t.Context(), flows.Action{OperatorID: bob, MessageID: group, ChatID: "oc_teama",
		Tag: "button", Value: value})
	if c, ok := ans.Card.(*card.Card); err != nil || !ok || c.Schema != card.Schema {
		t.Fatalf("click on the group card: %T %v", ans.Card, err)
	}
}

func TestShareRefusals(t *testing.T) {
	p := newPlatform(t)
	rp := p.replica(t, Config{})
	todoID, remID := rp.world(t)
	alice, carolCookie := rp.login(t, alice), rp.login(t, carol)

	if a, _ := rp.share(t, carolCookie, todoID, nil); a.status != http.StatusNotFound {
		t.Errorf("carol shares alice's todo: %d", a.status)
	}
	if a, _ := rp.share(t, alice, todoID, map[string]string{"lang": "fr"}); a.status != http.StatusBadRequest {
		t.Errorf("lang fr: %d", a.status)
	}
	if a := rp.do(t, http.MethodPost, "/app/api/items/"+todoID+"/share", nil, map[string]string{"Origin": rp.srv.URL}); a.status != http.StatusUnauthorized {
		t.Errorf("no session: %d", a.status)
	}
	if a := rp.do(t, http.MethodPost, "/app/api/items/"+todoID+"/share", nil,
		map[string]string{"Cookie": alice, "Origin": "https://evil.example.com"}); a.status != http.StatusForbidden {
		t.Errorf("cross-site: %d", a.status)
	}
	// The language: the body's, else the record's (the reminder is zh_cn).
	if _, c := rp.share(t, alice, todoID, map[string]string{"lang": "zh"}); !strings.Contains(string(c), "标记完成") {
		t.Errorf("lang zh: %s", c)
	}
	if _, c := rp.share(t, alice, remID, nil); !strings.Contains(string(c), "取消提醒") {
		t.Errorf("the reminder's own language: %s", c)
	}

	many := make([]map[string]any, 11)
	for i := range many {
		many[i] = map[string]any{"status": 0, "openChatId": "oc_teamb", "openMessageId": "om_x"}
	}
	hdr := map[string]string{"Cookie": alice, "Origin": rp.srv.URL}
	for _, tc := range []struct {
		name string
		body any
		want int
	}{
		{"eleven entries", map[string]any{"sendCardInfo": many}, http.StatusBadRequest},
		{"not JSON", "x", http.StatusBadRequest},
		{"bad lang", map[string]any{"sendCardInfo": many[:1], "lang": "de"}, http.StatusBadRequest},
		{"the group card's own id", map[string]any{"sendCardInfo": []map[string]any{{"status": 0, "openChatId": "oc_teama",
			"openMessageId": p.sim.Messages()[0].MessageID}}}, http.StatusOK},
	} {
		a := rp.do(t, http.MethodPost, "/app/api/items/"+todoID+"/shares", tc.body, hdr)
		if a.status != tc.want || (a.status == http.StatusOK && a.body["recorded"] != float64(0)) {
			t.Errorf("%s: %d %s", tc.name, a.status, a.raw)
		}
	}
	if a := rp.do(t, http.MethodPost, "/app/api/items/"+todoID+"/shares", map[string]any{"sendCardInfo": many[:1]},
		map[string]string{"Cookie": carolCookie, "Origin": rp.srv.URL}); a.status != http.StatusNotFound {
		t.Errorf("carol records shares of alice's todo: %d", a.status)
	}
}

// The longest title and notes the todo form accepts, in characters that
// grow most in JSON, give a cardContent under 20 KB that the client takes.
func TestShareLongestTodo(t *testing.T) {
	p := newPlatform(t)
	rp := p.replica(t, Config{})
	rp.world(t)
	rp.seedTodo(t, todo.Todo{ID: "td_long", TenantKey: simTenant, ChatID: "oc_teama", Title: strings.Repeat("<\x01", 100),
		Notes: strings.Repeat("\x01<", 500), CreatorID: alice, Assignee: bob, Due: "2024-11-15", Locale: "zh_cn"})
	a, content := rp.share(t, rp.login(t, alice), "td_long", nil)
	if a.status != http.StatusOK || len(content) > card.MaxContent1Bytes {
		t.Fatalf("share: %d, %d bytes", a.status, len(content))
	}
	if _, _, code := p.sim.ClientSendMessageCard(alice, []string{"oc_teama"}, content); code != 0 {
		t.Fatalf("the client refused it: %d", code)
	}
}
