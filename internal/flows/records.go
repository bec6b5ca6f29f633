package flows

import (
	"context"
	"time"
)

// Records are what an interaction leaves behind once its card is in the
// group: a Reminder that fires later, a Todo that is closed later. Unlike an
// interaction (one member, minutes), a record is shared by the chat and
// lives as long as its card, so it has its own id, carried in the callback
// values of the group card's buttons, and its own compare-and-set Version.

// Repeat is how a reminder recurs.
type Repeat string

const (
	RepeatOnce     Repeat = "once"
	RepeatDaily    Repeat = "daily"
	RepeatWeekdays Repeat = "weekdays" // Monday to Friday
	RepeatWeekly   Repeat = "weekly"
)

// Notify is who a reminder mentions when it fires.
type Notify string

const (
	NotifySender Notify = "sender" // the member who set it
	NotifyGroup  Notify = "group"  // everyone (<at id=all>)
	NotifyPeople Notify = "people" // Reminder.People
)

// ReminderStatus is where a reminder stands: active until a one-off has
// fired (done) or someone cancels it (cancelled).
type ReminderStatus string

const (
	ReminderActive    ReminderStatus = "active"
	ReminderDone      ReminderStatus = "done"
	ReminderCancelled ReminderStatus = "cancelled"
)

// TodoStatus is where a todo stands; Reopen takes it back to open.
type TodoStatus string

const (
	TodoOpen TodoStatus = "open"
	TodoDone TodoStatus = "done"
)

// Reminder is a /remind once submitted: its series of occurrences and the
// state of the cards it posted.
type Reminder struct {
	ID        string         `json:"id"` // "rm_" + the interaction's random part
	TenantKey string         `json:"tenant_key"`
	ChatID    string         `json:"chat_id"`
	CreatorID string         `json:"creator_id"`
	What      string         `json:"what"`
	Locale    string         `json:"locale"`
	Timezone  string         `json:"timezone"` // IANA; recurrences follow its wall clock
	First     time.Time      `json:"first"`    // first due instant (UTC)
	Repeat    Repeat         `json:"repeat"`
	Notify    Notify         `json:"notify"`
	People    []string       `json:"people,omitempty"` // open_ids, with NotifyPeople
	Status    ReminderStatus `json:"status"`

	// NextDue is the occurrence the due set holds for the series. An
	// occurrence that is not NextDue (the reminder was rescheduled or
	// cancelled since it was queued) never fires.
	NextDue time.Time `json:"next_due"`
	// LastFired is the latest series occurrence posted; a fire job for an
	// occurrence at or before it has already run.
	LastFired time.Time `json:"last_fired"`
	// Snoozes are the pending snoozed occurrences (Unix ms), outside the series.
	Snoozes []int64 `json:"snoozes,omitempty"`
	// Posts are the latest fired cards, newest last (at most maxPosts), so
	// their Done and Snooze buttons can update them.
	Posts []Post `json:"posts,omitempty"`

	MessageID     string    `json:"message_id,omitempty"` // the group card set by the form
	InteractionID string    `json:"interaction_id"`
	CancelledBy   string    `json:"cancelled_by,omitempty"`
	CancelledAt   time.Time `json:"cancelled_at,omitzero"`

	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Post is one fired reminder card.
type Post struct {
	Key          string    `json:"key"` // occurrence key: Unix ms, "s" + ms for a snooze
	Due          time.Time `json:"due"`
	FiredAt      time.Time `json:"fired_at"`
	MessageID    string    `json:"message_id"`
	DoneBy       string    `json:"done_by,omitempty"`
	DoneAt       time.Time `json:"done_at,omitzero"`
	SnoozedBy    string    `json:"snoozed_by,omitempty"`
	SnoozedUntil time.Time `json:"snoozed_until,omitzero"`
}

// Todo is a /todo once its card is in the group.
type Todo struct {
	ID            string     `json:"id"` // "td_" + the interaction's random part
	TenantKey     string     `json:"tenant_key"`
	ChatID        string     `json:"chat_id"`
	Title         string     `json:"title"`
	Assignee      string     `json:"assignee,omitempty"`
	Due           string     `json:"due,omitempty"` // calendar date, DateLayout
	Notes         string     `json:"notes,omitempty"`
	CreatorID     string     `json:"creator_id"`
	Locale        string     `json:"locale"`
	Timezone      string     `json:"timezone"`
	Status        TodoStatus `json:"status"`
	ClosedBy      string     `json:"closed_by,omitempty"`
	ClosedAt      time.Time  `json:"closed_at,omitzero"`
	MessageID     string     `json:"message_id,omitempty"`
	InteractionID string     `json:"interaction_id"`
	Nudged        bool       `json:"nudged,omitempty"` // the due-date reminder was posted

	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ReminderStore keeps reminders. UpdateReminder is a compare-and-set on
// Version, with the errors of Store.UpdateInteraction.
type ReminderStore interface {
	CreateReminder(ctx context.Context, r *Reminder) error // ErrExists when the id is taken
	Reminder(ctx context.Context, id string) (*Reminder, error)
	UpdateReminder(ctx context.Context, r *Reminder) error
}

// TodoStore keeps todos and an index of each chat's open ones, newest first.
// UpdateTodo is a compare-and-set on Version that also keeps the index.
type TodoStore interface {
	CreateTodo(ctx context.Context, t *Todo) error // ErrExists when the id is taken
	Todo(ctx context.Context, id string) (*Todo, error)
	UpdateTodo(ctx context.Context, t *Todo) error
	// OpenTodos returns a page of the chat's open todos, newest first, and
	// how many there are in all.
	OpenTodos(ctx context.Context, chatID string, offset, limit int) ([]*Todo, int, error)
}

// DueSet is the durable schedule: members name an occurrence and are scored
// by their due time. The scheduler (internal/schedule) takes due members
// out and hands them to Engine.EnqueueDue; adding a member twice is harmless.
type DueSet interface {
	Schedule(ctx context.Context, member string, at time.Time) error
	Unschedule(ctx context.Context, members ...string) error
}
