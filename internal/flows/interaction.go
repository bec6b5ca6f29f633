package flows

import (
	"context"
	"errors"
	"time"
)

// Status is where an interaction stands. The only transitions are
//
//	pending -> submitted -> done
//	pending -> cancelled
//	pending | submitted -> failed   (the platform refused for good; the member is told)
//
// and every transition is a compare-and-set on Interaction.Version, so a
// double-clicked Submit or a redelivered callback changes nothing the second time.
type Status string

const (
	StatusPending   Status = "pending"   // form sent (or being sent) to the user
	StatusSubmitted Status = "submitted" // user submitted valid values; final card being posted
	StatusDone      Status = "done"      // final card posted and ephemeral form deleted
	StatusCancelled Status = "cancelled" // user cancelled; form deleted, nothing posted
	StatusFailed    Status = "failed"    // a job gave up: the form could not be shown or the card not posted
)

// Interaction is one member's private exchange with the bot: from the command
// that opened an ephemeral form to the final group card (or a cancel).
// Its ID is carried in the callback value of every button on the form, so
// callbacks are routed by ID, never by message id.
type Interaction struct {
	ID        string `json:"id"`         // "itx_" + random
	Flow      string `json:"flow"`       // registered flow name, e.g. "todo"
	TenantKey string `json:"tenant_key"` // tenant the event came from
	ChatID    string `json:"chat_id"`    // group the command was typed in
	UserID    string `json:"user_id"`    // open_id of the member who owns the interaction
	Locale    string `json:"locale"`     // language the form is rendered in (zh_cn, en_us)
	Timezone  string `json:"timezone"`   // IANA zone used to read dates; from the callback when known
	Status    Status `json:"status"`

	// Form holds the field values: the prefill from the command first, then
	// what the user submitted. Keys are the form component names.
	Form map[string]string `json:"form"`
	// Mentions maps open_id to display name for people named in the command,
	// so cards can show names without another API call.
	Mentions map[string]string `json:"mentions,omitempty"`

	// FormIn is where the form is shown (FormEphemeral, FormInChat,
	// FormToUser), chosen from the kind of chat when the command arrives.
	FormIn string `json:"form_in,omitempty"`
	// EphemeralMessageID is the form card's message id: an ephemeral card
	// (deleted when the interaction ends) or, per FormIn, an ordinary
	// message (replaced by a short "Submitted"/"Cancelled" card).
	EphemeralMessageID string `json:"ephemeral_message_id,omitempty"`
	FinalMessageID     string `json:"final_message_id,omitempty"`  // group card, for later updates
	SourceEventID      string `json:"source_event_id,omitempty"`   // event that started it, for logs
	SourceMessageID    string `json:"source_message_id,omitempty"` // message that held the command

	// Version increases by one on every successful update; updates carry the
	// version they read and fail with ErrConflict when it has moved on.
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Errors a Store returns. Callers match them with errors.Is.
var (
	ErrNotFound = errors.New("interaction not found") // unknown or expired id
	ErrConflict = errors.New("interaction changed")   // version moved on: someone else updated it
	ErrExists   = errors.New("interaction exists")    // id already taken
)

// Store keeps interactions. Implementations must make UpdateInteraction a
// compare-and-set on Version.
type Store interface {
	// CreateInteraction saves a new interaction with Version 1.
	// It returns ErrExists when the ID is taken.
	CreateInteraction(ctx context.Context, it *Interaction) error
	// Interaction loads one interaction, or returns ErrNotFound.
	Interaction(ctx context.Context, id string) (*Interaction, error)
	// UpdateInteraction saves it if the stored version still equals it.Version,
	// and then increments it.Version. It returns ErrConflict otherwise and
	// ErrNotFound when the interaction expired.
	UpdateInteraction(ctx context.Context, it *Interaction) error
}

// CommandIndex is an optional part of a Store: the first interaction each
// command's message started. A process that dies after saving an
// interaction and before its webhook claim is kept lets the platform's
// redelivery of the event start a second one; send_form then shows the
// first one's form rather than a second (see sendForm).
type CommandIndex interface {
	// FirstInteraction returns the id, or "" when the message started none.
	FirstInteraction(ctx context.Context, messageID string) (string, error)
}

// Sender is the part of the Open API the flows use. Cards are any value that
// marshals to card JSON (see internal/card).
type Sender interface {
	// SendEphemeral shows card to openID only, inside the group chatID.
	SendEphemeral(ctx context.Context, chatID, openID string, card any) (messageID string, err error)
	// DeleteEphemeral removes an ephemeral card; an already deleted card is not an error.
	DeleteEphemeral(ctx context.Context, messageID string) error
	// PostCard posts card to the whole chat. uuid makes retries idempotent
	// (the platform keeps it for one hour).
	PostCard(ctx context.Context, chatID string, card any, uuid string) (messageID string, err error)
	// UpdateCard replaces a shared card the bot posted earlier.
	UpdateCard(ctx context.Context, messageID string, card any) error
	// SendToUser sends card to openID in their one-to-one chat with the
	// bot (receive_id_type=open_id), where a form goes when the chat it was
	// asked for cannot show ephemeral cards. uuid as for PostCard.
	SendToUser(ctx context.Context, openID string, card any, uuid string) (messageID string, err error)
}

// Jobs queues follow-up work so that webhook requests are answered at once.
// The queue calls Engine.RunJob with the same kind and interaction ID, at
// least once; every job is written to be safe to run again.
type Jobs interface {
	Enqueue(ctx context.Context, kind JobKind, interactionID string) error
	// EnqueueAfter queues kind for id to run once delay has passed, to the
	// second (the queue schedules in whole seconds: a delay under one
	// second may run at once). A job of the same kind and id still waiting
	// makes it a no-op, so changes within delay of each other run one job:
	// a flow coalesces a burst of clicks into one card update this way.
	EnqueueAfter(ctx context.Context, kind JobKind, id string, delay time.Duration) error
}

// JobKind names a step of an interaction that runs outside the request.
type JobKind string

const (
	JobSendForm JobKind = "send_form" // send the ephemeral form of a pending interaction
	JobFinish   JobKind = "finish"    // post the final card, then delete the form
	JobCancel   JobKind = "cancel"    // delete the form of a cancelled interaction
)

// Clock is the time source; tests replace it.
type Clock func() time.Time
