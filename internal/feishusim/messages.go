package feishusim

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
)

// Message is a normal (group-visible) message the bot posted.
type Message struct {
	Tenant      string // its tenant_key; empty in AddMessage: the default tenant
	MessageID   string
	ChatID      string
	MsgType     string // "interactive" or "text"
	Content     string // current content: the JSON string as sent
	UUID        string
	SenderAppID string // the posting app; PATCH refuses other apps' messages
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Updates     int      // successful PATCHes
	History     []string // every content it has had, oldest first; the last is Content
	Recalled    bool
}

type uuidEntry struct {
	messageID string
	at        time.Time
}

const (
	uuidWindow     = time.Hour           // a uuid makes a send idempotent for this long
	maxUUIDLen     = 50                  // characters
	maxTextBytes   = 150 * 1024          // text message content
	updateLifetime = 14 * 24 * time.Hour // cards can be PATCHed this long after sending
)

// ErrUnknownMessage is returned by RecallMessage for an id never posted.
var ErrUnknownMessage = errors.New("feishusim: unknown message")

// Messages returns copies of every message posted since New or Reset, in
// every tenant (Tenant.Messages has one tenant's).
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.messages))
	for i, m := range s.messages {
		out[i] = *m
		out[i].History = slices.Clone(m.History)
	}
	return out
}

// AddMessage stores m as if it had been posted, for tests that need a
// message the API would not create: another app's, or an old one. Empty
// MessageID, SenderAppID and CreatedAt default to a new id, this app and now.
func (s *Server) AddMessage(m Message) string {
	if m.MessageID == "" {
		m.MessageID = newMessageID()
	}
	if m.SenderAppID == "" {
		m.SenderAppID = s.opts.AppID
	}
	if m.Tenant == "" {
		m.Tenant = s.opts.TenantKey
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = s.now()
	}
	if m.UpdatedAt.IsZero() {
		m.UpdatedAt = m.CreatedAt
	}
	if len(m.History) == 0 {
		m.History = []string{m.Content}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = append(s.messages, &m)
	s.msgByID[m.MessageID] = &m
	return m.MessageID
}

// RecallMessage marks a message recalled, as a user or admin would.
func (s *Server) RecallMessage(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.msgByID[id]
	if m == nil {
		return ErrUnknownMessage
	}
	m.Recalled = true
	return nil
}

// handleMessageCreate is POST /open-apis/im/v1/messages (§10.1). Only
// receive_id_type chat_id and open_id (the user's one-to-one chat with the
// bot), and msg_type interactive or text, are simulated.
func (s *Server) handleMessageCreate(r *http.Request, body []byte) (any, *apiError) {
	tenant := s.reqTenant(r.Context())
	if err := s.gatewayLimit(appTier(tenant, "im/v1/messages")...); err != nil {
		return nil, err
	}
	idType := r.URL.Query().Get("receive_id_type")
	switch idType {
	case "":
		return nil, missing("receive_id_type")
	case "chat_id", "open_id":
	default:
		return nil, refuse(CodeFieldValidation, "field validation failed: receive_id_type %q is not simulated, only chat_id and open_id", idType)
	}
	var req struct {
		ReceiveID string `json:"receive_id"`
		MsgType   string `json:"msg_type"`
		Content   string `json:"content"` // a JSON string; an object is a type error
		UUID      string `json:"uuid"`
	}
	if err := decodeBody(body, &req); err != nil {
		return nil, err
	}
	switch {
	case req.ReceiveID == "":
		return nil, missing("receive_id")
	case req.MsgType == "":
		return nil, missing("msg_type")
	case req.Content == "":
		return nil, missing("content")
	case len([]rune(req.UUID)) > maxUUIDLen:
		return nil, refuse(CodeFieldValidation, "field validation failed: uuid is at most %d characters", maxUUIDLen)
	}
	if err := checkContent(req.MsgType, req.Content); err != nil {
		return nil, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	// uuids are per tenant: two tenants' sends never dedupe each other.
	uuidKey := tenant + "/" + req.UUID
	if e, ok := s.uuids[uuidKey]; ok && req.UUID != "" && now.Sub(e.at) < uuidWindow {
		// Same uuid within the hour: answer with the message already posted
		// and post nothing (the docs leave this answer unconfirmed).
		callFrom(r.Context()).duplicate = true
		return messageResponse(s.msgByID[e.messageID], s.opts), nil
	}
	ten := s.tenantLocked(tenant)
	chat := ten.chats[req.ReceiveID]
	if idType == "open_id" {
		chat = ten.p2pChat(req.ReceiveID)
	}
	if chat == nil {
		return nil, refuse(CodeMsgBadParam, "receive_id: no chat %s", req.ReceiveID)
	}
	if !chat.BotIsMember {
		return nil, refuse(CodeMsgBotNotInChat, "Bot/User can NOT be out of the chat.")
	}
	if err := s.messageLimit(rule{key: "messages chat " + tenant + " " + chat.ID, limit: messagesPerChatPerS, per: time.Second}); err != nil {
		return nil, err
	}
	m := &Message{
		Tenant:      tenant,
		MessageID:   newMessageID(),
		ChatID:      chat.ID,
		MsgType:     req.MsgType,
		Content:     req.Content,
		UUID:        req.UUID,
		SenderAppID: s.opts.AppID,
		CreatedAt:   now,
		UpdatedAt:   now,
		History:     []string{req.Content},
	}
	s.messages = append(s.messages, m)
	s.msgByID[m.MessageID] = m
	if req.UUID != "" {
		s.uuids[uuidKey] = uuidEntry{messageID: m.MessageID, at: now}
	}
	return messageResponse(m, s.opts), nil
}

// checkContent validates the content string of a message by its type.
func checkContent(msgType, content string) *apiError {
	switch msgType {
	case "text":
		if len(content) > maxTextBytes {
			return refuse(CodeMsgTooLong, "content is %d bytes; a text message holds at most %d", len(content), maxTextBytes)
		}
		var text struct {
			Text *string `json:"text"`
		}
		if json.Unmarshal([]byte(content), &text) != nil || text.Text == nil || *text.Text == "" {
			return refuse(CodeMsgBadParam, `content of a text message must be the JSON string of {"text":"..."}`)
		}
		return nil
	case "interactive":
		return checkCardContent(content)
	default:
		return refuse(CodeMsgBadParam, "msg_type %q is not simulated (interactive, text)", msgType)
	}
}

func checkCardContent(content string) *apiError {
	if len(content) > maxCardBytes {
		return refuse(CodeMsgTooLong, "card content is %d bytes; at most %d", len(content), maxCardBytes)
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal([]byte(content), &probe) != nil {
		return refuse(CodeMsgBadParam, "content must be the card JSON object serialised to a string")
	}
	if problems := ValidateCard(json.RawMessage(content), false); len(problems) > 0 {
		sub := 11310
		if problems[0].Code != 0 {
			sub = problems[0].Code
		}
		return refuse(CodeMsgCardInvalid, "Failed to create card content, ext=ErrCode: %d; ErrMsg: %s", sub, joinProblems(problems))
	}
	return nil
}

func messageResponse(m *Message, o Options) map[string]any {
	ms := func(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }
	return map[string]any{"code": 0, "msg": "success", "data": map[string]any{
		"message_id":       m.MessageID,
		"root_id":          "",
		"parent_id":        "",
		"thread_id":        "",
		"msg_type":         m.MsgType,
		"create_time":      ms(m.CreatedAt),
		"update_time":      ms(m.UpdatedAt),
		"deleted":          false,
		"updated":          m.Updates > 0,
		"chat_id":          m.ChatID,
		"sender":           map[string]string{"id": o.AppID, "id_type": "app_id", "sender_type": "app", "tenant_key": m.Tenant},
		"body":             map[string]string{"content": m.Content},
		"mentions":         []any{},
		"upper_message_id": "",
	}}
}

// handleMessagePatch is PATCH /open-apis/im/v1/messages/{message_id} (§10.2).
func (s *Server) handleMessagePatch(r *http.Request, body []byte) (any, *apiError) {
	id := chi.URLParam(r, "message_id")
	var req struct {
		Content string `json:"content"`
	}
	if err := decodeBody(body, &req); err != nil {
		return nil, err
	}
	if req.Content == "" {
		return nil, missing("content")
	}
	tenant := s.reqTenant(r.Context())
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.msgByID[id]
	if m != nil && m.Tenant != tenant {
		m = nil // another tenant's message is not found in this one
	}
	if err := s.checkPatchable(tenant, id, m); err != nil {
		return nil, err
	}
	if err := s.messageLimit(rule{key: "patch message " + id, limit: patchPerMessagePerSec, per: time.Second}); err != nil {
		return nil, err
	}
	if err := checkCardContent(req.Content); err != nil {
		return nil, err
	}
	if !sharedCard(m.Content) {
		return nil, refuse(CodeMsgCardInvalid, "the message was sent as an exclusive card; only cards sent with config.update_multi true can be updated")
	}
	if !sharedCard(req.Content) {
		return nil, refuse(CodeMsgCardInvalid, "the new card must declare config.update_multi true (shared card)")
	}
	m.Content = req.Content
	m.History = append(m.History, req.Content)
	m.Updates++
	m.UpdatedAt = s.now()
	return map[string]any{"code": 0, "msg": "ok", "data": map[string]any{}}, nil
}

// checkPatchable applies the rules about the message itself; callers hold s.mu.
func (s *Server) checkPatchable(tenant, id string, m *Message) *apiError {
	switch {
	case m == nil && s.ephByID[id] != nil && s.ephByID[id].Tenant == tenant:
		return refuse(CodeMsgBadParam, "message %s is an ephemeral card; PATCH is not documented for those (delete and send a new one)", id)
	case m == nil:
		return refuse(CodeMsgBadParam, "message %s not found", id)
	case m.SenderAppID != s.opts.AppID:
		return refuse(CodeMsgBadParam, "message %s was not sent by this app", id)
	case m.Recalled:
		return refuse(CodeMsgRecalled, "message %s has been recalled", id)
	case m.MsgType != "interactive":
		return refuse(CodeMsgBadParam, "only interactive (card) messages can be updated, %s is %s", id, m.MsgType)
	case s.now().Sub(m.CreatedAt) > updateLifetime:
		return refuse(CodeMsgBadParam, "message %s is older than 14 days and can no longer be updated", id)
	}
	return nil
}

// sharedCard reports whether a card is shared: JSON 2.0 always is, JSON 1.0
// only with config.update_multi true. Template cards cannot be inspected and
// are taken as shared.
func sharedCard(content string) bool {
	var card struct {
		Type   string `json:"type"`
		Schema string `json:"schema"`
		Config struct {
			UpdateMulti bool `json:"update_multi"`
		} `json:"config"`
	}
	if json.Unmarshal([]byte(content), &card) != nil {
		return false
	}
	return card.Type == "template" || card.Schema == "2.0" || card.Config.UpdateMulti
}
