package feishusim

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/botd/botd/internal/platformid"
)

// The member list (GET /open-apis/im/v1/chats/{chat_id}/members), as the
// docs describe it: the caller (the bot, with a tenant token) must be in
// the chat; bots are left out of the list; page_size is 1 to 100 (default
// 20); member_id_type is open_id (default), union_id or user_id. The app
// tier is 50/s and 1000/min.
const (
	memberPageDefault = 20
	memberPageMax     = 100
)

// handleChatMembers is GET /open-apis/im/v1/chats/{chat_id}/members.
// Only member_id_type open_id and user_id are simulated. Page tokens are
// opaque to the client and bound to the chat they were issued for.
func (s *Server) handleChatMembers(r *http.Request, _ []byte) (any, *apiError) {
	tenant := s.reqTenant(r.Context())
	if err := s.gatewayLimit(appTier(tenant, "im/v1/chats/members")...); err != nil {
		return nil, err
	}
	q := r.URL.Query()
	idType := q.Get("member_id_type")
	if idType == "" {
		idType = "open_id"
	}
	if idType != "open_id" && idType != "user_id" {
		return nil, refuse(CodeFieldValidation, "field validation failed: member_id_type %q is not simulated (use open_id or user_id)", idType)
	}
	size := memberPageDefault
	if v := q.Get("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > memberPageMax {
			return nil, refuse(CodeFieldValidation, "field validation failed: page_size %q: want 1 to %d", v, memberPageMax)
		}
		size = n
	}
	chatID := chi.URLParam(r, "chat_id")
	if !platformid.IsChatID(chatID) {
		return nil, refuse(CodeFieldValidation, "field validation failed: chat_id %q is not a chat id", chatID)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	ten := s.tenantLocked(tenant)
	c, ok := ten.chats[chatID]
	if !ok {
		return nil, refuse(CodeChatInvalid, "invalid chat_id")
	}
	if !c.BotIsMember {
		return nil, refuse(CodeChatBotNotMember, "operator can NOT be out of the chat")
	}
	from := 0
	if tok := q.Get("page_token"); tok != "" {
		n, ok := parseMemberPageToken(tok, chatID)
		if !ok || n > len(c.Members) {
			return nil, refuse(CodeFieldValidation, "field validation failed: invalid page_token")
		}
		from = n
	}
	to := min(from+size, len(c.Members))
	items := []map[string]any{}
	for _, openID := range c.Members[from:to] {
		id, name := openID, ""
		if u := ten.users[openID]; u != nil {
			name = u.Name
			if idType == "user_id" {
				id = u.UserID
			}
		} else if idType == "user_id" {
			id = ""
		}
		if id == "" {
			continue // no user_id known for this member: the field would be empty
		}
		items = append(items, map[string]any{
			"member_id_type": idType, "member_id": id, "name": name, "tenant_key": ten.key,
		})
	}
	data := map[string]any{"items": items, "has_more": to < len(c.Members), "member_total": len(c.Members)}
	if to < len(c.Members) {
		data["page_token"] = memberPageToken(chatID, to)
	}
	return map[string]any{"code": 0, "msg": "success", "data": data}, nil
}

// handleIsInChat is GET /open-apis/im/v1/chats/{chat_id}/members/is_in_chat.
// It answers for the caller: with a tenant token, whether the bot is in the
// chat. It takes no member to ask about (the platform's docs say the same),
// so it cannot tell whether someone else is a member.
func (s *Server) handleIsInChat(r *http.Request, _ []byte) (any, *apiError) {
	tenant := s.reqTenant(r.Context())
	if err := s.gatewayLimit(appTier(tenant, "im/v1/chats/members/is_in_chat")...); err != nil {
		return nil, err
	}
	chatID := chi.URLParam(r, "chat_id")
	if !platformid.IsChatID(chatID) {
		return nil, refuse(CodeFieldValidation, "field validation failed: chat_id %q is not a chat id", chatID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.tenantLocked(tenant).chats[chatID]
	if !ok {
		return nil, refuse(CodeChatInvalid, "invalid chat_id")
	}
	return map[string]any{"code": 0, "msg": "success", "data": map[string]any{"is_in_chat": c.BotIsMember}}, nil
}

// memberPageToken is the token of the page that starts at offset from.
func memberPageToken(chatID string, from int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(chatID + "|" + strconv.Itoa(from)))
}

func parseMemberPageToken(tok, chatID string) (int, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	chat, from, ok := strings.Cut(string(raw), "|")
	n, err := strconv.Atoi(from)
	if !ok || chat != chatID || err != nil || n < 0 {
		return 0, false
	}
	return n, true
}
