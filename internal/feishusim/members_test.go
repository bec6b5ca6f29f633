package feishusim

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
)

// membersPage reads one page of a chat's member list.
func (e *env) membersPage(chatID, query string) response {
	e.t.Helper()
	return e.request(http.MethodGet, "/open-apis/im/v1/chats/"+chatID+"/members"+query, nil, nil)
}

// memberIDs lists the member_id of each item of a page.
func memberIDs(t *testing.T, r response) []string {
	t.Helper()
	items, _ := r.Data["items"].([]any)
	var ids []string
	for _, it := range items {
		m, _ := it.(map[string]any)
		id, _ := m["member_id"].(string)
		ids = append(ids, id)
	}
	return ids
}

// The member list pages through the chat's human members, in order, with
// has_more and a page_token until the last page; the bot is never listed.
func TestChatMembersPages(t *testing.T) {
	e := newEnv(t, false)
	var all []string
	for i := range 45 {
		all = append(all, fmt.Sprintf("ou_member%02d", i))
	}
	e.sim.AddChat(Chat{ID: "oc_big", Members: all, BotIsMember: true})

	var got []string
	query := "?member_id_type=open_id&page_size=20"
	for pages := 1; ; pages++ {
		r := e.membersPage("oc_big", query)
		wantCode(t, r, http.StatusOK, 0)
		got = append(got, memberIDs(t, r)...)
		if r.Data["member_total"] != float64(45) {
			t.Fatalf("member_total = %v", r.Data["member_total"])
		}
		if more, _ := r.Data["has_more"].(bool); !more {
			if _, has := r.Data["page_token"]; has {
				t.Error("last page carries a page_token")
			}
			if pages != 3 {
				t.Errorf("%d pages of 20 for 45 members, want 3", pages)
			}
			break
		}
		tok, _ := r.Data["page_token"].(string)
		if tok == "" || pages > 3 {
			t.Fatalf("page %d: has_more without a page_token, or too many pages: %v", pages, r.Raw)
		}
		query = "?page_size=20&page_token=" + tok
	}
	if !slices.Equal(got, all) {
		t.Errorf("walked %v\nwant %v", got, all)
	}

	// The defaults: open_id, 20 a page.
	r := e.membersPage("oc_group", "")
	wantCode(t, r, http.StatusOK, 0)
	if ids := memberIDs(t, r); !slices.Equal(ids, []string{alice, bob}) || r.Data["has_more"] != false {
		t.Errorf("oc_group members = %v (has_more %v)", ids, r.Data["has_more"])
	}
	items := r.Data["items"].([]any)
	if m := items[0].(map[string]any); m["member_id_type"] != "open_id" || m["name"] != "Alice" || m["tenant_key"] != "sim_tenant" {
		t.Errorf("item = %v", m)
	}
	r = e.membersPage("oc_group", "?member_id_type=user_id")
	if ids := memberIDs(t, r); !slices.Equal(ids, []string{"u_alice", "u_bob"}) {
		t.Errorf("user_ids = %v", ids)
	}
}

// The simulator refuses what the platform refuses: no token, malformed or
// unknown ids, parameters out of range, a chat the bot is not in, a page
// token from another chat.
func TestChatMembersRefused(t *testing.T) {
	e := newEnv(t, false)
	otherChatToken := memberPageToken("oc_group2", 1)
	for _, tc := range []struct {
		name, chat, query string
		code              int
	}{
		{"malformed chat id", "oc_bad%20id", "", CodeFieldValidation},
		{"not a chat id", "ou_alice", "", CodeFieldValidation},
		{"unknown chat", "oc_missing", "", CodeChatInvalid},
		{"bot not in the chat", "oc_nobot", "", CodeChatBotNotMember},
		{"page_size 0", "oc_group", "?page_size=0", CodeFieldValidation},
		{"page_size over 100", "oc_group", "?page_size=101", CodeFieldValidation},
		{"page_size not a number", "oc_group", "?page_size=ten", CodeFieldValidation},
		{"member_id_type unknown", "oc_group", "?member_id_type=email", CodeFieldValidation},
		{"page token garbage", "oc_group", "?page_token=%21%21", CodeFieldValidation},
		{"page token of another chat", "oc_group", "?page_token=" + otherChatToken, CodeFieldValidation},
		{"page token past the end", "oc_group", "?page_token=" + memberPageToken("oc_group", 3), CodeFieldValidation},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, e.membersPage(tc.chat, tc.query), http.StatusBadRequest, tc.code)
		})
	}
	t.Run("no token", func(t *testing.T) {
		e.token = ""
		defer e.refreshToken()
		// HTTP 400, as every Open API answers a missing token (code 99991661).
		wantCode(t, e.membersPage("oc_group", ""), http.StatusBadRequest, CodeTokenMissing)
		wantCode(t, e.request(http.MethodGet, "/open-apis/im/v1/chats/oc_group/members/is_in_chat", nil, nil),
			http.StatusBadRequest, CodeTokenMissing)
	})
}

// is_in_chat answers for the caller, the bot: it takes no member, so it
// cannot say whether someone else is in the chat.
func TestIsInChatAnswersForTheBot(t *testing.T) {
	e := newEnv(t, false)
	for chat, want := range map[string]bool{"oc_group": true, "oc_nobot": false} {
		r := e.request(http.MethodGet, "/open-apis/im/v1/chats/"+chat+"/members/is_in_chat", nil, nil)
		wantCode(t, r, http.StatusOK, 0)
		if r.Data["is_in_chat"] != want {
			t.Errorf("%s: is_in_chat = %v, want %v", chat, r.Data["is_in_chat"], want)
		}
	}
	wantCode(t, e.request(http.MethodGet, "/open-apis/im/v1/chats/oc_missing/members/is_in_chat", nil, nil),
		http.StatusBadRequest, CodeChatInvalid)
}

// The app tier of the member list: 50 in one second, then 429.
func TestChatMembersRateLimited(t *testing.T) {
	e := newEnv(t, true)
	for i := range 50 {
		if r := e.membersPage("oc_group", ""); r.Code != 0 {
			t.Fatalf("call %d refused: %+v", i, r)
		}
	}
	r := e.membersPage("oc_group", "")
	wantCode(t, r, http.StatusTooManyRequests, CodeRateLimited)
	if r.Header.Get("x-ogw-ratelimit-reset") == "" {
		t.Error("no x-ogw-ratelimit-reset header")
	}
}
