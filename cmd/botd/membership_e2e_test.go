package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/botd/botd/internal/feishusim"
)

// A group card forwarded to another chat: a click by someone who is not a
// member of the card's chat gets an error toast that says nothing of that
// chat and changes nothing, even when they would otherwise be allowed (a
// BOTD_ADMINS operator; the assignee, who has left the chat). A member's
// click works wherever the card is. Membership is read from the
// simulator's member list of the todo's chat, never the clicked-in chat.
func TestForwardedCardMembersOnlyEndToEnd(t *testing.T) {
	const dave, elsewhere = "ou_dave", "oc_e2e_elsewhere"
	w := newWorldWith(t, func(c *Config) { c.Admins = []string{dave} })
	w.sendText(t, alice, "/todo Buy milk @_user_2", feishusim.Mention{Key: "@_user_2", OpenID: bob, Name: "Bob"})
	form := w.formFor(t, alice, 1)
	w.click(t, alice, form.Card, "submit_btn", map[string]any{"title": "Buy milk", "assignee": bob})
	eventually(t, "the todo card", func() bool { return len(w.sim.Messages()) == 1 })
	card := json.RawMessage(w.sim.Messages()[0].Content)
	if err := w.sim.RemoveMember(chatID, bob); err != nil {
		t.Fatal(err)
	}

	for _, who := range []string{dave, bob} {
		a := w.clickIn(t, elsewhere, who, card, "todo_done_btn", nil)
		if a.Toast == nil || a.Toast.Type != "error" || a.Card != nil {
			t.Fatalf("%s, not a member: %+v", who, a)
		}
		for _, text := range append([]string{a.Toast.Content}, mapValues(a.Toast.I18n)...) {
			for _, secret := range []string{"Buy milk", "Team", chatID, alice, bob} {
				if strings.Contains(text, secret) {
					t.Errorf("the refusal %q reveals %q", text, secret)
				}
			}
		}
	}
	settle()
	if n := len(w.calls("/open-apis/im/v1/messages/" + w.sim.Messages()[0].MessageID)); n != 0 {
		t.Fatalf("a refused click PATCHed the card %d times", n)
	}
	lists := w.calls("/open-apis/im/v1/chats/" + chatID + "/members")
	if len(lists) == 0 || lists[0].Method != http.MethodGet || !strings.Contains(lists[0].Query, "member_id_type=open_id") {
		t.Fatalf("member list calls: %+v", lists)
	}
	if n := len(w.calls("/open-apis/im/v1/chats/" + elsewhere + "/members")); n != 0 {
		t.Fatal("membership was read for the chat the card was clicked in, not the todo's")
	}

	if a := w.clickIn(t, elsewhere, alice, card, "todo_done_btn", nil); a.Toast == nil || a.Toast.Type != "success" {
		t.Fatalf("the creator's click on the forwarded card: %+v", a.Toast)
	}
	eventually(t, "the PATCH", func() bool { return strings.Contains(w.sim.Messages()[0].Content, "todo_reopen_btn") })
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
