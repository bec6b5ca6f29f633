package webhook

import (
	"context"
	"encoding/json"
	"strings"

	larkevent "github.com/larksuite/oapi-sdk-go/v3/event"
	"go.uber.org/zap"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/platformid"
)

// Event types botd handles.
const (
	eventMessageReceive = "im.message.receive_v1"
	eventCardAction     = "card.action.trigger"
)

// handleMessage hands a new message to the flows, once. It is claimed under
// both its event_id and its message_id: the platform can deliver one message
// again under a new event_id (§4.6). Messages botd does not act on (not
// from a person, not text, or not a command: see MessageFilter) are
// answered 200 without a claim, since nothing happens for them anyway.
func (h *Handler) handleMessage(c *call, env *envelope) (reply, error) {
	m, skip, err := decodeMessage(env)
	if err != nil {
		return reply{}, badRequest("malformed "+eventMessageReceive+" event", err)
	}
	c.with(logged("chat_id", m.ChatID), logged("message_id", m.MessageID), logged("open_id", m.SenderID))
	if skip != "" {
		c.log.Debug("message ignored", zap.String("why", skip), logged("message_type", m.MessageType))
		return reply{outcome: outcomeIgnored}, nil
	}
	if bad := malformedMessageID(m); bad != "" {
		// The ids become Redis keys, card content and API paths. A message
		// whose ids are not the platform's shape is bad input: 400, nothing
		// claimed or handed over.
		return reply{}, badRequest("malformed "+bad+" in "+eventMessageReceive, nil)
	}
	if h.filter != nil && !h.filter.Acts(m) {
		c.log.Debug("message ignored", zap.String("why", "the flows do not act on it"))
		return reply{outcome: outcomeIgnored}, nil
	}
	dup, err := h.once(c, []string{eventKey(m.EventID), messageKey(m.MessageID)}, func(ctx context.Context) error {
		return h.flows.HandleMessage(ctx, m)
	})
	switch {
	case err != nil:
		// Our fault, not the platform's: 503 makes it redeliver.
		return reply{}, unavailable("message not handled", err)
	case dup:
		return reply{outcome: outcomeDuplicate}, nil
	}
	return reply{outcome: outcomeOK}, nil
}

// messageEvent is the part of an im.message.receive_v1 event botd reads
// (§6). The SDK's larkim.P2MessageReceiveV1Data decodes the same fields,
// and a dozen more, each into a pointer of its own; this is decoded on
// every message a group sends, so it holds only what toMessage needs.
type messageEvent struct {
	Sender *struct {
		SenderID   *userIDs `json:"sender_id"`
		SenderType string   `json:"sender_type"`
		TenantKey  string   `json:"tenant_key"`
	} `json:"sender"`
	Message *struct {
		MessageID   string `json:"message_id"`
		ChatID      string `json:"chat_id"`
		ChatType    string `json:"chat_type"`
		MessageType string `json:"message_type"`
		Content     string `json:"content"`
		Mentions    []*struct {
			Key  string   `json:"key"`
			ID   *userIDs `json:"id"`
			Name string   `json:"name"`
		} `json:"mentions"`
	} `json:"message"`
}

type userIDs struct {
	OpenID string `json:"open_id"`
}

// decodeMessage reads the event of env into a flows.Message; see toMessage
// for skip. An error means the event is not JSON of the documented shape.
func decodeMessage(env *envelope) (m flows.Message, skip string, err error) {
	ev := &messageEvent{}
	if env.ev != nil {
		ev = &env.ev.messageEvent
	} else if err := json.Unmarshal(env.Event, ev); err != nil {
		return flows.Message{}, "", err
	}
	m, skip = toMessage(env.Header, ev)
	return m, skip, nil
}

// toMessage maps the event to a flows.Message. A non-empty skip says why the
// message is not for the flows: not sent by a person, not text, or empty
// (recalled messages can arrive with empty content, §4.6).
func toMessage(hd *larkevent.EventHeader, ev *messageEvent) (m flows.Message, skip string) {
	m = flows.Message{EventID: hd.EventID, TenantKey: hd.TenantKey}
	msg := ev.Message
	if msg == nil {
		return m, "no message"
	}
	m.MessageID = msg.MessageID
	m.ChatID = msg.ChatID
	m.ChatType = msg.ChatType
	m.MessageType = msg.MessageType
	if s := ev.Sender; s != nil {
		m.SenderType = s.SenderType
		if s.SenderID != nil {
			m.SenderID = s.SenderID.OpenID
		}
		if m.TenantKey == "" {
			m.TenantKey = s.TenantKey
		}
	}
	switch {
	case m.SenderType != "user":
		return m, "sender is not a user"
	case m.SenderID == "":
		return m, "no sender open_id"
	case m.MessageID == "":
		return m, "no message_id"
	}
	text, ok := messageText(m.MessageType, msg.Content)
	if !ok {
		return m, "not text, or empty or unparseable content"
	}
	m.Text = text
	for _, me := range msg.Mentions {
		if me == nil {
			continue
		}
		mention := flows.Mention{Key: me.Key, Name: me.Name}
		if me.ID != nil {
			mention.OpenID = me.ID.OpenID
		}
		m.Mentions = append(m.Mentions, mention)
	}
	return m, ""
}

// malformedMessageID names the first id of m that does not have its
// platform shape (platformid), or returns "". Mentions without an open_id
// (@all) are fine; a mention's open_id that is present must be one.
func malformedMessageID(m flows.Message) string {
	switch {
	case !platformid.IsOpenID(m.SenderID):
		return "sender open_id"
	case !platformid.IsMessageID(m.MessageID):
		return "message_id"
	case !platformid.IsChatID(m.ChatID):
		return "chat_id"
	}
	for _, me := range m.Mentions {
		if me.OpenID != "" && !platformid.IsOpenID(me.OpenID) {
			return "mention open_id"
		}
	}
	return ""
}

// messageText extracts the text of a text or post message, with mention
// placeholders (@_user_1) kept in place. ok is false for other types and for
// content that is empty or does not parse.
func messageText(messageType, content string) (text string, ok bool) {
	switch messageType {
	case "text":
		var c struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal([]byte(content), &c); err != nil {
			return "", false
		}
		text = c.Text
	case "post":
		text = postText(content)
	}
	return text, strings.TrimSpace(text) != ""
}

// post is rich-text content (§6.1). Its element shape is unconfirmed; only
// text, links and mentions are read, and anything else is skipped.
type post struct {
	Content [][]struct {
		Tag    string `json:"tag"`
		Text   string `json:"text"`
		UserID string `json:"user_id"`
	} `json:"content"`
}

// postText flattens a post into lines of text. It accepts the flat shape of
// received messages and, failing that, the per-locale shape used to send
// them ({"zh_cn": {...}}), taking the first locale with content.
func postText(content string) string {
	var p post
	if err := json.Unmarshal([]byte(content), &p); err != nil {
		return ""
	}
	if len(p.Content) == 0 {
		var byLocale map[string]post
		if err := json.Unmarshal([]byte(content), &byLocale); err != nil {
			return ""
		}
		for _, loc := range []string{"zh_cn", "en_us", "ja_jp"} {
			if lp, ok := byLocale[loc]; ok && len(lp.Content) > 0 {
				p = lp
				break
			}
		}
	}
	lines := make([]string, 0, len(p.Content))
	for _, line := range p.Content {
		var b strings.Builder
		for _, el := range line {
			switch el.Tag {
			case "text", "a":
				b.WriteString(el.Text)
			case "at":
				// Received posts carry the placeholder (@_user_1) that
				// mentions[] resolves, as text messages do.
				if strings.HasPrefix(el.UserID, "@_") {
					b.WriteString(el.UserID)
				}
			}
		}
		lines = append(lines, b.String())
	}
	return strings.Join(lines, "\n")
}
