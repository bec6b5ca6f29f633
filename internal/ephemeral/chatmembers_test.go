package ephemeral

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"testing"

	"github.com/botd/botd/internal/feishusim"
)

// One page: open_ids of the members, has_more and the next token, asked
// for with member_id_type=open_id and the largest page.
func TestChatMembersPage(t *testing.T) {
	f := newFakeLark(t)
	f.handle("GET /open-apis/im/v1/chats/oc_1/members", answer(http.StatusOK, map[string]any{"code": 0, "msg": "success", "data": map[string]any{
		"items": []any{
			map[string]any{"member_id_type": "open_id", "member_id": "ou_a", "name": "A", "tenant_key": "t"},
			map[string]any{"member_id_type": "user_id", "member_id": "u_b"}, // not what was asked for: never an open_id
			map[string]any{"member_id_type": "open_id", "member_id": ""},
			map[string]any{"member_id_type": "open_id", "member_id": "ou_c"},
		},
		"has_more": true, "page_token": "next_tok", "member_total": 250,
	}}))
	c, _ := newTestClient(t, f)
	page, err := c.ChatMembers(context.Background(), "oc_1", "this_tok")
	if err != nil {
		t.Fatal(err)
	}
	if want := (&MemberPage{OpenIDs: []string{"ou_a", "ou_c"}, HasMore: true, PageToken: "next_tok"}); !reflect.DeepEqual(page, want) {
		t.Errorf("page = %+v, want %+v", page, want)
	}
	q, _ := url.ParseQuery(f.apiRequests()[0].Query)
	if q.Get("member_id_type") != "open_id" || q.Get("page_size") != "100" || q.Get("page_token") != "this_tok" {
		t.Errorf("query = %v", q)
	}
	if _, err := c.ChatMembers(context.Background(), " ", ""); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("empty chat id: %v", err)
	}
}

// has_more without a page_token would start the walk over, forever.
func TestChatMembersMoreWithoutToken(t *testing.T) {
	f := newFakeLark(t)
	f.handle("GET /open-apis/im/v1/chats/oc_1/members", answer(http.StatusOK, map[string]any{"code": 0, "data": map[string]any{
		"items": []any{}, "has_more": true,
	}}))
	c, _ := newTestClient(t, f)
	if _, err := c.ChatMembers(context.Background(), "oc_1", ""); err == nil {
		t.Fatal("accepted has_more without a page_token")
	}
}

// Against the simulator: the whole list by pages; a chat without the bot
// is a chat gone.
func TestSimChatMembers(t *testing.T) {
	env := newSim(t, feishusim.Options{})
	page, err := env.c.ChatMembers(context.Background(), simGroup, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{alice, bob}; !reflect.DeepEqual(page.OpenIDs, want) || page.HasMore {
		t.Errorf("members = %+v", page)
	}
	_, err = env.c.ChatMembers(context.Background(), simNoBot, "")
	if !IsChatGone(err) {
		t.Errorf("chat without the bot: %v, want a chat-gone error", err)
	}
}
