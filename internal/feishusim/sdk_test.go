package feishusim

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	lark "github.com/larksuite/oapi-sdk-go/v3"
	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"
)

// botd talks to the platform through oapi-sdk-go v3.11.0; the simulator must
// accept exactly what that client sends, token flow included.
func TestSDKClientAgainstSimulator(t *testing.T) {
	e := newEnv(t, true)
	// The SDK's token cache is one per process, by app id: a cache of the
	// test's own keeps a token from an earlier run (-count) out of it.
	client := lark.NewClient("cli_test", "secret", lark.WithOpenBaseUrl(e.srv.URL), lark.WithReqTimeout(5*time.Second),
		lark.WithTokenCache(&testTokenCache{m: map[string]string{}}))
	ctx := context.Background()

	raw, err := client.Post(ctx, "/open-apis/ephemeral/v1/send", map[string]any{
		"chat_id": "oc_group", "open_id": alice, "msg_type": "interactive", "card": simpleCard("hi"),
	}, larkcore.AccessTokenTypeTenant)
	if err != nil || raw.StatusCode != http.StatusOK {
		t.Fatalf("ephemeral send: %v %v", err, raw)
	}
	var sent struct {
		Code int
		Data struct {
			MessageID string `json:"message_id"`
		}
	}
	if err := json.Unmarshal(raw.RawBody, &sent); err != nil || sent.Code != 0 || sent.Data.MessageID == "" {
		t.Fatalf("ephemeral answer %s", raw.RawBody)
	}
	raw, err = client.Post(ctx, "/open-apis/ephemeral/v1/delete", map[string]any{"message_id": sent.Data.MessageID}, larkcore.AccessTokenTypeTenant)
	if err != nil || raw.StatusCode != http.StatusOK {
		t.Fatalf("ephemeral delete: %v %s", err, raw.RawBody)
	}

	card, _ := json.Marshal(simpleCard("Buy milk"))
	created, err := client.Im.Message.Create(ctx, larkim.NewCreateMessageReqBuilder().ReceiveIdType("chat_id").
		Body(larkim.NewCreateMessageReqBodyBuilder().ReceiveId("oc_group").MsgType("interactive").Content(string(card)).Uuid("todo-1").Build()).Build())
	if err != nil || !created.Success() || *created.Data.ChatId != "oc_group" {
		t.Fatalf("create: %v %+v", err, created)
	}
	card, _ = json.Marshal(simpleCard("Done"))
	patched, err := client.Im.Message.Patch(ctx, larkim.NewPatchMessageReqBuilder().MessageId(*created.Data.MessageId).
		Body(larkim.NewPatchMessageReqBodyBuilder().Content(string(card)).Build()).Build())
	if err != nil || !patched.Success() {
		t.Fatalf("patch: %v %+v", err, patched)
	}

	chat, err := client.Im.Chat.Get(ctx, larkim.NewGetChatReqBuilder().ChatId("oc_group").UserIdType("open_id").Build())
	if err != nil || !chat.Success() || *chat.Data.ChatMode != "group" || *chat.Data.OwnerId != alice {
		t.Fatalf("chat: %v %+v", err, chat)
	}

	// A refusal reaches the SDK as a code it can read, with the HTTP 400.
	refused, err := client.Im.Message.Create(ctx, larkim.NewCreateMessageReqBuilder().ReceiveIdType("chat_id").
		Body(larkim.NewCreateMessageReqBodyBuilder().ReceiveId("oc_nobot").MsgType("interactive").Content(string(card)).Build()).Build())
	if err != nil || refused.Code != CodeMsgBotNotInChat || refused.StatusCode != http.StatusBadRequest {
		t.Fatalf("refusal: %v %+v", err, refused)
	}
}

// testTokenCache is a larkcore.Cache in memory (expiry ignored: the test is
// short).
type testTokenCache struct {
	mu sync.Mutex
	m  map[string]string
}

func (c *testTokenCache) Set(_ context.Context, key, value string, _ time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[key] = value
	return nil
}

func (c *testTokenCache) Get(_ context.Context, key string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[key], nil
}
