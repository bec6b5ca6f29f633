package feishusim

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
)

// Chat is a chat in the simulated tenant.
type Chat struct {
	ID   string // "oc_..."
	Mode string // chat_mode: "group" (normal group, the default), "topic" or "p2p"
	Name string
	// OwnerID is the owner's open_id. Leave it empty, or set it to the bot's
	// open_id, for a bot-owned group: the platform then omits owner_id.
	OwnerID     string
	Managers    []string // open_ids of human group managers
	Members     []string // open_ids of the human members
	BotIsMember bool
	// GroupMessageType is "chat" (default for normal groups) or "thread".
	GroupMessageType string
}

// User is a person the simulator can resolve from a user_id or an email.
// Membership is by open_id only, so users need not be added for that.
type User struct {
	OpenID string
	UserID string
	Email  string
	Name   string
	Locale string // e.g. "zh_cn"; informational
}

// ErrUnknownChat is returned by the membership helpers for a chat never added.
var ErrUnknownChat = errors.New("feishusim: unknown chat")

// AddChat adds c, or replaces the chat with the same ID.
func (s *Server) AddChat(c Chat) {
	if c.Mode == "" {
		c.Mode = "group"
	}
	if c.Mode == "group" && c.GroupMessageType == "" {
		c.GroupMessageType = "chat"
	}
	c.Managers = slices.Clone(c.Managers)
	c.Members = slices.Clone(c.Members)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chats[c.ID] = &c
}

// AddUser adds u, or replaces the user with the same OpenID.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.OpenID] = &u
}

// Chat returns a copy of the chat with the given id.
func (s *Server) Chat(id string) (Chat, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.chats[id]
	if !ok {
		return Chat{}, false
	}
	cp := *c
	cp.Managers, cp.Members = slices.Clone(c.Managers), slices.Clone(c.Members)
	return cp, true
}

// P2PChat returns the one-to-one chat between openID and the bot, if there
// is one: added with AddChat (Mode "p2p", Members [openID]) or opened by a
// message the bot sent to the user's open_id.
func (s *Server) P2PChat(openID string) (Chat, bool) {
	s.mu.Lock()
	c := s.findP2PLocked(openID)
	s.mu.Unlock()
	if c == nil {
		return Chat{}, false
	}
	return s.Chat(c.ID)
}

func (s *Server) findP2PLocked(openID string) *Chat {
	for _, c := range s.chats {
		if c.Mode == "p2p" && slices.Contains(c.Members, openID) {
			return c
		}
	}
	return nil
}

// p2pChatLocked is the chat a message to openID goes to. The platform opens
// a one-to-one chat on the bot's first message, so one is made when none
// exists (every user is in the app's availability range here).
func (s *Server) p2pChatLocked(openID string) *Chat {
	if !strings.HasPrefix(openID, "ou_") {
		return nil
	}
	if c := s.findP2PLocked(openID); c != nil {
		return c
	}
	c := &Chat{ID: "oc_p2p_" + randHex(12), Mode: "p2p", Members: []string{openID}, BotIsMember: true}
	s.chats[c.ID] = c
	return c
}

// AddMember makes openID a member of the chat.
func (s *Server) AddMember(chatID, openID string) error {
	return s.editChat(chatID, func(c *Chat) {
		if !slices.Contains(c.Members, openID) {
			c.Members = append(c.Members, openID)
		}
	})
}

// RemoveMember takes openID out of the chat (and off its manager list).
func (s *Server) RemoveMember(chatID, openID string) error {
	return s.editChat(chatID, func(c *Chat) {
		c.Members = slices.DeleteFunc(c.Members, func(id string) bool { return id == openID })
		c.Managers = slices.DeleteFunc(c.Managers, func(id string) bool { return id == openID })
	})
}

// AddBot puts the bot into the chat.
func (s *Server) AddBot(chatID string) error {
	return s.editChat(chatID, func(c *Chat) { c.BotIsMember = true })
}

// RemoveBot takes the bot out of the chat.
func (s *Server) RemoveBot(chatID string) error {
	return s.editChat(chatID, func(c *Chat) { c.BotIsMember = false })
}

func (s *Server) editChat(chatID string, edit func(*Chat)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.chats[chatID]
	if !ok {
		return ErrUnknownChat
	}
	edit(c)
	return nil
}

// userByField finds a user by user_id or email; callers hold s.mu.
func (s *Server) userByField(field, value string) *User {
	for _, u := range s.users {
		if (field == "user_id" && u.UserID == value) || (field == "email" && u.Email == value) {
			return u
		}
	}
	return nil
}

// handleChatGet is GET /open-apis/im/v1/chats/{chat_id} (§11.1). Only
// user_id_type open_id (the default) and user_id are simulated.
func (s *Server) handleChatGet(r *http.Request, _ []byte) (any, *apiError) {
	idType := r.URL.Query().Get("user_id_type")
	if idType == "" {
		idType = "open_id"
	}
	if idType != "open_id" && idType != "user_id" {
		return nil, refuse(CodeFieldValidation, "field validation failed: user_id_type %q is not simulated (use open_id or user_id)", idType)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.chats[chi.URLParam(r, "chat_id")]
	if !ok {
		return nil, refuse(CodeChatInvalid, "invalid chat_id")
	}
	if !c.BotIsMember {
		return nil, refuse(CodeChatBotNotMember, "operator can NOT be out of the chat")
	}
	conv := func(openID string) string {
		if idType == "open_id" {
			return openID
		}
		if u := s.users[openID]; u != nil {
			return u.UserID
		}
		return ""
	}
	managers := []string{}
	for _, m := range c.Managers {
		if id := conv(m); id != "" {
			managers = append(managers, id)
		}
	}
	botCount := 0
	if c.BotIsMember {
		botCount = 1
	}
	data := map[string]any{
		"avatar":                   "",
		"name":                     c.Name,
		"description":              "",
		"i18n_names":               map[string]string{},
		"add_member_permission":    "all_members",
		"share_card_permission":    "allowed",
		"at_all_permission":        "all_members",
		"edit_permission":          "all_members",
		"moderation_permission":    "all_members",
		"join_message_visibility":  "all_members",
		"leave_message_visibility": "all_members",
		"membership_approval":      "no_approval_required",
		"chat_mode":                c.Mode,
		"chat_tag":                 "inner",
		"external":                 false,
		"tenant_key":               s.opts.TenantKey,
		"user_manager_id_list":     managers,
		"bot_manager_id_list":      []string{},
		"user_count":               strconv.Itoa(len(c.Members)),
		"bot_count":                strconv.Itoa(botCount),
		"chat_status":              "normal",
	}
	if c.Mode != "p2p" {
		data["chat_type"] = "private"
		// The platform omits the owner when a bot owns the group.
		if c.OwnerID != "" && c.OwnerID != s.opts.BotOpenID {
			data["owner_id_type"] = idType
			data["owner_id"] = conv(c.OwnerID)
		}
	}
	if c.Mode == "group" {
		data["group_message_type"] = c.GroupMessageType
	}
	return map[string]any{"code": 0, "msg": "success", "data": data}, nil
}

// handleBotInfo is GET /open-apis/bot/v3/info. Its payload sits under "bot",
// not "data".
func (s *Server) handleBotInfo(*http.Request, []byte) (any, *apiError) {
	return map[string]any{"code": 0, "msg": "ok", "bot": map[string]any{
		"activate_status": 2,
		"app_name":        s.opts.AppName,
		"avatar_url":      "",
		"ip_white_list":   []string{},
		"open_id":         s.opts.BotOpenID,
	}}, nil
}
