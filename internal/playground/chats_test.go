package playground

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const (
	launchChat = "oc_launch"
	topicChat  = "oc_topics"
)

// Every chat kind is in the world: a message in one chat is seen by that
// chat's members only, and a member cannot speak in a chat they are not in.
func TestChatsAreSeparate(t *testing.T) {
	_, srv := testPlayground(t)
	var d delivery
	if code := post(t, srv, "/api/send", sendRequest{Member: alice, Chat: launchChat, Text: "launch at noon"}, &d); code != http.StatusOK || d.Status != http.StatusOK {
		t.Fatalf("send in the second group: %d %+v", code, d)
	}
	v := waitView(t, srv, "the message in Launch team", func(v View) bool { return len(v.Column(launchChat, bob)) == 1 })
	if _, in := v.Chats[launchChat][carol]; in {
		t.Error("Carol, not in Launch team, has a column there")
	}
	for _, m := range []string{alice, bob, carol} {
		if n := len(v.Column(mainChat, m)); n != 0 {
			t.Errorf("%s sees %d items in Playground for a message in Launch team", m, n)
		}
	}
	if code := post(t, srv, "/api/send", sendRequest{Member: carol, Chat: launchChat, Text: "hi"}, nil); code != http.StatusBadRequest {
		t.Errorf("Carol speaking in a chat she is not in: %d, want 400", code)
	}
	if code := post(t, srv, "/api/send", sendRequest{Member: alice, Chat: "oc_nowhere", Text: "hi"}, nil); code != http.StatusBadRequest {
		t.Errorf("an unknown chat: %d, want 400", code)
	}
	var w worldView
	get(t, srv, "/api/world", &w)
	modes := map[string]int{}
	for _, c := range w.Chats {
		modes[c.Mode]++
	}
	if modes["group"] != 2 || modes["topic"] != 1 || modes["p2p"] != 3 || !w.WebApp {
		t.Errorf("world chats by mode %v, web app %v", modes, w.WebApp)
	}
}

// In the topic group a command's form is not ephemeral: botd sends it to
// the member's one-to-one chat with the bot, which the view shows there.
func TestTopicGroupFormArrivesInTheDirectChat(t *testing.T) {
	_, srv := testPlayground(t)
	send := func(text string) {
		var d delivery
		if code := post(t, srv, "/api/send", sendRequest{Member: bob, Chat: topicChat, Text: text}, &d); code != http.StatusOK || d.Status != http.StatusOK {
			t.Fatalf("send in the topic group: %d %+v", code, d)
		}
	}
	send("/todo Ship it")
	v := waitView(t, srv, "the form in Bob's direct chat", func(v View) bool { return len(v.Column("oc_p2p_bob", bob)) == 1 })
	form := v.Column("oc_p2p_bob", bob)[0]
	if form.Kind != "card" || form.Ephemeral || !strings.Contains(string(form.Card), "Ship it") {
		t.Errorf("Bob's direct chat shows %+v", form)
	}
	for _, m := range []string{alice, bob, carol} {
		items := v.Column(topicChat, m)
		if len(items) != 1 || items[0].Kind != "text" {
			t.Errorf("%s sees %+v in the topic group, want Bob's message only", m, items)
		}
	}
	if n := len(v.Column("oc_p2p_alice", alice)); n != 0 {
		t.Errorf("Alice's direct chat has %d items", n)
	}
}

const sharedCard = `{"msg_type":"interactive","update_multi":true,"card":{"config":{"update_multi":true},` +
	`"header":{"title":{"tag":"plain_text","content":"Shared todo"}},"elements":[{"tag":"div","text":{"tag":"plain_text","content":"Buy milk"}}]}}`

func sendCardAs(t *testing.T, srv *httptest.Server, req sendCardRequest) clientResult {
	t.Helper()
	var r clientResult
	if code := post(t, srv, "/api/client/send-card", req, &r); code != http.StatusOK {
		t.Fatalf("send-card: %d %+v", code, r)
	}
	return r
}

// tt.sendMessageCard through the simulated client: the card appears in the
// chosen chats, sent by the member; a forced answer is used once; the
// seed's failures come back with the chats named.
func TestShareThroughTheSimulatedClient(t *testing.T) {
	_, srv := testPlayground(t)
	card := json.RawMessage(sharedCard)

	r := sendCardAs(t, srv, sendCardRequest{Member: alice, ChatIDs: []string{mainChat, launchChat}, CardContent: card})
	info, _ := r.Res["sendCardInfo"].([]any)
	if !r.OK || len(info) != 2 {
		t.Fatalf("share to two chats: %+v", r)
	}
	v := waitView(t, srv, "the shared card in both chats", func(v View) bool {
		return len(v.Column(mainChat, carol)) == 1 && len(v.Column(launchChat, bob)) == 1
	})
	for _, it := range []Item{v.Column(mainChat, carol)[0], v.Column(launchChat, bob)[0]} {
		if it.Kind != "card" || it.From != alice || !strings.Contains(string(it.Card), "Shared todo") {
			t.Errorf("shared card shows as %+v", it)
		}
	}

	// Carol is not in Launch team: the client sends to the chat she is in
	// and names the other as failed.
	r = sendCardAs(t, srv, sendCardRequest{Member: carol, ChatIDs: []string{mainChat, launchChat}, CardContent: card})
	if r.OK || r.Res["errCode"] != float64(-5) || !strings.Contains(strings.Join(anyStrings(r.Res["failedOpenChatIDs"]), ","), launchChat) {
		t.Errorf("a chat Carol is not in: %+v", r)
	}

	// A forced answer wins once, then the client sends again.
	var st clientSettings
	if code := post(t, srv, "/api/client/settings", settingsRequest{Member: bob, clientSettings: clientSettings{Language: "en_US", NextAnswer: -8}}, &st); code != http.StatusOK {
		t.Fatalf("settings: %d", code)
	}
	r = sendCardAs(t, srv, sendCardRequest{Member: bob, ChatIDs: []string{mainChat}, CardContent: card})
	if r.OK || r.Res["errCode"] != float64(-8) || len(anyStrings(r.Res["failedOpenChatIDs"])) != 1 {
		t.Errorf("forced -8: %+v", r)
	}
	if r = sendCardAs(t, srv, sendCardRequest{Member: bob, ChatIDs: []string{mainChat}, CardContent: card}); !r.OK {
		t.Errorf("after the forced answer was used: %+v", r)
	}
	post(t, srv, "/api/client/settings", settingsRequest{Member: bob, clientSettings: clientSettings{Language: "en_US", NextAnswer: 42406}}, nil)
	r = sendCardAs(t, srv, sendCardRequest{Member: bob, ChatIDs: []string{launchChat}, CardContent: card})
	if r.OK || r.Res["errCode"] != float64(42406) || len(r.Res["sendCardInfo"].([]any)) != 1 {
		t.Errorf("forced 42406 (the card is sent, the note is not): %+v", r)
	}

	// The seed's own checks, from the simulator.
	for name, tc := range map[string]struct {
		req  sendCardRequest
		want float64
	}{
		"no chats":    {sendCardRequest{Member: alice, CardContent: card}, -1},
		"empty card":  {sendCardRequest{Member: alice, ChatIDs: []string{mainChat}, CardContent: json.RawMessage(`{}`)}, -3},
		"not a card":  {sendCardRequest{Member: alice, ChatIDs: []string{mainChat}, CardContent: json.RawMessage(`{"msg_type":"text"}`)}, -4},
		"an open_id":  {sendCardRequest{Member: alice, ChatIDs: []string{bob}, CardContent: card}, -8},
		"11 chats":    {sendCardRequest{Member: alice, ChatIDs: strings.Fields(strings.Repeat(mainChat+" ", 11)), CardContent: card}, -2},
		"bad trigger": {sendCardRequest{Member: alice, TriggerCode: "tc_nope", CardContent: card}, -10},
	} {
		if r := sendCardAs(t, srv, tc.req); r.OK || r.Res["errCode"] != tc.want {
			t.Errorf("%s: %+v, want errCode %v", name, r, tc.want)
		}
	}

	// From a chat's "+" menu the triggerCode names the chat; it is the
	// opener's only.
	var trig map[string]string
	if code := post(t, srv, "/api/client/trigger", triggerRequest{Member: bob, Chat: launchChat}, &trig); code != http.StatusOK ||
		!strings.HasPrefix(trig["url"], "/as/"+bob+"/app/?triggerCode=") {
		t.Fatalf("trigger: %d %v", code, trig)
	}
	if r := sendCardAs(t, srv, sendCardRequest{Member: alice, TriggerCode: trig["trigger_code"], CardContent: card}); r.OK {
		t.Errorf("Alice used Bob's triggerCode: %+v", r)
	}
	r = sendCardAs(t, srv, sendCardRequest{Member: bob, TriggerCode: trig["trigger_code"], CardContent: card})
	if info, _ := r.Res["sendCardInfo"].([]any); !r.OK || len(info) != 1 || info[0].(map[string]any)["openChatId"] != launchChat {
		t.Errorf("share from Launch team's + menu: %+v", r)
	}
	if code := post(t, srv, "/api/client/trigger", triggerRequest{Member: carol, Chat: launchChat}, nil); code != http.StatusBadRequest {
		t.Errorf("Carol opening from a chat she is not in: %d", code)
	}
}

func anyStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}
