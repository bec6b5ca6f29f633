package feishusim

import (
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestEphemeralRecipientPrecedence(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fields    map[string]string
		want      string
		wantField string
	}{
		{"open_id only", map[string]string{"open_id": bob}, bob, "open_id"},
		{"user_id only", map[string]string{"user_id": "u_alice"}, alice, "user_id"},
		{"email only", map[string]string{"email": "alice@example.com"}, alice, "email"},
		{"all three: open_id wins", map[string]string{"open_id": bob, "user_id": "u_alice", "email": "alice@example.com"}, bob, "open_id"},
		{"user_id beats email", map[string]string{"user_id": "u_alice", "email": "bob@example.com"}, alice, "user_id"},
		{"empty open_id is absent", map[string]string{"open_id": "", "email": "bob@example.com"}, bob, "email"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, false)
			body := map[string]any{"chat_id": "oc_group", "msg_type": "interactive", "card": simpleCard("hi")}
			for k, v := range tc.fields {
				body[k] = v
			}
			r := e.post("/open-apis/ephemeral/v1/send", body)
			wantCode(t, r, http.StatusOK, 0)
			id, _ := r.Data["message_id"].(string)
			if !strings.HasPrefix(id, "om_") || r.Msg != "ok" {
				t.Fatalf("answer %v", r.Raw)
			}
			eph := e.sim.Ephemerals()
			if len(eph) != 1 || eph[0].OpenID != tc.want || eph[0].ResolvedFrom != tc.wantField || eph[0].MessageID != id {
				t.Fatalf("ephemeral %+v, want viewer %s from %s", eph, tc.want, tc.wantField)
			}
		})
	}
}

func TestEphemeralSendRefused(t *testing.T) {
	withAction := mustJSON(t, `{"schema":"2.0","body":{"elements":[
		{"tag":"action","actions":[{"tag":"button","text":{"tag":"plain_text","content":"x"}}]}]}}`)
	duplicateNames := mustJSON(t, `{"schema":"2.0","body":{"elements":[
		{"tag":"button","name":"b","text":{"tag":"plain_text","content":"x"}},
		{"tag":"button","name":"b","text":{"tag":"plain_text","content":"y"}}]}}`)
	localI18n := mustJSON(t, `{"schema":"2.0","config":{"locales":["zh_cn","en_us"]},"body":{"elements":[
		{"tag":"markdown","content":"hi","i18n_content":{"zh_cn":"你好","en_us":"hi"}}]}}`)
	base := func(over map[string]any) map[string]any {
		b := map[string]any{"chat_id": "oc_group", "open_id": alice, "msg_type": "interactive", "card": simpleCard("hi")}
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
		body    any
		code    int
		msgPart string
	}{
		{"topic group", base(map[string]any{"chat_id": "oc_topic"}), CodeFieldValidation, "topic"},
		{"p2p chat", base(map[string]any{"chat_id": "oc_p2p"}), CodeFieldValidation, "p2p"},
		{"no recipient", base(map[string]any{"open_id": nil}), CodeFieldValidation, "open_id, user_id, email"},
		{"all recipients empty", base(map[string]any{"open_id": "", "user_id": "", "email": ""}), CodeFieldValidation, "open_id"},
		{"card as a string", base(map[string]any{"card": `{"schema":"2.0"}`}), CodeBadRequest, "card"},
		{"no card", base(map[string]any{"card": nil}), CodeFieldValidation, "card"},
		{"msg_type text", base(map[string]any{"msg_type": "text"}), CodeFieldValidation, "interactive"},
		{"no chat_id", base(map[string]any{"chat_id": nil}), CodeFieldValidation, "chat_id"},
		{"chat_id a number", base(map[string]any{"chat_id": 7}), CodeBadRequest, "chat_id"},
		{"bot not member", base(map[string]any{"chat_id": "oc_nobot"}), CodeBotNotInChat, "not in the chat"},
		{"unknown chat", base(map[string]any{"chat_id": "oc_missing"}), CodeBotNotInChat, ""},
		{"user not member", base(map[string]any{"open_id": carol}), CodeUserNotInChat, carol},
		{"open_id wins even when it names no member", base(map[string]any{"open_id": carol, "user_id": "u_alice"}), CodeUserNotInChat, carol},
		{"unknown email", base(map[string]any{"open_id": nil, "email": "nobody@example.com"}), CodeUserNotInChat, "nobody"},
		{"2.0 card with action", base(map[string]any{"card": withAction}), CodeCardInvalid, "200861"},
		{"duplicate component names", base(map[string]any{"card": duplicateNames}), CodeCardInvalid, "already used"},
		{"local i18n", base(map[string]any{"card": localI18n}), CodeCardInvalid, "i18n_content"},
		{"card over 30 KB", base(map[string]any{"card": simpleCard(strings.Repeat("x", 31*1024))}), CodeCardTooLarge, "30720"},
		{"not JSON", `{"chat_id":`, CodeBadRequest, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, false)
			r := e.post("/open-apis/ephemeral/v1/send", tc.body)
			wantCode(t, r, http.StatusBadRequest, tc.code)
			if !strings.Contains(r.Msg, tc.msgPart) {
				t.Errorf("msg %q does not mention %q", r.Msg, tc.msgPart)
			}
			if n := len(e.sim.Ephemerals()); n != 0 {
				t.Errorf("a refused send created %d cards", n)
			}
		})
	}
}

func TestEphemeralTemplateCard(t *testing.T) {
	e := newEnv(t, false)
	r := e.sendEphemeral("oc_group", alice, map[string]any{"type": "template", "data": map[string]any{
		"template_id": "AAqigYkzabcef", "template_version_name": "1.0.0", "template_variable": map[string]any{"title": "x"},
	}})
	wantCode(t, r, http.StatusOK, 0)
	r = e.sendEphemeral("oc_group", alice, map[string]any{"type": "template", "data": map[string]any{}})
	wantCode(t, r, http.StatusBadRequest, CodeCardInvalid)
}

func TestEphemeralDelete(t *testing.T) {
	e := newEnv(t, false)
	id := e.sendEphemeral("oc_group", alice, simpleCard("hi")).Data["message_id"]
	del := func(id any) response {
		return e.post("/open-apis/ephemeral/v1/delete", map[string]any{"message_id": id})
	}

	r := del(id)
	wantCode(t, r, http.StatusOK, 0)
	if r.Msg != "ok" {
		t.Fatalf("answer %v", r.Raw)
	}
	eph := e.sim.Ephemerals()[0]
	if !eph.Deleted || eph.DeletedAt.IsZero() {
		t.Fatalf("not marked deleted: %+v", eph)
	}
	wantCode(t, del(id), http.StatusBadRequest, CodeEphemeralDeleted)
	wantCode(t, del("om_unknown"), http.StatusBadRequest, CodeFieldValidation)
	wantCode(t, del(""), http.StatusBadRequest, CodeFieldValidation)

	// The bot must still be in the chat.
	id = e.sendEphemeral("oc_group", alice, simpleCard("again")).Data["message_id"]
	if err := e.sim.RemoveBot("oc_group"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, del(id), http.StatusBadRequest, CodeBotNotInChat)
}

func TestCallsAndSubscribe(t *testing.T) {
	e := newEnv(t, false)
	calls, cancel := e.sim.Subscribe()
	e.sendEphemeral("oc_group", alice, simpleCard("hi"))
	c := <-calls
	if c.Method != http.MethodPost || c.Path != "/open-apis/ephemeral/v1/send" || c.Status != 200 || c.Code != 0 {
		t.Fatalf("call %+v", c)
	}
	if !strings.Contains(string(c.Body), `"chat_id":"oc_group"`) || !strings.Contains(string(c.Response), "om_") {
		t.Fatalf("body %s response %s", c.Body, c.Response)
	}
	cancel()
	cancel() // idempotent
	if _, open := <-calls; open {
		t.Fatal("channel not closed by cancel")
	}
	all := e.sim.Calls()
	if len(all) != 2 || all[0].Path != tokenPath || all[1].Seq <= all[0].Seq {
		t.Fatalf("calls %+v", all)
	}
	e.sim.Reset()
	if len(e.sim.Calls()) != 0 || len(e.sim.Ephemerals()) != 0 {
		t.Fatal("Reset kept calls or cards")
	}
	wantCode(t, e.sendEphemeral("oc_group", alice, simpleCard("after reset")), http.StatusOK, 0)
}

// The simulator is shared by a load tool and a UI; run it under -race.
func TestConcurrentUse(t *testing.T) {
	e := newEnv(t, true)
	calls, cancel := e.sim.Subscribe()
	defer cancel()
	body := `{"chat_id":"oc_group","open_id":"` + alice + `","msg_type":"interactive","card":{"schema":"2.0","body":{"elements":[]}}}`
	var wg sync.WaitGroup
	statuses := make(chan int, 30)
	for range 30 {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/open-apis/ephemeral/v1/send", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+e.token)
			req.Header.Set("Content-Type", "application/json; charset=utf-8")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				statuses <- 0
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
			_ = e.sim.Ephemerals()
			_ = e.sim.Calls()
		})
	}
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s != http.StatusOK {
			t.Errorf("status %d", s)
		}
	}
	if n := len(e.sim.Ephemerals()); n != 30 {
		t.Fatalf("%d cards, want 30", n)
	}
	if n := len(calls); n != 30 {
		t.Fatalf("subscriber saw %d calls, want 30", n)
	}
}
