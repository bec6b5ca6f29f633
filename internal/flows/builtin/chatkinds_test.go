package builtin

import (
	"context"
	"strings"
	"testing"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/flowtest"
)

const p2pChatID = "oc_p2p_000000000000000000000000"

// In a one-to-one chat with the bot the form is an ordinary card in that
// chat (with a uuid, so a retried send posts once), the final card goes to
// the same chat, and the form is replaced by "Submitted".
func TestP2PChat(t *testing.T) {
	v := newEnv(t)
	m := flowtest.Message("/todo Buy milk")
	m.ChatType, m.ChatID = flows.ChatModeP2P, p2pChatID
	if err := v.E.HandleMessage(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	it := v.Store.Get(t, v.Jobs.List()[0].ID)
	if it.FormIn != flows.FormInChat {
		t.Fatalf("FormIn = %q, want %q", it.FormIn, flows.FormInChat)
	}
	v.Run(t, flows.JobSendForm, it.ID)
	v.Run(t, flows.JobSendForm, it.ID) // a retry sends nothing more
	posts := v.Sender.Only(t, "post")
	if len(posts) != 1 || posts[0].ChatID != p2pChatID || posts[0].UUID != it.ID+"-form" {
		t.Fatalf("form posts = %+v, want one in the p2p chat", posts)
	}
	if v.Chats.Calls() != 0 {
		t.Errorf("a p2p message looked the chat up %d times; its chat_type says it all", v.Chats.Calls())
	}
	wantToast(t, v.Click(t, it, userID, flows.ActionSubmit, validForm()), flows.ToastSuccess, "Todo created")
	v.Drain(t)
	posts = v.Sender.Only(t, "post")
	if len(posts) != 2 || posts[1].ChatID != p2pChatID || posts[1].UUID != it.ID+"-final" {
		t.Fatalf("posts = %+v, want the final card in the p2p chat", posts)
	}
	updates := v.Sender.Only(t, "update")
	if len(updates) != 1 || updates[0].ID != posts[0].ID || !strings.Contains(flowtest.CardText(t, updates[0].Card), "Submitted") {
		t.Fatalf("updates = %+v, want the form replaced by Submitted", updates)
	}
	if n := len(v.Sender.Only(t, "send")) + len(v.Sender.Only(t, "delete")); n != 0 {
		t.Errorf("%d ephemeral calls in a p2p chat", n)
	}
}

// In a topic group the form goes to the member in their one-to-one chat
// with the bot and the final card to the topic group; a cancel replaces
// the form with "Cancelled".
func TestTopicGroup(t *testing.T) {
	v := newEnv(t)
	v.Chats.Set(chatID, &flows.ChatInfo{Mode: flows.ChatModeTopic, Status: "normal"})
	it := v.Start(t, "/todo Buy milk")
	if it.FormIn != flows.FormToUser {
		t.Fatalf("FormIn = %q, want %q", it.FormIn, flows.FormToUser)
	}
	v.Run(t, flows.JobSendForm, it.ID)
	dms := v.Sender.Only(t, "dm")
	if len(dms) != 1 || dms[0].OpenID != userID || dms[0].UUID != it.ID+"-form" {
		t.Fatalf("dms = %+v, want the form to the member", dms)
	}
	v.Click(t, it, userID, flows.ActionSubmit, validForm())
	v.Drain(t)
	posts := v.Sender.Only(t, "post")
	if len(posts) != 1 || posts[0].ChatID != chatID {
		t.Fatalf("posts = %+v, want the final card in the topic group", posts)
	}
	if u := v.Sender.Only(t, "update"); len(u) != 1 || u[0].ID != dms[0].ID {
		t.Fatalf("updates = %+v, want the p2p form replaced", u)
	}

	other := v.Start(t, "/todo Other")
	v.Run(t, flows.JobSendForm, other.ID)
	wantToast(t, v.Click(t, other, userID, flows.ActionCancel, nil), flows.ToastInfo, "Cancelled")
	v.Drain(t)
	u := v.Sender.Only(t, "update")
	if len(u) != 2 || !strings.Contains(flowtest.CardText(t, u[1].Card), "Cancelled") {
		t.Fatalf("updates = %+v, want the cancelled form replaced", u)
	}
}

// A disbanded chat starts nothing; a chat whose info cannot be read is
// taken for an ordinary group (a refusal is then a permanent error the
// member is told about).
func TestChatStatus(t *testing.T) {
	v := newEnv(t)
	v.Chats.Set(chatID, &flows.ChatInfo{Mode: flows.ChatModeGroup, Status: "dissolved"})
	if err := v.E.HandleMessage(context.Background(), flowtest.Message("/todo x")); err != nil {
		t.Fatal(err)
	}
	if jobs := v.Jobs.List(); len(jobs) != 0 {
		t.Fatalf("jobs = %v in a disbanded chat", jobs)
	}
}
