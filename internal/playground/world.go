package playground

import (
	"crypto/rand"
	"encoding/hex"
	"slices"

	"github.com/botd/botd/internal/feishusim"
)

// Member is a person in the playground's chat.
type Member struct {
	OpenID   string `json:"open_id"`
	Name     string `json:"name"`
	Role     string `json:"role"`     // "admin" (the chat's owner) or "member"
	Timezone string `json:"timezone"` // IANA zone their client reports in callbacks
	Locale   string `json:"locale"`   // their client's language, for toasts
}

// Chat is one chat of the playground's world, with the bot in it.
type Chat struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Mode is the chat's chat_mode: "group" (a normal group, the only kind
	// ephemeral cards work in), "topic" (a topic group: botd sends forms
	// to the member's one-to-one chat instead) or "p2p" (a member's
	// one-to-one chat with the bot).
	Mode    string   `json:"mode"`
	Owner   string   `json:"owner,omitempty"` // open_id of a group's owner
	Members []string `json:"members"`         // open_ids of the people in it
}

// ChatType is chat_type in the message events the platform delivers from
// this chat: "p2p" for a one-to-one chat, "group" for every group.
func (c Chat) ChatType() string {
	if c.Mode == "p2p" {
		return "p2p"
	}
	return "group"
}

// HasMember reports whether openID is in the chat.
func (c Chat) HasMember(openID string) bool { return slices.Contains(c.Members, openID) }

// World is the tenant the playground simulates: three people and the bot,
// in the chats of every kind the product meets.
type World struct {
	ChatID    string   `json:"chat_id"` // the first chat: where the page opens
	ChatName  string   `json:"chat_name"`
	BotOpenID string   `json:"bot_open_id"`
	BotName   string   `json:"bot_name"`
	Members   []Member `json:"members"`
	Chats     []Chat   `json:"chats"`
}

// DefaultWorld is what the playground seeds: "Playground", a normal group
// of all three owned by its admin (Alice); "Launch team", a second normal
// group of Alice and Bob, to share cards into and to see a chat someone is
// not in; "Topics", a topic group of all three, where forms arrive in the
// member's one-to-one chat; and each member's one-to-one chat with the
// bot. Carol is in another time zone so that dates in her form submits
// carry another UTC offset.
func DefaultWorld() World {
	const alice, bob, carol = "ou_alice", "ou_bob", "ou_carol"
	return World{
		ChatID:    "oc_playground",
		ChatName:  "Playground",
		BotOpenID: "ou_botd",
		BotName:   "botd",
		Members: []Member{
			{OpenID: alice, Name: "Alice", Role: "admin", Timezone: "Asia/Shanghai", Locale: "en_us"},
			{OpenID: bob, Name: "Bob", Role: "member", Timezone: "Asia/Shanghai", Locale: "en_us"},
			{OpenID: carol, Name: "Carol", Role: "member", Timezone: "Europe/Berlin", Locale: "en_us"},
		},
		Chats: []Chat{
			{ID: "oc_playground", Name: "Playground", Mode: "group", Owner: alice, Members: []string{alice, bob, carol}},
			{ID: "oc_launch", Name: "Launch team", Mode: "group", Owner: bob, Members: []string{alice, bob}},
			{ID: "oc_topics", Name: "Topics", Mode: "topic", Owner: alice, Members: []string{alice, bob, carol}},
			{ID: "oc_p2p_alice", Name: "botd", Mode: "p2p", Members: []string{alice}},
			{ID: "oc_p2p_bob", Name: "botd", Mode: "p2p", Members: []string{bob}},
			{ID: "oc_p2p_carol", Name: "botd", Mode: "p2p", Members: []string{carol}},
		},
	}
}

// Member returns the member with the given open_id.
func (w World) Member(openID string) (Member, bool) {
	for _, m := range w.Members {
		if m.OpenID == openID {
			return m, true
		}
	}
	return Member{}, false
}

// Chat returns the chat with the given id; "" is the first chat.
func (w World) Chat(id string) (Chat, bool) {
	if id == "" {
		id = w.ChatID
	}
	for _, c := range w.Chats {
		if c.ID == id {
			return c, true
		}
	}
	return Chat{}, false
}

// Seed adds the members and the chats to the simulator, the bot in each.
func (w World) Seed(sim *feishusim.Server) {
	for _, m := range w.Members {
		sim.AddUser(feishusim.User{OpenID: m.OpenID, Name: m.Name, Locale: m.Locale})
	}
	for _, c := range w.Chats {
		sim.AddChat(feishusim.Chat{ID: c.ID, Mode: c.Mode, Name: c.Name, OwnerID: c.Owner,
			Members: slices.Clone(c.Members), BotIsMember: true})
	}
}

// Credentials are the app's secrets, generated afresh for every run: both
// botd and the simulated platform get them, and nothing else ever needs them.
type Credentials struct {
	AppID             string
	AppSecret         string
	VerificationToken string
	EncryptKey        string
	TenantKey         string
}

// NewCredentials generates a set of credentials. The encrypt key is always
// set, so every event the playground sends is encrypted and signed as in
// production.
func NewCredentials() Credentials {
	return Credentials{
		AppID:             "cli_pg" + randomHex(8),
		AppSecret:         randomHex(16),
		VerificationToken: randomHex(16),
		EncryptKey:        randomHex(16),
		TenantKey:         "tenant_playground",
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}
