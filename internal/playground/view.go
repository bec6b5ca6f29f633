package playground

import (
	"encoding/json"
	"slices"
	"sync"
	"time"

	"github.com/botd/botd/internal/feishusim"
)

// Item is one entry in a member's view of the chat.
type Item struct {
	ID        string          `json:"id"`   // the message id; typed messages get "typed_N"
	Kind      string          `json:"kind"` // "text" or "card"
	From      string          `json:"from"` // open_id of the member who typed it, or the bot's
	Text      string          `json:"text,omitempty"`
	Card      json.RawMessage `json:"card,omitempty"`
	Ephemeral bool            `json:"ephemeral,omitempty"` // only this member sees it
	Replaced  bool            `json:"replaced,omitempty"`  // a callback answer replaced this member's copy
	Updates   int             `json:"updates,omitempty"`   // PATCHes of a group card
	Time      time.Time       `json:"time"`
}

// View is every chat as each of its members sees it at one moment.
type View struct {
	Now      time.Time `json:"now"`       // the simulated time
	OffsetMS int64     `json:"offset_ms"` // how far it has been fast-forwarded
	// Chats holds, by chat id then by member open_id, what each member of
	// the chat sees in it. A member not in a chat has no entry there.
	Chats map[string]map[string][]Item `json:"chats"`
	// Columns is the first chat's Chats entry, in GET /api/state only (not
	// in the event stream): the shape from before there were several chats,
	// which callers outside this package still read.
	Columns map[string][]Item `json:"columns,omitempty"`
}

// Column is what member sees in chat (nil when they are not in it).
func (v View) Column(chat, member string) []Item { return v.Chats[chat][member] }

// typed is a text message a member sent. The platform, not botd, shows
// these, so the playground keeps them itself.
type typed struct {
	id   string
	chat string
	from string
	text string
	at   time.Time
}

// override is a card that a callback answer put in place of one member's
// copy of a message (§9.3). It holds only until botd PATCHes the message.
type override struct {
	card        json.RawMessage
	baseUpdates int
}

type overrideKey struct{ member, messageID string }

// chatLog is the platform-side state the simulator does not record.
type chatLog struct {
	mu        sync.Mutex
	typed     []typed
	overrides map[overrideKey]override
}

// maxTyped bounds the typed messages kept; a playground session is short.
const maxTyped = 1000

func (l *chatLog) addTyped(t typed) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.typed = append(l.typed, t)
	if len(l.typed) > maxTyped {
		l.typed = slices.Delete(l.typed, 0, len(l.typed)-maxTyped)
	}
}

func (l *chatLog) setOverride(member, messageID string, o override) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.overrides == nil {
		l.overrides = map[overrideKey]override{}
	}
	l.overrides[overrideKey{member, messageID}] = o
}

// deriveView builds every member's view of every chat from the
// simulator's record of what botd did (ephemerals and messages) and the
// platform's own log. Messages in chats outside the world are left out.
//
// sender names the member who sent a message through their client
// (tt.sendMessageCard); other messages are the bot's.
func deriveView(world World, eph []feishusim.Ephemeral, msgs []feishusim.Message, sender func(string) (string, bool), log *chatLog, now time.Time, offset time.Duration) View {
	log.mu.Lock()
	typedMsgs := slices.Clone(log.typed)
	overrides := make(map[overrideKey]override, len(log.overrides))
	for k, v := range log.overrides {
		overrides[k] = v
	}
	log.mu.Unlock()

	v := View{Now: now, OffsetMS: offset.Milliseconds(), Chats: map[string]map[string][]Item{}}
	for _, c := range world.Chats {
		cols := map[string][]Item{}
		for _, m := range c.Members {
			cols[m] = chatColumn(world, c.ID, m, typedMsgs, eph, msgs, sender, overrides)
		}
		v.Chats[c.ID] = cols
	}
	return v
}

// chatColumn is what member sees in chat, oldest first.
func chatColumn(world World, chat, member string, typedMsgs []typed, eph []feishusim.Ephemeral, msgs []feishusim.Message,
	sender func(string) (string, bool), overrides map[overrideKey]override) []Item {
	items := []Item{}
	for _, t := range typedMsgs {
		if t.chat == chat {
			items = append(items, Item{ID: t.id, Kind: "text", From: t.from, Text: t.text, Time: t.at})
		}
	}
	for _, e := range eph {
		if e.ChatID != chat || e.OpenID != member || e.Deleted {
			continue
		}
		it := Item{ID: e.MessageID, Kind: "card", From: world.BotOpenID, Card: e.Card, Ephemeral: true, Time: e.SentAt}
		if o, ok := overrides[overrideKey{member, e.MessageID}]; ok {
			it.Card, it.Replaced = o.card, true
		}
		items = append(items, it)
	}
	for _, msg := range msgs {
		if msg.ChatID != chat || msg.Recalled {
			continue
		}
		it := messageItem(world, member, msg, overrides)
		if from, ok := sender(msg.MessageID); ok {
			it.From = from
		}
		items = append(items, it)
	}
	slices.SortStableFunc(items, func(a, b Item) int { return a.Time.Compare(b.Time) })
	return items
}

// messageItem is a group message as member sees it: its current content
// (the last of its History, so a PATCH shows in place), or the card a
// callback answer gave this member since the last PATCH.
func messageItem(world World, member string, msg feishusim.Message, overrides map[overrideKey]override) Item {
	it := Item{ID: msg.MessageID, From: world.BotOpenID, Updates: msg.Updates, Time: msg.CreatedAt}
	if msg.MsgType != "interactive" {
		var text struct {
			Text string `json:"text"`
		}
		_ = json.Unmarshal([]byte(msg.Content), &text) // the simulator accepted it as {"text": ...}
		it.Kind, it.Text = "text", text.Text
		return it
	}
	it.Kind, it.Card = "card", json.RawMessage(msg.Content)
	if o, ok := overrides[overrideKey{member, msg.MessageID}]; ok && o.baseUpdates == msg.Updates {
		it.Card, it.Replaced = o.card, true
	}
	return it
}

// findCard returns the card member currently sees as messageID in chat;
// ok is false when member cannot see it there.
func findCard(v View, chat, member, messageID string) (Item, bool) {
	for _, it := range v.Column(chat, member) {
		if it.ID == messageID && it.Kind == "card" {
			return it, true
		}
	}
	return Item{}, false
}
