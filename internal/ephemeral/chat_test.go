package ephemeral

import (
	"context"
	"net/http"
	"reflect"
	"testing"
)

func TestChat(t *testing.T) {
	f := newFakeLark(t)
	f.handle("GET /open-apis/im/v1/chats/oc_1", answer(http.StatusOK, map[string]any{"code": 0, "msg": "success", "data": map[string]any{
		"chat_mode":            "group",
		"group_message_type":   "chat",
		"owner_id":             "ou_owner",
		"owner_id_type":        "open_id",
		"user_manager_id_list": []string{"ou_m1", "ou_m2"},
		"bot_manager_id_list":  []string{"cli_x"},
		"name":                 "Team",
		"chat_status":          "normal",
	}}))
	c, _ := newTestClient(t, f)

	got, err := c.Chat(context.Background(), "oc_1")
	if err != nil {
		t.Fatal(err)
	}
	want := &Chat{ID: "oc_1", Mode: "group", GroupMessageType: "chat", OwnerID: "ou_owner",
		ManagerIDs: []string{"ou_m1", "ou_m2"}, Name: "Team", Status: "normal"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Chat = %+v\nwant   %+v", got, want)
	}
	if !got.SupportsEphemeral() {
		t.Error("a normal group should support ephemeral cards")
	}
	if q := f.apiRequests()[0].Query; q != "user_id_type=open_id" {
		t.Errorf("query = %q", q)
	}
}

func TestChatTopicGroup(t *testing.T) {
	f := newFakeLark(t)
	f.handle("GET /open-apis/im/v1/chats/oc_t", answer(http.StatusOK, map[string]any{"code": 0, "data": map[string]any{"chat_mode": "topic"}}))
	c, _ := newTestClient(t, f)
	got, err := c.Chat(context.Background(), "oc_t")
	if err != nil {
		t.Fatal(err)
	}
	if got.SupportsEphemeral() || got.OwnerID != "" || got.ManagerIDs != nil {
		t.Errorf("Chat = %+v", got)
	}
}

func TestBotOpenIDIsCached(t *testing.T) {
	f := newFakeLark(t)
	f.handle("GET "+pathBotInfo, answer(http.StatusOK, map[string]any{"code": 0, "msg": "ok", "bot": map[string]any{
		"activate_status": 2, "app_name": "botd", "open_id": "ou_bot",
	}}))
	c, _ := newTestClient(t, f)
	for range 3 {
		id, err := c.BotOpenID(context.Background())
		if err != nil || id != "ou_bot" {
			t.Fatalf("BotOpenID = %q, %v", id, err)
		}
	}
	if n := len(f.apiRequests()); n != 1 {
		t.Errorf("%d bot info requests, want 1", n)
	}
}

func TestBotOpenIDUnderDataIsRejected(t *testing.T) {
	// bot/v3/info answers under "bot"; a "data" envelope means a wrong endpoint.
	f := newFakeLark(t)
	f.handle("GET "+pathBotInfo, answer(http.StatusOK, map[string]any{"code": 0, "data": map[string]any{"open_id": "ou_bot"}}))
	c, _ := newTestClient(t, f)
	if _, err := c.BotOpenID(context.Background()); err == nil {
		t.Error("BotOpenID succeeded without a bot object")
	}
}
