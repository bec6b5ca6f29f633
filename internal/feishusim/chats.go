package feishusim

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
)

// Chat is a chat in a simulated tenant.
type Chat struct {
	// Tenant is the tenant_key of the tenant the chat belongs to; empty
	// means the default tenant (Options.TenantKey). Chat ids are unique
	// within a tenant only.
	Tenant string
	ID     string // "oc_..."
	Mode   string // chat_mode: "group" (normal group, the default), "topic" or "p2p"
	Name   string
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
	Tenant string // the user's tenant_key; empty: the default tenant
	OpenID string
	UserID string
	Email  string
	Name   string
	Locale string // e.g. "zh_cn"; informational
}

// ErrUnknownChat is returned by the membership helpers for a chat never added.
var ErrUnknownChat = errors.New("feishusim: unknown chat")

// AddChat adds c to its tenant (c.Tenant, or the default one), or replaces
// the chat with the same ID there.
func (s *Server) AddChat(c Chat) { s.Tenant(c.Tenant).AddChat(c) }

// AddUser adds u to its tenant (u.Tenant, or the default one), or replaces
// the user with the same OpenID there.
func (s *Server) AddUser(u User) { s.Tenant(u.Tenant).AddUser(u) }

// Chat returns a copy of the default tenant's chat with the given id.
func (s *Server) Chat(id string) (Chat, bool) { return s.defaultTenant().Chat(id) }

// P2PChat is Tenant.P2PChat in the default tenant.
func (s *Server) P2PChat(openID string) (Chat, bool) { return s.defaultTenant().P2PChat(openID) }

// AddMember makes openID a member of the default tenant's chat.
func (s *Server) AddMember(chatID, openID string) error {
	return s.defaultTenant().AddMember(chatID, openID)
}

// RemoveMember takes openID out of the default tenant's chat (and off its
// manager list).
func (s *Server) RemoveMember(chatID, openID string) error {
	return s.defaultTenant().RemoveMember(chatID, openID)
}

// AddBot puts the bot into the default tenant's chat.
func (s *Server) AddBot(chatID string) error { return s.defaultTenant().AddBot(chatID) }

// RemoveBot takes the bot out of the default tenant's chat.
func (s *Server) RemoveBot(chatID string) error { return s.defaultTenant().RemoveBot(chatID) }

// AddChat adds c to the tenant (c.Tenant is set to it), or replaces the
// chat with the same ID there.
func (t *Tenant) AddChat(c Chat) {
	if c.Mode == "" {
		c.Mode = "group"
	}
	if c.Mode == "group" && c.GroupMessageType == "" {
		c.GroupMessageType = "chat"
	}
	c.Tenant = t.key
	c.Managers = slices.Clone(c.Managers)
	c.Members = slices.Clone(c.Members)
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	t.s.tenantLocked(t.key).chats[c.ID] = &c
}

// AddUser adds u to the tenant (u.Tenant is set to it), or replaces the
// user with the same OpenID there.
func (t *Tenant) AddUser(u User) {
	u.Tenant = t.key
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	t.s.tenantLocked(t.key).users[u.OpenID] = &u
}

// Chat returns a copy of the tenant's chat with the given id.
func (t *Tenant) Chat(id string) (Chat, bool) {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	c, ok := t.s.tenantLocked(t.key).chats[id]
	if !ok {
		return Chat{}, false
	}
	return copyChat(c), true
}

func copyChat(c *Chat) Chat {
	cp := *c
	cp.Managers, cp.Members = slices.Clone(c.Managers), slices.Clone(c.Members)
	return cp
}

// P2PChat returns the one-to-one chat between openID and the bot, if there
// is one: added with AddChat (Mode "p2p", Members [openID]) or opened by a
// message the bot sent to the user's open_id.
func (t *Tenant) P2PChat(openID string) (Chat, bool) {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	c := t.s.tenantLocked(t.key).findP2P(openID)
	if c == nil {
		return Chat{}, false
	}
	return copyChat(c), true
}

func (ts *tenantState) findP2P(openID string) *Chat {
	for _, c := range ts.chats {
		if c.Mode == "p2p" && slices.Contains(c.Members, openID) {
			return c
		}
	}
	return nil
}

// p2pChat is the chat a message to openID goes to. The platform opens a
// one-to-one chat on the bot's first message, so one is made when none
// exists (every user is in the app's availability range here). Callers
// hold s.mu.
func (ts *tenantState) p2pChat(openID string) *Chat {
	if !strings.HasPrefix(openID, "ou_") {
		return nil
	}
	if c := ts.findP2P(openID); c != nil {
		return c
	}
	c := &Chat{Tenant: ts.key, ID: "oc_p2p_" + randHex(12), Mode: "p2p", Members: []string{openID}, BotIsMember: true}
	ts.chats[c.ID] = c
	return c
}

// AddMember makes openID a member of the tenant's chat.
func (t *Tenant) AddMember(chatID, openID string) error {
	return t.editChat(chatID, func(c *Chat) {
		if !slices.Contains(c.Members, openID) {
			c.Members = append(c.Members, openID)
		}
	})
}

// RemoveMember takes openID out of the tenant's chat (and off its manager
// list).
func (t *Tenant) RemoveMember(chatID, openID string) error {
	return t.editChat(chatID, func(c *Chat) {
		c.Members = slices.DeleteFunc(c.Members, func(id string) bool { return id == openID })
		c.Managers = slices.DeleteFunc(c.Managers, func(id string) bool { return id == openID })
	})
}

// AddBot puts the bot into the tenant's chat.
func (t *Tenant) AddBot(chatID string) error {
	return t.editChat(chatID, func(c *Chat) { c.BotIsMember = true })
}

// RemoveBot takes the bot out of the tenant's chat.
func (t *Tenant) RemoveBot(chatID string) error {
	return t.editChat(chatID, func(c *Chat) { c.BotIsMember = false })
}

func (t *Tenant) editChat(chatID string, edit func(*Chat)) error {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	c, ok := t.s.tenantLocked(t.key).chats[chatID]
	if !ok {
		return ErrUnknownChat
	}
	edit(c)
	return nil
}

// userByField finds a user of the tenant by user_id or email; callers hold
// s.mu.
func (ts *tenantState) userByField(field, value string) *User {
	for _, u := range ts.users {
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
	ten := s.tenantLocked(s.reqTenant(r.Context()))
	c, ok := ten.chats[chi.URLParam(r, "chat_id")]
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
		if u := ten.users[openID]; u != nil {
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
		"tenant_key":               ten.key,
		"user_manager_id_list":     managers,
		"bot_manager_id_list":      []string{},
		"user_count":               strconv.Itoa(len(c.Members)),
		"bot_count":                strconv.Itoa(botCount),
		"chat_status":              "normal",
	}
	if c.Mode != "p2p" {
		data["chat_type"] = "private"
		// The platform omits the owner when a bot owns the group.
		if c.OwnerID != "" && c.OwnerID != ten.botOpenID {
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
func (s *Server) handleBotInfo(r *http.Request, _ []byte) (any, *apiError) {
	s.mu.Lock()
	botOpenID := s.tenantLocked(s.reqTenant(r.Context())).botOpenID
	s.mu.Unlock()
	return map[string]any{"code": 0, "msg": "ok", "bot": map[string]any{
		"activate_status": 2,
		"app_name":        s.opts.AppName,
		"avatar_url":      "",
		"ip_white_list":   []string{},
		"open_id":         botOpenID,
	}}, nil
}
