package flows

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"
)

// Host is everything a flow may reach beyond its own code: the Engine
// hands it to each of a flow's hooks that does I/O (Route.Handle,
// JobSpec.Run, Finisher, FormLoader). A flow keeps no engine of its own, so
// its Form, Submit and Final stay pure and a flow's tests can back Host
// with fakes.
//
// Every method is safe for concurrent use.
type Host interface {
	// Sender posts, updates, sends and deletes cards, paced to the
	// platform's quotas.
	Sender
	// DueSet schedules what comes due: the scheduler enqueues the job
	// whose JobSpec.DuePrefix the member starts with.
	DueSet

	// Enqueue queues one of the flow's jobs (JobSpec.Kind) for id. A job
	// of the same kind and id still queued makes it a no-op.
	Enqueue(ctx context.Context, kind JobKind, id string) error
	// EnqueueAfter queues it to run once delay has passed, to the second;
	// a job of the same kind and id still waiting makes it a no-op. With
	// an id per second (a record's id and the second) and a delay of a
	// second, a burst of clicks on one card becomes one update a second,
	// within the platform's five a second per message, showing the latest
	// state.
	EnqueueAfter(ctx context.Context, kind JobKind, id string, delay time.Duration) error

	// Now is botd's clock.
	Now() time.Time
	// Zone is the IANA zone name (a member's, a record's), or the default
	// zone when name is empty or unknown.
	Zone(name string) *time.Location
	// DefaultLocale is the language of texts for nobody in particular
	// (a refusal before a record names its language).
	DefaultLocale() string
	// Logger is the engine's logger; add the flow's ids (record_id,
	// chat_id) to what it logs.
	Logger() *zap.Logger

	// IsAdmin reports whether openID is an admin of chatID: a configured
	// admin, or the chat's owner or a manager.
	IsAdmin(ctx context.Context, chatID, openID string) bool
	// RefuseNonMember is the check in front of every button on a group
	// card: nil when openID is a member of chatID (the record's chat, never
	// the one a callback names), else the answer to refuse the click with.
	// soleMember is the record's creator, the one human of a one-to-one
	// chat with the bot. It fails closed. log carries the record's ids.
	RefuseNonMember(ctx context.Context, chatID, openID, soleMember, locale string, log *zap.Logger) *Answer
	// ChatMembers lists the open_ids of chatID's members, from the
	// platform's member list; ErrNoMemberList when botd cannot list them.
	ChatMembers(ctx context.Context, chatID string) ([]string, error)

	// Records keeps the flow's records (see Records, the typed view).
	Records() RecordStore
	// Interaction loads an interaction (ErrNotFound when gone): a flow
	// whose card names its interaction (the /todo list) reads it back.
	Interaction(ctx context.Context, id string) (*Interaction, error)
	// ObserveLateness records how late a scheduled post went out (posted
	// minus due), by kind ("reminder", "todo_due").
	ObserveLateness(kind string, late time.Duration)
}

// ErrNoMemberList is returned by Host.ChatMembers when the member source
// botd was built with cannot list a chat's members.
var ErrNoMemberList = errors.New("chat member list not available")

// MemberLister is a MemberSource that can also list a chat's members
// (Host.ChatMembers).
type MemberLister interface {
	ChatMembers(ctx context.Context, chatID string) ([]string, error)
}

var _ Host = (*Engine)(nil)

// Enqueue implements Host.
func (e *Engine) Enqueue(ctx context.Context, kind JobKind, id string) error {
	return e.deps.Jobs.Enqueue(ctx, kind, id)
}

// EnqueueAfter implements Host.
func (e *Engine) EnqueueAfter(ctx context.Context, kind JobKind, id string, delay time.Duration) error {
	return e.deps.Jobs.EnqueueAfter(ctx, kind, id, delay)
}

// SendEphemeral implements Host.
func (e *Engine) SendEphemeral(ctx context.Context, chatID, openID string, card any) (string, error) {
	return e.deps.Sender.SendEphemeral(ctx, chatID, openID, card)
}

// DeleteEphemeral implements Host.
func (e *Engine) DeleteEphemeral(ctx context.Context, messageID string) error {
	return e.deps.Sender.DeleteEphemeral(ctx, messageID)
}

// PostCard implements Host.
func (e *Engine) PostCard(ctx context.Context, chatID string, card any, uuid string) (string, error) {
	return e.deps.Sender.PostCard(ctx, chatID, card, uuid)
}

// UpdateCard implements Host.
func (e *Engine) UpdateCard(ctx context.Context, messageID string, card any) error {
	return e.deps.Sender.UpdateCard(ctx, messageID, card)
}

// SendToUser implements Host.
func (e *Engine) SendToUser(ctx context.Context, openID string, card any, uuid string) (string, error) {
	return e.deps.Sender.SendToUser(ctx, openID, card, uuid)
}

// Schedule implements Host.
func (e *Engine) Schedule(ctx context.Context, member string, at time.Time) error {
	return e.deps.Due.Schedule(ctx, member, at)
}

// Unschedule implements Host.
func (e *Engine) Unschedule(ctx context.Context, members ...string) error {
	return e.deps.Due.Unschedule(ctx, members...)
}

// Now implements Host.
func (e *Engine) Now() time.Time { return e.deps.Clock() }

// Zone implements Host.
func (e *Engine) Zone(name string) *time.Location { return e.zoneOrDefault(name) }

// DefaultLocale implements Host.
func (e *Engine) DefaultLocale() string { return e.deps.DefaultLocale }

// Logger implements Host.
func (e *Engine) Logger() *zap.Logger { return e.log }

// IsAdmin implements Host.
func (e *Engine) IsAdmin(ctx context.Context, chatID, openID string) bool {
	return e.isAdmin(ctx, chatID, openID)
}

// IsMember tells whether openID is a member of chatID, from the member
// directory (MemberSource); the web app names only chats its member is in.
func (e *Engine) IsMember(ctx context.Context, chatID, openID string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, memberLookupTimeout)
	defer cancel()
	return e.deps.Members.IsMember(ctx, chatID, openID)
}

// RefuseNonMember implements Host.
func (e *Engine) RefuseNonMember(ctx context.Context, chatID, openID, soleMember, locale string, log *zap.Logger) *Answer {
	if log == nil {
		log = e.log
	}
	return e.refuseNonMember(ctx, chatID, openID, soleMember, locale, log)
}

// ChatMembers implements Host.
func (e *Engine) ChatMembers(ctx context.Context, chatID string) ([]string, error) {
	l, ok := e.deps.Members.(MemberLister)
	if !ok {
		return nil, ErrNoMemberList
	}
	return l.ChatMembers(ctx, chatID)
}

// Records implements Host.
func (e *Engine) Records() RecordStore { return e.deps.Records }

// Interaction implements Host.
func (e *Engine) Interaction(ctx context.Context, id string) (*Interaction, error) {
	return e.load(ctx, id)
}

// ObserveLateness implements Host.
func (e *Engine) ObserveLateness(kind string, late time.Duration) { e.deps.ObserveLateness(kind, late) }
