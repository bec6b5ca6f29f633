package feishusim

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

const messagesPath = "/open-apis/im/v1/messages?receive_id_type=chat_id"

func TestMessageCreate(t *testing.T) {
	e := newEnv(t, false)
	r := e.postCard("oc_group", simpleCard("Buy milk"), "")
	wantCode(t, r, http.StatusOK, 0)
	if r.Data["chat_id"] != "oc_group" || r.Data["msg_type"] != "interactive" || !strings.HasPrefix(r.Data["message_id"].(string), "om_") {
		t.Fatalf("answer %v", r.Data)
	}
	if sender, _ := r.Data["sender"].(map[string]any); sender["id"] != "cli_test" || sender["sender_type"] != "app" {
		t.Fatalf("sender %v", r.Data["sender"])
	}
	wantCode(t, e.post(messagesPath, map[string]any{"receive_id": "oc_topic", "msg_type": "text", "content": `{"text":"reminder"}`}), http.StatusOK, 0)

	msgs := e.sim.Messages()
	if len(msgs) != 2 || msgs[1].MsgType != "text" || len(msgs[0].History) != 1 {
		t.Fatalf("messages %+v", msgs)
	}
	if v, ok := ButtonValue(json.RawMessage(msgs[0].Content), "ok_btn"); !ok || v["k"] != "v" {
		t.Fatalf("ButtonValue on posted card: %v %v", v, ok)
	}
}

func TestMessageCreateRefused(t *testing.T) {
	card, _ := json.Marshal(simpleCard("x"))
	withAction := `{"schema":"2.0","body":{"elements":[{"tag":"action","actions":[]}]}}`
	base := func(over map[string]any) map[string]any {
		b := map[string]any{"receive_id": "oc_group", "msg_type": "interactive", "content": string(card)}
		for k, v := range over {
			if v == nil {
				delete(b, k)
			} else {
				b[k] = v
			}
		}
		return b
	}
	for _, tc := range []struct {
		name    string
		path    string
		body    any
		code    int
		msgPart string
	}{
		{"content as an object", messagesPath, base(map[string]any{"content": simpleCard("x")}), CodeBadRequest, "content"},
		{"content not a card", messagesPath, base(map[string]any{"content": "[1]"}), CodeMsgBadParam, ""},
		{"invalid card", messagesPath, base(map[string]any{"content": withAction}), CodeMsgCardInvalid, "ErrCode: 200861"},
		{"card over 30 KB", messagesPath, base(map[string]any{"content": strings.Repeat(" ", 31*1024) + string(card)}), CodeMsgTooLong, ""},
		{"bot not in chat", messagesPath, base(map[string]any{"receive_id": "oc_nobot"}), CodeMsgBotNotInChat, ""},
		{"unknown chat", messagesPath, base(map[string]any{"receive_id": "oc_missing"}), CodeMsgBadParam, ""},
		{"uuid of 51 characters", messagesPath, base(map[string]any{"uuid": strings.Repeat("u", 51)}), CodeFieldValidation, "uuid"},
		{"no receive_id_type", "/open-apis/im/v1/messages", base(nil), CodeFieldValidation, "receive_id_type"},
		{"receive_id_type user_id", "/open-apis/im/v1/messages?receive_id_type=user_id", base(nil), CodeFieldValidation, "chat_id"},
		{"no content", messagesPath, base(map[string]any{"content": nil}), CodeFieldValidation, "content"},
		{"text without text", messagesPath, base(map[string]any{"msg_type": "text", "content": `{"title":"x"}`}), CodeMsgBadParam, ""},
		{"image", messagesPath, base(map[string]any{"msg_type": "image", "content": `{"image_key":"x"}`}), CodeMsgBadParam, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, false)
			r := e.post(tc.path, tc.body)
			wantCode(t, r, http.StatusBadRequest, tc.code)
			if !strings.Contains(r.Msg, tc.msgPart) {
				t.Errorf("msg %q does not mention %q", r.Msg, tc.msgPart)
			}
			if n := len(e.sim.Messages()); n != 0 {
				t.Errorf("refused create posted %d messages", n)
			}
		})
	}
}

func TestMessageUUIDDedupe(t *testing.T) {
	e := newEnv(t, false)
	first := e.postCard("oc_group", simpleCard("Buy milk"), "todo-itx_1")
	wantCode(t, first, http.StatusOK, 0)
	e.clock.Advance(59 * time.Minute)
	again := e.postCard("oc_group", simpleCard("Buy milk"), "todo-itx_1")
	wantCode(t, again, http.StatusOK, 0)
	if again.Data["message_id"] != first.Data["message_id"] {
		t.Fatalf("same uuid within the hour gave %v then %v", first.Data["message_id"], again.Data["message_id"])
	}
	if n := len(e.sim.Messages()); n != 1 {
		t.Fatalf("%d messages after a duplicate, want 1", n)
	}
	calls := e.sim.Calls()
	if last := calls[len(calls)-1]; !last.Duplicate || calls[len(calls)-2].Duplicate {
		t.Fatalf("Duplicate flags: %+v", calls[len(calls)-2:])
	}

	e.clock.Advance(time.Minute) // an hour after the first send
	third := e.postCard("oc_group", simpleCard("Buy milk"), "todo-itx_1")
	wantCode(t, third, http.StatusOK, 0)
	if third.Data["message_id"] == first.Data["message_id"] || len(e.sim.Messages()) != 2 {
		t.Fatal("after an hour the uuid must post a new message")
	}
}

func TestMessagePatch(t *testing.T) {
	exclusive := map[string]any{"elements": []any{map[string]any{"tag": "markdown", "content": "1.0"}}}
	shared1 := map[string]any{"config": map[string]any{"update_multi": true}, "elements": []any{map[string]any{"tag": "markdown", "content": "1.0"}}}
	patchBody := func(card any) map[string]any {
		b, _ := json.Marshal(card)
		return map[string]any{"content": string(b)}
	}
	for _, tc := range []struct {
		name  string
		setup func(e *env) string // returns the message id
		body  map[string]any
		code  int
	}{
		{"2.0 to 2.0", func(e *env) string { return postID(e, simpleCard("a")) }, patchBody(simpleCard("b")), 0},
		{"shared 1.0 to 2.0", func(e *env) string { return postID(e, shared1) }, patchBody(simpleCard("b")), 0},
		{"exclusive original", func(e *env) string { return postID(e, exclusive) }, patchBody(simpleCard("b")), CodeMsgCardInvalid},
		{"exclusive replacement", func(e *env) string { return postID(e, simpleCard("a")) }, patchBody(exclusive), CodeMsgCardInvalid},
		{"invalid replacement", func(e *env) string { return postID(e, simpleCard("a")) },
			map[string]any{"content": `{"schema":"2.0","body":{"elements":[{"tag":"nope"}]}}`}, CodeMsgCardInvalid},
		{"replacement over 30 KB", func(e *env) string { return postID(e, simpleCard("a")) }, patchBody(simpleCard(strings.Repeat("x", 31*1024))), CodeMsgTooLong},
		{"content as an object", func(e *env) string { return postID(e, simpleCard("a")) }, map[string]any{"content": simpleCard("b")}, CodeBadRequest},
		{"recalled", func(e *env) string {
			id := postID(e, simpleCard("a"))
			_ = e.sim.RecallMessage(id)
			return id
		}, patchBody(simpleCard("b")), CodeMsgRecalled},
		{"text message", func(e *env) string {
			return e.post(messagesPath, map[string]any{"receive_id": "oc_group", "msg_type": "text", "content": `{"text":"x"}`}).Data["message_id"].(string)
		}, patchBody(simpleCard("b")), CodeMsgBadParam},
		{"another app's card", func(e *env) string {
			c, _ := json.Marshal(simpleCard("a"))
			return e.sim.AddMessage(Message{ChatID: "oc_group", MsgType: "interactive", Content: string(c), SenderAppID: "cli_other"})
		}, patchBody(simpleCard("b")), CodeMsgBadParam},
		{"older than 14 days", func(e *env) string {
			id := postID(e, simpleCard("a"))
			e.clock.Advance(14*24*time.Hour + time.Second)
			e.refreshToken()
			return id
		}, patchBody(simpleCard("b")), CodeMsgBadParam},
		{"ephemeral card", func(e *env) string {
			return e.sendEphemeral("oc_group", alice, simpleCard("a")).Data["message_id"].(string)
		}, patchBody(simpleCard("b")), CodeMsgBadParam},
		{"unknown id", func(*env) string { return "om_unknown" }, patchBody(simpleCard("b")), CodeMsgBadParam},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, false)
			id := tc.setup(e)
			r := e.request(http.MethodPatch, "/open-apis/im/v1/messages/"+id, tc.body, nil)
			if tc.code == 0 {
				wantCode(t, r, http.StatusOK, 0)
				m := e.sim.Messages()[0]
				if m.Updates != 1 || len(m.History) != 2 || m.Content != tc.body["content"] {
					t.Fatalf("after PATCH: %+v", m)
				}
				return
			}
			wantCode(t, r, http.StatusBadRequest, tc.code)
		})
	}
}

func postID(e *env, card any) string {
	e.t.Helper()
	r := e.postCard("oc_group", card, "")
	wantCode(e.t, r, http.StatusOK, 0)
	return r.Data["message_id"].(string)
}

// A message to a user's open_id goes to their one-to-one chat with the bot,
// opened on the first message and reused after.
func TestMessageCreateToUser(t *testing.T) {
	e := newEnv(t, false)
	const path = "/open-apis/im/v1/messages?receive_id_type=open_id"
	card, _ := json.Marshal(simpleCard("Your form"))
	body := map[string]any{"receive_id": "ou_dmuser", "msg_type": "interactive", "content": string(card)}
	first := e.post(path, body)
	wantCode(t, first, http.StatusOK, 0)
	second := e.post(path, body)
	wantCode(t, second, http.StatusOK, 0)
	chat, ok := e.sim.P2PChat("ou_dmuser")
	if !ok || chat.Mode != "p2p" || first.Data["chat_id"] != chat.ID || second.Data["chat_id"] != chat.ID {
		t.Fatalf("p2p chat %+v, answers %v / %v", chat, first.Data["chat_id"], second.Data["chat_id"])
	}
	wantCode(t, e.post(path, map[string]any{"receive_id": "oc_group", "msg_type": "interactive", "content": string(card)}), http.StatusBadRequest, CodeMsgBadParam)
}
