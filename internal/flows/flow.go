package flows

import (
	"context"
	"time"

	"github.com/botd/botd/internal/card"
)

// Flow is one chat command (/todo, /help), in a package of its own and
// listed in the registry (internal/flows/builtin). Its methods prefill,
// render and check; they do no I/O and change no state: the Engine stores,
// sends and moves the interaction along (see the package documentation).
// What a flow does beyond its form it declares through the optional
// interfaces below, whose hooks get the Host. A flow is a value with no
// engine of its own, so the registry can be read without one (the config
// check, the playground).
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
	// shown beside their fields. Its buttons carry FormButtonValue values.
	Form(it *Interaction, errs FieldErrors) *card.Card
}

// Catchall is the flow that answers commands no flow is registered for
// (/help's hint pointing to /help): HandleMessage starts it for them, and
// its Start sees the unknown command's name. At most one may be registered.
type Catchall interface {
	Flow
	Catchall()
}

// Exampler is a flow that shows how its command is typed: Example is what
// a demo types after "/"+Name() ("Buy milk tomorrow @Bob"); the playground
// offers it.
type Exampler interface {
	Flow
	Example() string
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

// UserZone is where a submitted date is read: the callback's zone, else
// offset (the UTC offset a date or time value carried), else the
// interaction's zone.
func (s Submission) UserZone(offset *time.Location) *time.Location {
	switch {
	case s.Zone != nil:
		return s.Zone
	case offset != nil:
		return offset
	case s.DefaultZone != nil:
		return s.DefaultZone
	}
	return time.UTC
}

// Actions a button can ask for in its callback value.
const (
	ActionSubmit = "submit"
	ActionCancel = "cancel"
)

// CancelButton is the button outside a form that cancels (or closes) it.
func CancelButton(it *Interaction, name string, label Msg) card.Button {
	return card.Button{
		Name:      name,
		Type:      card.ButtonDefault,
		Text:      card.Plain(label.In(it.Locale)),
		Behaviors: card.Callback(FormButtonValue(it, ActionCancel)),
	}
}

// AtMention is card markdown that shows (and, in a group card, notifies) a member.
func AtMention(openID string) string { return "<at id=" + openID + "></at>" }

// The optional interfaces below let a flow own what outlives its
// interaction: records in the group (a todo, a reminder), the buttons on
// their cards (Router, callback.go) and the jobs that fire or update them.
// Their hooks get the Host, through which a flow does all its I/O; Form,
// Final and Submit stay pure.

// Finisher is a Submitter that keeps a record of what it posts. The
// Engine's finish job calls BeforePost before posting the final card and
// AfterPost once its message id is known; both may run more than once for
// one interaction (the job is retried), so both must be idempotent.
type Finisher interface {
	Submitter
	BeforePost(ctx context.Context, h Host, it *Interaction) error
	AfterPost(ctx context.Context, h Host, it *Interaction, messageID string) error
}

// FormLoader is a flow whose ephemeral card shows stored data (/todo list):
// the send_form job calls LoadForm instead of Form.
type FormLoader interface {
	Flow
	LoadForm(ctx context.Context, h Host, it *Interaction) (*card.Card, error)
}

// JobRunner is a flow with jobs of its own: not steps of an interaction but
// work on its records (fire a reminder, update a card). Their kinds must be
// unique across flows.
type JobRunner interface {
	Flow
	Jobs() []JobSpec
}

// JobSpec is one kind of job, declared by the flow that runs it (and, for
// the steps of an interaction, by the Engine): the job queue reads every
// spec from the registry when it starts, so a kind's policy lives beside
// its code and a kind nobody declared cannot be enqueued.
//
// Run gets the id the job was enqueued with and follows the RunJob
// contract: it runs at least once, must be idempotent, and returns errors
// wrapping ErrNotFound when its record is gone. DuePrefix, when set,
// claims the due-set members that start with it: the scheduler enqueues
// this kind for each, with the member as the id.
type JobSpec struct {
	Kind JobKind
	// Priority is the queue the job waits in: PriorityInteractive for
	// work a member is watching, PriorityBulk for scheduled posts.
	Priority Priority
	// MaxRetry is how many times a failed run is retried (backing off from
	// 200 ms to 5 min) before the job is abandoned; at least 1. A job that
	// must not be retried returns a permanent error instead.
	MaxRetry  int
	DuePrefix string
	Run       func(ctx context.Context, h Host, id string) error
}
