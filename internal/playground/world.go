package playground

import (
	"crypto/rand"
	"encoding/hex"

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

// World is the tenant the playground simulates: one group chat with the bot
// and three people in it.
type World struct {
	ChatID    string   `json:"chat_id"`
	ChatName  string   `json:"chat_name"`
	BotOpenID string   `json:"bot_open_id"`
	BotName   string   `json:"bot_name"`
	Members   []Member `json:"members"`
}

// DefaultWorld is the chat the playground seeds: "Playground", a normal
// group (chat_mode group, the only kind ephemeral cards work in) owned by
// its admin. Carol is in another time zone so that dates in her form
// submits carry another UTC offset.
func DefaultWorld() World {
	return World{
		ChatID:    "oc_playground",
		ChatName:  "Playground",
		BotOpenID: "ou_botd",
		BotName:   "botd",
		Members: []Member{
			{OpenID: "ou_alice", Name: "Alice", Role: "admin", Timezone: "Asia/Shanghai", Locale: "en_us"},
			{OpenID: "ou_bob", Name: "Bob", Role: "member", Timezone: "Asia/Shanghai", Locale: "en_us"},
			{OpenID: "ou_carol", Name: "Carol", Role: "member", Timezone: "Europe/Berlin", Locale: "en_us"},
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

// Seed adds the members and the chat to the simulator.
func (w World) Seed(sim *feishusim.Server) {
	ids := make([]string, 0, len(w.Members))
	owner := ""
	for _, m := range w.Members {
		sim.AddUser(feishusim.User{OpenID: m.OpenID, Name: m.Name, Locale: m.Locale})
		ids = append(ids, m.OpenID)
		if m.Role == "admin" && owner == "" {
			owner = m.OpenID
		}
	}
	sim.AddChat(feishusim.Chat{ID: w.ChatID, Mode: "group", Name: w.ChatName, OwnerID: owner,
		Members: ids, BotIsMember: true})
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
