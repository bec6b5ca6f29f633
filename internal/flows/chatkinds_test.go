package flows

import (
	"context"
	"strings"
	"testing"
)

const p2pChatID = "oc_p2p_000000000000000000000000"

// In a one-to-one chat with the bot the form is an ordinary card in that
// chat (with a uuid, so a retried send posts once), the final card goes to
// the same chat, and the form is replaced by "Submitted".
func TestP2PChat(t *testing.T) {
	v := newEnv(t)
	m := message("/todo Buy milk")
	m.ChatType, m.ChatID = ChatModeP2P, p2pChatID
	if err := v.e.HandleMessage(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	it := v.store.get(t, v.jobs.list()[0].ID)
	if it.FormIn != FormInChat {
		t.Fatalf("FormIn = %q, want %q", it.FormIn, FormInChat)
	}
	v.run(t, JobSendForm, it.ID)
	v.run(t, JobSendForm, it.ID) // a retry sends nothing more
	posts := v.sender.only(t, "post")
	if len(posts) != 1 || posts[0].ChatID != p2pChatID || posts[0].UUID != it.ID+"-form" {
		t.Fatalf("form posts = %+v, want one in the p2p chat", posts)
	}
	if v.chats.calls != 0 {
		t.Errorf("a p2p message looked the chat up %d times; its chat_type says it all", v.chats.calls)
	}
	wantToast(t, v.click(t, it, userID, ActionSubmit, validForm()), ToastSuccess, "Todo created")
	v.drain(t)
	posts = v.sender.only(t, "post")
	if len(posts) != 2 || posts[1].ChatID != p2pChatID || posts[1].UUID != it.ID+"-final" {
		t.Fatalf("posts = %+v, want the final card in the p2p chat", posts)
	}
	updates := v.sender.only(t, "update")
	if len(updates) != 1 || updates[0].ID != posts[0].ID || !strings.Contains(cardText(t, updates[0].Card), "Submitted") {
		t.Fatalf("updates = %+v, want the form replaced by Submitted", updates)
	}
	if n := len(v.sender.only(t, "send")) + len(v.sender.only(t, "delete")); n != 0 {
		t.Errorf("%d ephemeral calls in a p2p chat", n)
	}
}

// In a topic group the form goes to the member in their one-to-one chat
// with the bot and the final card to the topic group; a cancel replaces
// the form with "Cancelled".
func TestTopicGroup(t *testing.T) {
	v := newEnv(t)
	v.chats.set(chatID, &ChatInfo{Mode: ChatModeTopic, Status: "normal"})
	it := v.start(t, "/todo Buy milk")
	if it.FormIn != FormToUser {
		t.Fatalf("FormIn = %q, want %q", it.FormIn, FormToUser)
	}
	v.run(t, JobSendForm, it.ID)
	dms := v.sender.only(t, "dm")
	if len(dms) != 1 || dms[0].OpenID != userID || dms[0].UUID != it.ID+"-form" {
		t.Fatalf("dms = %+v, want the form to the member", dms)
	}
	v.click(t, it, userID, ActionSubmit, validForm())
	v.drain(t)
	posts := v.sender.only(t, "post")
	if len(posts) != 1 || posts[0].ChatID != chatID {
		t.Fatalf("posts = %+v, want the final card in the topic group", posts)
	}
	if u := v.sender.only(t, "update"); len(u) != 1 || u[0].ID != dms[0].ID {
		t.Fatalf("updates = %+v, want the p2p form replaced", u)
	}

	other := v.start(t, "/todo Other")
	v.run(t, JobSendForm, other.ID)
	wantToast(t, v.click(t, other, userID, ActionCancel, nil), ToastInfo, "Cancelled")
	v.drain(t)
	u := v.sender.only(t, "update")
	if len(u) != 2 || !strings.Contains(cardText(t, u[1].Card), "Cancelled") {
		t.Fatalf("updates = %+v, want the cancelled form replaced", u)
	}
}

// A disbanded chat starts nothing; a chat whose info cannot be read is
// taken for an ordinary group (a refusal is then a permanent error the
// member is told about).
func TestChatStatus(t *testing.T) {
	v := newEnv(t)
	v.chats.set(chatID, &ChatInfo{Mode: ChatModeGroup, Status: "dissolved"})
	if err := v.e.HandleMessage(context.Background(), message("/todo x")); err != nil {
		t.Fatal(err)
	}
	if jobs := v.jobs.list(); len(jobs) != 0 {
		t.Fatalf("jobs = %v in a disbanded chat", jobs)
	}
}
