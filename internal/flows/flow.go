package flows

import (
	"context"
	"time"

	"github.com/botd/botd/internal/card"
)

// Flow is one chat command (/todo, /help). A flow prefills, renders and
// checks; it does no I/O and changes no state: the Engine stores, sends and
// moves the interaction along (see the package documentation), so a new
// command is one file that implements Flow, and Submitter when its form can
// be submitted.
type Flow interface {
	// Name is the command without its slash, in lower case ("todo"). It is
	// also the Interaction.Flow of the interactions the flow starts.
	Name() string
	// Describe is the one-line description /help shows for the command.
	Describe(locale string) string
	// Start prefills it.Form from the command. now is the current time in the
	// interaction's zone (it.Timezone), for words such as "tomorrow".
	Start(it *Interaction, cmd Command, now time.Time)
	// Form renders the ephemeral card for it.Form, with errs (often none)
	// shown beside their fields. Its buttons carry callbackValue values.
	Form(it *Interaction, errs FieldErrors) *card.Card
}

// Submitter is a Flow whose form has a submit button.
type Submitter interface {
	Flow
	// Submit checks the values of a form submit. It returns them normalised,
	// to be stored when there are no errors and shown again when there are.
	Submit(it *Interaction, s Submission) (map[string]string, FieldErrors)
	// Final renders the card the whole group sees after a successful submit,
	// from it.Form as Submit returned it.
	Final(it *Interaction) *card.Card
	// Submitted is the toast after a successful submit ("Todo created").
	Submitted() Msg
}

// Submission is a form submit as a flow sees it.
type Submission struct {
	// Values is the callback's form_value: strings for inputs, dates and
	// person pickers, arrays for multi-selects; an unfilled field may be
	// missing or empty (the platform does not say which).
	Values map[string]any
	// Now is the time of the submit.
	Now time.Time
	// Zone is the user's time zone from the callback, nil when the callback
	// carried none (then the UTC offset in a date value is the best guess,
	// and DefaultZone the last resort).
	Zone *time.Location
	// DefaultZone is the interaction's zone (it.Timezone).
	DefaultZone *time.Location
}

// Actions a button can ask for in its callback value.
const (
	ActionSubmit = "submit"
	ActionCancel = "cancel"
)

// callbackValue is the callback value of a button of it's form: the flow,
// the action and the interaction id. Callbacks are routed by the id, never
// by message id (an ephemeral card's message id in callbacks is unconfirmed).
func callbackValue(it *Interaction, action string) map[string]any {
	return map[string]any{"flow": it.Flow, "action": action, "iid": it.ID}
}

// cancelButton is the button outside a form that cancels (or closes) it.
func cancelButton(it *Interaction, name string, label Msg) card.Button {
	return card.Button{
		Name:      name,
		Type:      card.ButtonDefault,
		Text:      card.Plain(label.In(it.Locale)),
		Behaviors: card.Callback(callbackValue(it, ActionCancel)),
	}
}

// mention is card markdown that shows (and, in a group card, notifies) a member.
func mention(openID string) string { return "<at id=" + openID + "></at>" }

// The optional interfaces below let a flow own what outlives its
// interaction: records in the group (a todo, a reminder), the buttons on
// their cards and the jobs that fire or update them. A flow that implements
// any of them holds the Engine it was registered with and does its own I/O
// through it; Form, Final and Submit stay pure.

// CardActor is a flow whose group cards have buttons. Their callback values
// carry no interaction id, so the Engine routes them by the value's "flow"
// to HandleCardAction, which answers as HandleAction does: a refused or late
// click gets a toast and a nil error; an error means the store or the queue
// failed.
type CardActor interface {
	Flow
	HandleCardAction(ctx context.Context, a Action) (Answer, error)
}

// Finisher is a Submitter that keeps a record of what it posts. The
// Engine's finish job calls BeforePost before posting the final card and
// AfterPost once its message id is known; both may run more than once for
// one interaction (the job is retried), so both must be idempotent.
type Finisher interface {
	Submitter
	BeforePost(ctx context.Context, it *Interaction) error
	AfterPost(ctx context.Context, it *Interaction, messageID string) error
}

// FormLoader is a flow whose ephemeral card shows stored data (/todo list):
// the send_form job calls LoadForm instead of Form.
type FormLoader interface {
	Flow
	LoadForm(ctx context.Context, it *Interaction) (*card.Card, error)
}

// JobRunner is a flow with jobs of its own: not steps of an interaction but
// work on its records (fire a reminder, update a card). Their kinds must be
// unique across flows.
type JobRunner interface {
	Flow
	Jobs() []JobSpec
}

// JobSpec is one kind of job a JobRunner runs. Run gets the id the job was
// enqueued with and follows the RunJob contract: it runs at least once,
// must be idempotent, and returns errors wrapping ErrNotFound when its
// record is gone. DuePrefix, when set, claims the due-set members that
// start with it: the scheduler enqueues this kind for each, with the member
// as the id.
type JobSpec struct {
	Kind      JobKind
	DuePrefix string
	Run       func(ctx context.Context, id string) error
}
