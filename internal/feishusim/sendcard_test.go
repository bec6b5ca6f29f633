package feishusim

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// card1 is a valid shared JSON 1.0 card with one button in an action module.
func card1(text string) map[string]any {
	return map[string]any{
		"config": map[string]any{"update_multi": true},
		"header": map[string]any{"title": map[string]any{"tag": "plain_text", "content": text}, "template": "blue"},
		"elements": []any{
			map[string]any{"tag": "div", "text": map[string]any{"tag": "plain_text", "content": text}},
			map[string]any{"tag": "action", "actions": []any{map[string]any{
				"tag": "button", "name": "done_btn", "text": map[string]any{"tag": "plain_text", "content": "Done"},
				"type": "primary", "value": map[string]any{"flow": "todo", "action": "todo_done", "todo": "td_1"},
			}}},
		},
	}
}

func content(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestClientSendMessageCardRefused(t *testing.T) {
	good := map[string]any{"msg_type": "interactive", "update_multi": true, "card": card1("x")}
	eleven := make([]string, 11)
	for i := range eleven {
		eleven[i] = "oc_group"
	}
	big := card1(strings.Repeat("x", 20*1024))
	tests := []struct {
		name    string
		chats   []string
		content any // marshalled unless a json.RawMessage
		want    int
	}{
		{"no chats", nil, good, SendCardNoChats},
		{"empty chats", []string{}, good, SendCardNoChats},
		{"eleven chats", eleven, good, SendCardTooManyChats},
		{"no content", []string{"oc_group"}, json.RawMessage(""), SendCardNoContent},
		{"null content", []string{"oc_group"}, json.RawMessage("null"), SendCardNoContent},
		{"empty object", []string{"oc_group"}, json.RawMessage(" {} "), SendCardNoContent},
		{"not JSON", []string{"oc_group"}, json.RawMessage("{nope"), SendCardBadContent},
		{"no msg_type", []string{"oc_group"}, map[string]any{"card": card1("x")}, SendCardBadContent},
		{"text msg_type", []string{"oc_group"}, map[string]any{"msg_type": "text", "card": card1("x")}, SendCardBadContent},
		{"update_multi not a bool", []string{"oc_group"}, map[string]any{"msg_type": "interactive", "update_multi": "yes", "card": card1("x")}, SendCardBadContent},
		{"no card", []string{"oc_group"}, map[string]any{"msg_type": "interactive"}, SendCardBadContent},
		{"card as a string", []string{"oc_group"}, map[string]any{"msg_type": "interactive", "card": `{"elements":[]}`}, SendCardBadContent},
		{"JSON 2.0 card", []string{"oc_group"}, map[string]any{"msg_type": "interactive", "card": simpleCard("x")}, SendCardBadContent},
		{"template card", []string{"oc_group"}, map[string]any{"msg_type": "interactive", "card": map[string]any{"type": "template", "data": map[string]any{"template_id": "t"}}}, SendCardBadContent},
		{"invalid 1.0 card", []string{"oc_group"}, map[string]any{"msg_type": "interactive", "card": map[string]any{
			"elements": []any{map[string]any{"tag": "button", "text": map[string]any{"tag": "plain_text", "content": "x"}}}}}, SendCardBadContent},
		{"over 20 KB", []string{"oc_group"}, map[string]any{"msg_type": "interactive", "card": big}, SendCardBadContent},
		{"an open_id for a chat", []string{"oc_group", alice}, good, SendCardBadChatID},
		{"a malformed chat id", []string{"oc_bad id"}, good, SendCardBadChatID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, false)
			raw, ok := tt.content.(json.RawMessage)
			if !ok {
				raw = content(t, tt.content)
			}
			sent, failed, code := e.sim.ClientSendMessageCard(alice, tt.chats, raw)
			if code != tt.want || sent != nil || failed != nil {
				t.Fatalf("errCode %d, sent %v, failed %v; want %d and nothing sent", code, sent, failed, tt.want)
			}
			if n := len(e.sim.Messages()); n != 0 {
				t.Fatalf("%d messages after a refusal", n)
			}
		})
	}
}

// The card appears in each chat the sender is in, once, as the app's
// message and the user's; chats the sender is not in fail, with -5.
func TestClientSendMessageCard(t *testing.T) {
	e := newEnv(t, false)
	c := content(t, map[string]any{"msg_type": "interactive", "update_multi": true, "card": card1("Buy milk")})
	sent, failed, code := e.sim.ClientSendMessageCard(alice, []string{"oc_group", "oc_group2", "oc_group", "oc_nobot"}, c)
	if code != 0 || len(failed) != 0 || len(sent) != 3 {
		t.Fatalf("errCode %d, sent %+v, failed %v", code, sent, failed)
	}
	msgs := e.sim.Messages()
	if len(msgs) != 3 {
		t.Fatalf("%d messages, want one per distinct chat", len(msgs))
	}
	for i, s := range sent {
		m := msgs[i]
		if s.Status != 0 || s.OpenMessageID != m.MessageID || s.OpenChatID != m.ChatID || m.MsgType != "interactive" || m.SenderAppID != "cli_test" {
			t.Fatalf("sent %+v, message %+v", s, m)
		}
		if who, ok := e.sim.ClientSender(m.MessageID); !ok || who != alice {
			t.Fatalf("sender of %s: %q %v", m.MessageID, who, ok)
		}
		if v, ok := ButtonValue(json.RawMessage(m.Content), "done_btn"); !ok || v["todo"] != "td_1" {
			t.Fatalf("the card's button value: %v %v", v, ok)
		}
		if strings.Contains(m.Content, "msg_type") {
			t.Fatalf("the message holds the cardContent, not the card: %s", m.Content)
		}
	}
	if got := []string{sent[0].OpenChatID, sent[1].OpenChatID, sent[2].OpenChatID}; !slices.Equal(got, []string{"oc_group", "oc_group2", "oc_nobot"}) {
		t.Fatalf("chats %v", got)
	}

	// Bob is in oc_group only; oc_unknown exists nowhere.
	sent, failed, code = e.sim.ClientSendMessageCard(bob, []string{"oc_group2", "oc_group", "oc_unknown"}, c)
	if code != SendCardFailed || !slices.Equal(failed, []string{"oc_group2", "oc_unknown"}) || len(sent) != 1 || sent[0].OpenChatID != "oc_group" {
		t.Fatalf("partly failed: errCode %d, sent %+v, failed %v", code, sent, failed)
	}
	// Just under the 20 KB bound is sent.
	near := content(t, map[string]any{"msg_type": "interactive", "card": card1(strings.Repeat("x", 9*1024))})
	if _, _, code := e.sim.ClientSendMessageCard(alice, []string{"oc_group"}, near); code != 0 || len(near) < 18*1024 {
		t.Fatalf("%d bytes: errCode %d", len(near), code)
	}
	if _, ok := e.sim.ClientSender(postID(e, simpleCard("bot's own"))); ok {
		t.Fatal("a message the app posted has a user as its sender")
	}
}

// Whether the app may PATCH a card a user sent through the client is
// unconfirmed: refused unless allowed.
func TestClientSentCardPatch(t *testing.T) {
	e := newEnv(t, false)
	sent, _, code := e.sim.ClientSendMessageCard(alice, []string{"oc_group"}, content(t, map[string]any{"msg_type": "interactive", "update_multi": true, "card": card1("a")}))
	if code != 0 {
		t.Fatalf("send: %d", code)
	}
	id := sent[0].OpenMessageID
	body, _ := json.Marshal(card1("b"))
	patch := map[string]any{"content": string(body)}
	r := e.request(http.MethodPatch, "/open-apis/im/v1/messages/"+id, patch, nil)
	wantCode(t, r, http.StatusBadRequest, CodeMsgBadParam)
	e.sim.SetClientCardPatch(true)
	r = e.request(http.MethodPatch, "/open-apis/im/v1/messages/"+id, patch, nil)
	wantCode(t, r, http.StatusOK, 0)
	if m := e.sim.Messages()[0]; m.Updates != 1 {
		t.Fatalf("after an allowed PATCH: %+v", m)
	}
}
