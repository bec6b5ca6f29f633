package feishusim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Ephemeral is an "only visible to you" card the bot sent.
type Ephemeral struct {
	Tenant    string // the tenant_key of the token it was sent with
	MessageID string
	ChatID    string
	OpenID    string // the viewer the request resolved to
	// ResolvedFrom names the request field that chose the viewer:
	// "open_id", "user_id" or "email" (first non-empty in that order).
	ResolvedFrom string
	Card         json.RawMessage
	Deleted      bool
	SentAt       time.Time
	DeletedAt    time.Time
}

// Ephemerals returns copies of every ephemeral card sent since New or Reset,
// in every tenant, deleted ones included, in sending order (Tenant.Ephemerals
// has one tenant's).
func (s *Server) Ephemerals() []Ephemeral {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Ephemeral, len(s.ephemerals))
	for i, e := range s.ephemerals {
		out[i] = copyEphemeral(e)
	}
	return out
}

type ephemeralSendRequest struct {
	ChatID  string          `json:"chat_id"`
	OpenID  string          `json:"open_id"`
	UserID  string          `json:"user_id"`
	Email   string          `json:"email"`
	MsgType string          `json:"msg_type"`
	Card    json.RawMessage `json:"card"`
}

// handleEphemeralSend is POST /open-apis/ephemeral/v1/send (seeds, §7.1).
func (s *Server) handleEphemeralSend(r *http.Request, body []byte) (any, *apiError) {
	tenant := s.reqTenant(r.Context())
	if err := s.gatewayLimit(appTier(tenant, "ephemeral/v1/send")...); err != nil {
		return nil, err
	}
	var req ephemeralSendRequest
	if err := decodeBody(body, &req); err != nil {
		return nil, err
	}
	if err := checkEphemeralRequest(&req); err != nil {
		return nil, err
	}
	if err := s.gatewayLimit(rule{key: "ephemeral chat " + tenant + " " + req.ChatID, limit: ephemeralPerChatPerS, per: time.Second}); err != nil {
		return nil, err
	}
	if len(req.Card) > maxCardBytes {
		return nil, refuse(CodeCardTooLarge, "card is %d bytes; at most %d", len(req.Card), maxCardBytes)
	}
	if problems := ValidateCard(req.Card, true); len(problems) > 0 {
		return nil, refuse(CodeCardInvalid, "invalid card: %s", joinProblems(problems))
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	ten := s.tenantLocked(tenant)
	chat := ten.chats[req.ChatID]
	if chat == nil || !chat.BotIsMember {
		return nil, refuse(CodeBotNotInChat, "bot is not in the chat %s", req.ChatID)
	}
	if chat.Mode != "group" {
		return nil, refuse(CodeFieldValidation,
			"chat_id: chat_mode is %q; ephemeral cards can only be sent to normal groups (chat_mode group), not topic groups or p2p chats", chat.Mode)
	}
	viewer, from, err := ten.resolveViewer(&req)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(chat.Members, viewer) {
		return nil, refuse(CodeUserNotInChat, "user %s (from %s) is not in the chat %s", viewer, from, req.ChatID)
	}
	e := &Ephemeral{
		Tenant:       tenant,
		MessageID:    newMessageID(),
		ChatID:       req.ChatID,
		OpenID:       viewer,
		ResolvedFrom: from,
		Card:         compact(req.Card),
		SentAt:       s.now(),
	}
	s.ephemerals = append(s.ephemerals, e)
	s.ephByID[e.MessageID] = e
	return map[string]any{"code": 0, "msg": "ok", "data": map[string]string{"message_id": e.MessageID}}, nil
}

func checkEphemeralRequest(req *ephemeralSendRequest) *apiError {
	switch {
	case req.ChatID == "":
		return missing("chat_id")
	case req.MsgType == "":
		return missing("msg_type")
	case req.MsgType != "interactive":
		return refuse(CodeFieldValidation, `field validation failed: msg_type must be "interactive", got %q`, req.MsgType)
	case req.OpenID == "" && req.UserID == "" && req.Email == "":
		return refuse(CodeFieldValidation, "field validation failed: one of open_id, user_id, email is required")
	}
	card := bytes.TrimSpace(req.Card)
	switch {
	case len(card) == 0 || string(card) == "null":
		return missing("card")
	case card[0] != '{':
		// The docs are explicit that card is an object, unlike im/v1 content.
		return badType("card")
	}
	return nil
}

// resolveViewer picks the viewer as the platform does: the first non-empty
// of open_id, user_id, email. A later field is never a fallback for an
// earlier one that names nobody. Callers hold s.mu.
func (ts *tenantState) resolveViewer(req *ephemeralSendRequest) (openID, from string, err *apiError) {
	switch {
	case req.OpenID != "":
		return req.OpenID, "open_id", nil
	case req.UserID != "":
		if u := ts.userByField("user_id", req.UserID); u != nil {
			return u.OpenID, "user_id", nil
		}
		return "", "", refuse(CodeUserNotInChat, "no user with user_id %q in the chat", req.UserID)
	default:
		if u := ts.userByField("email", req.Email); u != nil {
			return u.OpenID, "email", nil
		}
		return "", "", refuse(CodeUserNotInChat, "no user with email %q in the chat", req.Email)
	}
}

// handleEphemeralDelete is POST /open-apis/ephemeral/v1/delete (seed-delete).
func (s *Server) handleEphemeralDelete(r *http.Request, body []byte) (any, *apiError) {
	tenant := s.reqTenant(r.Context())
	if err := s.gatewayLimit(appTier(tenant, "ephemeral/v1/delete")...); err != nil {
		return nil, err
	}
	var req struct {
		MessageID string `json:"message_id"`
	}
	if err := decodeBody(body, &req); err != nil {
		return nil, err
	}
	if req.MessageID == "" {
		return nil, missing("message_id")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.ephByID[req.MessageID]
	if e == nil || e.Tenant != tenant { // another tenant's card is no card of this one's
		e = nil
	}
	if e == nil {
		return nil, refuse(CodeFieldValidation, "field validation failed: message_id %q is not an ephemeral card of this app", req.MessageID)
	}
	if e.Deleted {
		return nil, refuse(CodeEphemeralDeleted, "message has been deleted")
	}
	if chat := s.tenantLocked(tenant).chats[e.ChatID]; chat == nil || !chat.BotIsMember {
		return nil, refuse(CodeBotNotInChat, "bot is not in the chat %s", e.ChatID)
	}
	e.Deleted, e.DeletedAt = true, s.now()
	return map[string]any{"code": 0, "msg": "ok"}, nil
}

func joinProblems(ps []Problem) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.String()
	}
	return strings.Join(parts, "; ")
}

func compact(raw []byte) json.RawMessage {
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		return slices.Clone(raw)
	}
	return buf.Bytes()
}
