package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/botd/botd/internal/feishusim"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/state"
)

const (
	topicChatID = "oc_e2e_topic"
	p2pChatID   = "oc_e2e_p2p_alice"
)

// messagesIn returns the simulator's messages in chat, oldest first.
func (w *world) messagesIn(chat string) []feishusim.Message {
	var out []feishusim.Message
	for _, m := range w.sim.Messages() {
		if m.ChatID == chat {
			out = append(out, m)
		}
	}
	return out
}

// sendIn delivers text typed by sender in chat, of chatType.
func (w *world) sendIn(t *testing.T, chat, chatType, sender, text string) {
	t.Helper()
	res, err := w.platform.SendText(context.Background(), feishusim.MessageOpts{
		ChatID: chat, ChatType: chatType, SenderOpenID: sender, Text: text,
	})
	if err != nil || res.Status != http.StatusOK {
		t.Fatalf("send %q: %v %+v", text, err, res)
	}
}

// p2pMessages are the messages in sender's one-to-one chat with the bot.
func (w *world) p2pMessages(openID string) []feishusim.Message {
	ch, ok := w.sim.P2PChat(openID)
	if !ok {
		return nil
	}
	return w.messagesIn(ch.ID)
}

func submitTodo(title string) map[string]any {
	return map[string]any{"title": title, "assignee": bob, "due_date": tomorrow(), "notes": ""}
}

// A topic group has no ephemeral cards: botd knows it from the chat info,
// sends the form to the member in their one-to-one chat with the bot,
// posts the final card in the topic group and turns the form into
// "Submitted". No ephemeral call is ever made.
func TestTopicGroupEndToEnd(t *testing.T) {
	w := newWorld(t)
	w.sim.AddChat(feishusim.Chat{ID: topicChatID, Mode: "topic", Name: "Topics", OwnerID: alice,
		Members: []string{alice, bob}, BotIsMember: true})
	w.sendIn(t, topicChatID, "group", alice, "/todo Ship it")
	var form feishusim.Message
	eventually(t, "the form in alice's p2p chat", func() bool {
		ms := w.p2pMessages(alice)
		if len(ms) == 1 {
			form = ms[0]
		}
		return len(ms) == 1
	})
	if !strings.Contains(form.Content, "Ship it") {
		t.Fatalf("form = %s", form.Content)
	}
	a := w.clickIn(t, form.ChatID, alice, json.RawMessage(form.Content), "submit_btn", submitTodo("Ship it"))
	if a.Toast == nil || a.Toast.Type != "success" {
		t.Fatalf("submit: %+v", a)
	}
	eventually(t, "final card in the topic group and the form closed", func() bool {
		ms := w.p2pMessages(alice)
		return len(w.messagesIn(topicChatID)) == 1 && len(ms) == 1 && ms[0].Updates == 1
	})
	if got := w.p2pMessages(alice)[0].Content; !strings.Contains(got, "Submitted") {
		t.Errorf("the form became %s", got)
	}
	settle()
	if n := len(w.calls("/open-apis/ephemeral/v1/send")) + len(w.calls("/open-apis/ephemeral/v1/delete")); n != 0 {
		t.Errorf("%d ephemeral calls for a topic group", n)
	}
}

// In a one-to-one chat with the bot the form is an ordinary card there,
// updated in place; the final card goes to the same chat.
func TestP2PChatEndToEnd(t *testing.T) {
	w := newWorld(t)
	w.sim.AddChat(feishusim.Chat{ID: p2pChatID, Mode: "p2p", Members: []string{alice}, BotIsMember: true})
	w.sendIn(t, p2pChatID, "p2p", alice, "/todo 买牛奶")
	eventually(t, "the form in the p2p chat", func() bool { return len(w.messagesIn(p2pChatID)) == 1 })
	form := w.messagesIn(p2pChatID)[0]
	if !strings.Contains(form.Content, "新建待办") {
		t.Errorf("a command typed in Chinese gets a Chinese form: %s", form.Content)
	}
	// A wrong value answers with the form again, in place.
	if a := w.clickIn(t, p2pChatID, alice, json.RawMessage(form.Content), "submit_btn", map[string]any{"title": ""}); a.Toast == nil || a.Toast.Type != "error" {
		t.Fatalf("empty title: %+v", a)
	}
	w.clickIn(t, p2pChatID, alice, json.RawMessage(form.Content), "submit_btn", submitTodo("买牛奶"))
	eventually(t, "final card and the form closed", func() bool {
		ms := w.messagesIn(p2pChatID)
		return len(ms) == 2 && ms[0].Updates == 1
	})
	ms := w.messagesIn(p2pChatID)
	if !strings.Contains(ms[0].Content, "已提交") || !strings.Contains(ms[1].Content, "买牛奶") {
		t.Errorf("form %s, final %s", ms[0].Content, ms[1].Content)
	}
}

// Who may start a flow: a rule in the config, chat admins read from the
// platform (owner, managers) and cached in Redis, BOTD_ADMINS. A refused
// member gets a private notice naming who can.
func TestPermissionsEndToEnd(t *testing.T) {
	w := newWorldWith(t, func(c *Config) {
		c.Admins = List{"ou_ops"}
		c.Flows = map[string]FlowConfig{"remind": {Allow: Allow{flows.Rule{AdminsOnly: true}}}}
	})
	w.sim.AddChat(feishusim.Chat{ID: chatID, Mode: "group", Name: "Team", OwnerID: alice, Managers: []string{bob},
		Members: []string{alice, bob, carol, "ou_ops"}, BotIsMember: true})

	w.sendText(t, carol, "/remind tomorrow 9:00 standup")
	notice := w.formFor(t, carol, 1)
	if !strings.Contains(string(notice.Card), "Only the chat's owner and managers, and botd's admins, can use /remind") {
		t.Fatalf("notice = %s", notice.Card)
	}
	for i, who := range []string{alice, bob, "ou_ops"} { // owner, manager, BOTD_ADMINS
		w.sendText(t, who, "/remind tomorrow 9:00 standup")
		if form := w.formFor(t, who, 1); !strings.Contains(string(form.Card), "remind_form") {
			t.Errorf("%d: %s got %s, want the reminder form", i, who, form.Card)
		}
	}
	// Everyone else may still use /todo.
	w.sendText(t, carol, "/todo x")
	if form := w.formFor(t, carol, 2); !strings.Contains(string(form.Card), "todo_form") {
		t.Errorf("carol's /todo got %s", form.Card)
	}
	rdb := w.bot.RedisClient()
	ttl, err := rdb.TTL(context.Background(), state.KeyPrefix(rdb)+"botd:cache:chat:"+chatID).Result()
	if err != nil || ttl <= 0 || ttl > 60e9 {
		t.Errorf("chat info cache TTL = %v, %v; want at most 60 s", ttl, err)
	}
	if n := len(w.calls("/open-apis/im/v1/chats/" + chatID)); n != 1 {
		t.Errorf("%d chat lookups for five commands, want 1 (cached)", n)
	}
}

// The bot is removed from the group while a member fills in the form: the
// final post is refused for good, so the job gives up at once (no retry
// storm), and the member is told in their one-to-one chat with the bot.
func TestBotRemovedMidFlow(t *testing.T) {
	w := newWorld(t)
	w.sendText(t, alice, "/todo Buy milk")
	form := w.formFor(t, alice, 1)
	if err := w.sim.RemoveBot(chatID); err != nil {
		t.Fatal(err)
	}
	w.click(t, alice, form.Card, "submit_btn", submitTodo("Buy milk"))
	eventually(t, "alice told in p2p", func() bool {
		ms := w.p2pMessages(alice)
		return len(ms) == 1 && strings.Contains(ms[0].Content, "could not be posted")
	})
	settle()
	posts := 0
	for _, c := range w.calls("/open-apis/im/v1/messages") {
		if c.Status != http.StatusOK {
			posts++
		}
	}
	if posts != 1 {
		t.Errorf("%d refused posts to the group, want 1: a permanent error is not retried", posts)
	}
}

// An operator's card-builder template replaces the final card, sent in the
// seeds' request shape with the form's values as variables.
func TestTemplateFinalCardEndToEnd(t *testing.T) {
	w := newWorldWith(t, func(c *Config) {
		c.Flows = map[string]FlowConfig{"todo": {Template: &TemplateConfig{ID: "AAqkTodo", VersionName: "1.0.0"}}}
	})
	w.sendText(t, alice, "/todo Buy milk")
	w.click(t, alice, w.formFor(t, alice, 1).Card, "submit_btn", submitTodo("Buy milk"))
	eventually(t, "the template card", func() bool { return len(w.messagesIn(chatID)) == 1 })
	var got struct {
		Type string `json:"type"`
		Data struct {
			ID       string            `json:"template_id"`
			Version  string            `json:"template_version_name"`
			Variable map[string]string `json:"template_variable"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(w.messagesIn(chatID)[0].Content), &got); err != nil {
		t.Fatal(err)
	}
	if got.Type != "template" || got.Data.ID != "AAqkTodo" || got.Data.Version != "1.0.0" ||
		got.Data.Variable["title"] != "Buy milk" || got.Data.Variable["assignee"] != bob || got.Data.Variable["creator_id"] != alice {
		t.Errorf("template card = %+v", got)
	}
}
