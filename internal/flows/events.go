package flows

// Message is a text message that reached the bot (im.message.receive_v1),
// already verified, decrypted and de-duplicated by the webhook.
type Message struct {
	EventID     string
	TenantKey   string
	MessageID   string
	ChatID      string
	ChatType    string // "group" or "p2p"
	SenderID    string // sender open_id
	SenderType  string // "user" for people
	MessageType string // "text", "post", ...
	// Text is the message text as the platform sends it, with mention
	// placeholders (@_user_1) still in place.
	Text     string
	Mentions []Mention
}

// Mention is one @mention in a message: Key is its placeholder in Text.
type Mention struct {
	Key    string // "@_user_1"
	OpenID string
	Name   string
}

// Action is a card callback: a button click or a form submit, in either the
// card.action.trigger format or the older card request URL format.
type Action struct {
	EventID    string // empty for the legacy format
	TenantKey  string
	OperatorID string // open_id of the member who clicked
	MessageID  string // context.open_message_id: the card clicked
	ChatID     string // context.open_chat_id
	Token      string // c-... delayed-update credential
	Tag        string // component tag, e.g. "button"
	Name       string // component name; for a form submit the submit button's name
	Timezone   string // the user's IANA zone, when the platform sends it
	Value      map[string]any
	FormValue  map[string]any
	Legacy     bool // came in the card request URL format (JSON 1.0 replies only)
}

// Answer is the synchronous reply to a card callback.
type Answer struct {
	Toast *Toast
	// Card, when set, replaces the clicked card (a raw card JSON value).
	Card any
}

// Toast is the short notice the client shows after a click.
type Toast struct {
	Type    string            // info, success, error, warning
	Content string            // default text
	I18n    map[string]string // per-locale text: zh_cn, en_us, ...
}
