package feishusim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"sync"

	"github.com/go-chi/chi/v5"

	"github.com/botd/botd/internal/platformid"
)

// The client's tt.sendMessageCard (docs/feishu-platform.md §13.3, the seed
// sendMessageCard): a web app asks the client to send a card into chats
// the user picked, as the user. The simulated client (the playground)
// calls ClientSendMessageCard; the card then appears among Messages like
// any other, and its buttons are clicked like any other card's
// (ButtonValue, Platform.ClickButton with the message's id).
//
// Choices where the seed is silent:
//   - The rules are checked in the order of the seed's table, the first
//     broken one answers: -1 no chats, -2 more than 10, -3 no cardContent,
//     -4 cardContent that is not {"msg_type":"interactive","card":{...}},
//     whose card is not valid JSON 1.0 (ValidateCard; a JSON 2.0 card is
//     refused too, since only 1.0 is documented for this API) or that is
//     over 20 KB compacted, -8 a chat id that is not an open_chat_id
//     ("oc_...").
//   - A chat the user is not a member of (or that does not exist) is not
//     sent to and is listed in failed; when any chat failed the errCode is
//     -5 ("send failed"), with sendCardInfo for the chats that did get the
//     card. The bot need not be in the chat: the user sends it.
//   - A chat named twice gets the card once.
//   - The message is the app's (SenderAppID, as the client sends it on the
//     app's behalf) and the user's (ClientSender). Whether botd may PATCH
//     it is unconfirmed (§10.2: "only messages sent by the same app"), so
//     by default the simulator refuses, with 230001 as for another app's
//     message; SetClientCardPatch(true) allows it.

// SendCard limits of the seed.
const (
	maxSendCardChats       = 10
	maxSendCardContentSize = 20 * 1024
)

// sendMessageCard errCodes (the seed's table).
const (
	SendCardNoChats      = -1
	SendCardTooManyChats = -2
	SendCardNoContent    = -3
	SendCardBadContent   = -4
	SendCardFailed       = -5
	SendCardCancelled    = -6
	SendCardBadChatID    = -8
)

// SentCard is one entry of sendCardInfo: the card as sent into one chat.
type SentCard struct {
	Status        int    `json:"status"` // 0: sent
	OpenChatID    string `json:"openChatId"`
	OpenMessageID string `json:"openMessageId"`
}

// clientCards remembers who sent the cards sent through the client. It has
// its own lock so that it never nests inside s.mu.
type clientCards struct {
	mu         sync.Mutex
	senders    map[string]string // message id -> open_id of the user who sent it
	allowPatch bool
}

func newClientCards() *clientCards { return &clientCards{senders: map[string]string{}} }

// ClientSendMessageCard is tt.sendMessageCard as senderOpenID's client runs
// it, with openChatIDs (the chats picked, or given) and cardContent as the
// page passed it. errCode is 0 when every chat got the card.
func (s *Server) ClientSendMessageCard(senderOpenID string, chatIDs []string, cardContent json.RawMessage) (sendCardInfo []SentCard, failed []string, errCode int) {
	return s.defaultTenant().ClientSendMessageCard(senderOpenID, chatIDs, cardContent)
}

// ClientSendMessageCard is Server.ClientSendMessageCard for a user of this
// tenant: the chats are the tenant's.
func (t *Tenant) ClientSendMessageCard(senderOpenID string, chatIDs []string, cardContent json.RawMessage) (sendCardInfo []SentCard, failed []string, errCode int) {
	s := t.s
	switch {
	case len(chatIDs) == 0:
		return nil, nil, SendCardNoChats
	case len(chatIDs) > maxSendCardChats:
		return nil, nil, SendCardTooManyChats
	}
	trimmed := bytes.TrimSpace(cardContent)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) || bytes.Equal(trimmed, []byte("{}")) {
		return nil, nil, SendCardNoContent
	}
	card, ok := sendCardContent(trimmed)
	if !ok {
		return nil, nil, SendCardBadContent
	}
	for _, id := range chatIDs {
		if !platformid.IsChatID(id) {
			return nil, nil, SendCardBadChatID
		}
	}

	s.mu.Lock()
	now := s.now()
	var sent []*Message
	for _, id := range chatIDs {
		if slices.ContainsFunc(sent, func(m *Message) bool { return m.ChatID == id }) || slices.Contains(failed, id) {
			continue
		}
		chat := s.tenantLocked(t.key).chats[id]
		if chat == nil || !slices.Contains(chat.Members, senderOpenID) {
			failed = append(failed, id)
			continue
		}
		m := &Message{
			Tenant: t.key, MessageID: newMessageID(), ChatID: id, MsgType: "interactive", Content: card,
			SenderAppID: s.opts.AppID, CreatedAt: now, UpdatedAt: now, History: []string{card},
		}
		s.messages = append(s.messages, m)
		s.msgByID[m.MessageID] = m
		sent = append(sent, m)
	}
	s.mu.Unlock()

	cc := s.client
	cc.mu.Lock()
	for _, m := range sent {
		cc.senders[m.MessageID] = senderOpenID
		sendCardInfo = append(sendCardInfo, SentCard{Status: 0, OpenChatID: m.ChatID, OpenMessageID: m.MessageID})
	}
	cc.mu.Unlock()
	if len(failed) > 0 {
		errCode = SendCardFailed
	}
	return sendCardInfo, failed, errCode
}

// sendCardContent checks cardContent and returns its card, compacted, as
// a message's content.
func sendCardContent(content []byte) (string, bool) {
	var compact bytes.Buffer
	if json.Compact(&compact, content) != nil || compact.Len() > maxSendCardContentSize {
		return "", false
	}
	var c struct {
		MsgType     *string         `json:"msg_type"`
		UpdateMulti json.RawMessage `json:"update_multi"`
		Card        json.RawMessage `json:"card"`
	}
	if json.Unmarshal(content, &c) != nil || c.MsgType == nil || *c.MsgType != "interactive" {
		return "", false
	}
	if len(c.UpdateMulti) > 0 {
		var b bool
		if json.Unmarshal(c.UpdateMulti, &b) != nil {
			return "", false
		}
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal(c.Card, &probe) != nil || probe == nil {
		return "", false
	}
	if _, v2 := probe["schema"]; v2 {
		return "", false
	}
	if _, tmpl := probe["type"]; tmpl {
		return "", false
	}
	if len(ValidateCard(c.Card, false)) > 0 {
		return "", false
	}
	var card bytes.Buffer
	if json.Compact(&card, c.Card) != nil {
		return "", false
	}
	return card.String(), true
}

// ClientSender returns the user who sent messageID through the client
// (ClientSendMessageCard); ok is false for a message the app sent itself.
func (s *Server) ClientSender(messageID string) (openID string, ok bool) {
	s.client.mu.Lock()
	defer s.client.mu.Unlock()
	openID, ok = s.client.senders[messageID]
	return openID, ok
}

// SetClientCardPatch says whether PATCH may update a card a user sent
// through the client: refused by default (see the package's choices).
func (s *Server) SetClientCardPatch(allowed bool) {
	s.client.mu.Lock()
	defer s.client.mu.Unlock()
	s.client.allowPatch = allowed
}

// guardClientCardPatch refuses a PATCH of a card a user sent through the
// client unless SetClientCardPatch allowed it.
func (s *Server) guardClientCardPatch(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "message_id")
		s.client.mu.Lock()
		_, userSent := s.client.senders[id]
		allowed := s.client.allowPatch
		s.client.mu.Unlock()
		if userSent && !allowed {
			s.writeError(w, r, refuse(CodeMsgBadParam, "message %s was sent by a user through the client (tt.sendMessageCard), not by this app", id))
			return
		}
		next.ServeHTTP(w, r)
	})
}
