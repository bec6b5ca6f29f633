package ratelimit

import (
	"strings"
	"time"
)

// API names an Open API that has its own app-tier counters (and its own
// pause after a 429).
type API string

// The APIs botd calls.
const (
	APIEphemeralSend   API = "ephemeral.send"
	APIEphemeralDelete API = "ephemeral.delete"
	APIMessageCreate   API = "im.message.create"
	APIMessagePatch    API = "im.message.patch"
	APIChatGet         API = "im.chat.get"         // GET chat: mode, owner, managers
	APIChatMembers     API = "im.chat.members.get" // GET chat members, one page
)

// rule is one quota a call counts against: at most limit admissions in any
// window, logged under key. App-tier rules shrink for bulk work.
type rule struct {
	name   string // for WaitError and logs, e.g. "app per second"
	key    string // the log (see keys.go); rules of one API's app tier share it
	limit  int
	window time.Duration // including the margin
	app    bool
}

// Call is what one Open API call counts against: its API's app tier and any
// per-chat, per-user or per-message quotas. Build it with the methods of
// Limits, one per kind of call.
type Call struct {
	api    API
	rules  []rule
	tenant string // set once the call's keys are in its tenant's space (Limiter.scope)
}

// API is the Open API the call goes to.
func (c Call) API() API { return c.api }

// String lists the rules, for logs and test failures.
func (c Call) String() string {
	var b strings.Builder
	b.WriteString(string(c.api))
	for i, r := range c.rules {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(r.name)
	}
	return b.String()
}

// EphemeralSend is ephemeral/v1/send into chatID.
func (l Limits) EphemeralSend(chatID string) Call {
	return l.call(APIEphemeralSend, l.perSecond("ephemeral per chat", chatEphemeralKey(chatID), l.EphemeralPerChat))
}

// EphemeralDelete is ephemeral/v1/delete, which has only the app tier.
func (l Limits) EphemeralDelete() Call {
	return l.call(APIEphemeralDelete)
}

// MessageToChat is im/v1/messages into chatID (PostCard).
func (l Limits) MessageToChat(chatID string) Call {
	return l.call(APIMessageCreate, l.perSecond("messages per chat", chatMessageKey(chatID), l.MessagesPerChat))
}

// MessageToUser is im/v1/messages to one user in p2p, by open_id.
func (l Limits) MessageToUser(openID string) Call {
	return l.call(APIMessageCreate, l.perSecond("messages per user", userMessageKey(openID), l.MessagesPerUser))
}

// MessageUpdate is PATCH im/v1/messages/:message_id (UpdateCard).
func (l Limits) MessageUpdate(messageID string) Call {
	return l.call(APIMessagePatch, l.perSecond("updates per message", messageUpdateKey(messageID), l.UpdatesPerMessage))
}

// ChatGet is GET /open-apis/im/v1/chats/:chat_id, which has only the app
// tier (50/s and 1000/min, like every im/v1 API).
func (l Limits) ChatGet() Call {
	return l.call(APIChatGet)
}

// ChatMembers is one page of GET /open-apis/im/v1/chats/:chat_id/members,
// which has only the app tier (documented: 1000/min, 50/s).
func (l Limits) ChatMembers() Call {
	return l.call(APIChatMembers)
}

// call adds api's app tier, one log counted over a second and over a minute,
// to the given rules.
func (l Limits) call(api API, rules ...rule) Call {
	key := appKey(api)
	rules = append(rules,
		rule{name: "app per second", key: key, limit: l.AppPerSecond, window: time.Second + l.Margin, app: true},
		rule{name: "app per minute", key: key, limit: l.AppPerMinute, window: time.Minute + l.Margin, app: true},
	)
	return Call{api: api, rules: rules}
}

func (l Limits) perSecond(name, key string, limit int) rule {
	return rule{name: name, key: key, limit: limit, window: time.Second + l.Margin}
}
