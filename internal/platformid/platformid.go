// Package platformid tells the Feishu/Lark ids botd handles from anything
// else. The platform documents its ids only by their prefix (open_id "ou_",
// chat_id "oc_", message_id "om_", union_id "on_", app_id "cli_"), so an id
// is opaque: any run of letters, digits, '_' and '-' after the right prefix
// is accepted. What is kept out is what could break out of card markdown, a
// Redis key or a log field: quotes, angle brackets, spaces, control
// characters, anything non-ASCII, and lengths no real id has.
package platformid

// MaxLen bounds an id. Real ids are 35 or so characters; a bound keeps a
// forged value from growing records, keys and log lines.
const MaxLen = 128

// The prefixes of the platform's id kinds.
const (
	OpenIDPrefix    = "ou_"
	ChatIDPrefix    = "oc_"
	MessageIDPrefix = "om_"
	UnionIDPrefix   = "on_"
	AppIDPrefix     = "cli_"
)

// IsOpenID reports whether s is a user's open_id ("ou_…").
func IsOpenID(s string) bool { return valid(s, OpenIDPrefix) }

// IsChatID reports whether s is a chat_id ("oc_…").
func IsChatID(s string) bool { return valid(s, ChatIDPrefix) }

// IsMessageID reports whether s is a message_id ("om_…"), ephemeral cards'
// included.
func IsMessageID(s string) bool { return valid(s, MessageIDPrefix) }

// IsUnionID reports whether s is a union_id ("on_…").
func IsUnionID(s string) bool { return valid(s, UnionIDPrefix) }

// IsAppID reports whether s is an app_id ("cli_…").
func IsAppID(s string) bool { return valid(s, AppIDPrefix) }

// valid reports whether s is prefix followed by one or more safe characters,
// MaxLen in all at most.
func valid(s, prefix string) bool {
	if len(s) <= len(prefix) || len(s) > MaxLen || s[:len(prefix)] != prefix {
		return false
	}
	for i := len(prefix); i < len(s); i++ {
		if !safe(s[i]) {
			return false
		}
	}
	return true
}

func safe(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-'
}
