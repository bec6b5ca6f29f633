package flows

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"
)

// Deps is what the Engine needs from the outside world. Store, Sender and
// Jobs are required; every other field has a default.
type Deps struct {
	Store  Store
	Sender Sender
	Jobs   Jobs
	// Clock is the time source. Default: time.Now.
	Clock Clock
	// Logger receives the engine's logs, named "flows". Default: no logs.
	Logger *zap.Logger
	// BotOpenID returns the bot's own open_id, so that its @mentions are not
	// read as people; it may return "" until the id is known. Default: "".
	BotOpenID func() string
	// DefaultLocale is the language of cards when the command gives no hint.
	// Default: "en_us".
	DefaultLocale string
	// DefaultTimezone reads dates when the user's zone is unknown: messages
	// carry no zone, callbacks usually do. Default: Asia/Shanghai.
	DefaultTimezone *time.Location
	// NewID returns a fresh interaction id. Default: NewID.
	NewID func() string
	// Outbox records side effects so a run after a crash does not repeat
	// them. Default: none (every effect looks new), for tests.
	Outbox Outbox

	// Reminders, Todos and Due keep the records of /remind and /todo and
	// the schedule of what comes due. Default: Store, when it implements
	// them (state.Store does); NewDefault needs all three.
	Reminders ReminderStore
	Todos     TodoStore
	Due       DueSet
	// Admins reports whether a member is an admin of a chat by
	// configuration (BOTD_ADMINS, in every chat). Default: nobody. The
	// chat's owner and managers, from Chats, are admins too (see isAdmin).
	Admins func(chatID, openID string) bool
	// Chats tells what kind of chat a command came from and who runs it.
	// Default: every chat is an ordinary group with no owner or managers.
	Chats ChatInfoSource
	// Members tells who is in a chat: only members of a card's chat may use
	// its buttons (refuseNonMember). Default: everyone is a member of every
	// chat, for tests; production wires the platform's member list.
	Members MemberSource
	// FairUse caps commands per member and per chat over a short window,
	// counted by FairUseCounter before anything else is done for a command.
	// Default: no caps (zero FairUse, or no counter).
	FairUse        FairUse
	FairUseCounter FairUseCounter
	// Rules says who may start each flow, by flow name. A flow without a
	// rule may be started by anyone.
	Rules map[string]Rule
	// Templates replaces the built-in final card of a flow, by flow name,
	// with a card built in the platform's card builder.
	Templates map[string]Template
	// TemplateCard renders a template card for the Sender. Default: a map
	// in the seeds' request shape.
	TemplateCard func(t Template, vars map[string]any) any
	// ObserveLateness is told how late each scheduled post went out (fired
	// minus due), by kind ("reminder", "todo_due"), for the lateness
	// histogram. Default: nothing.
	ObserveLateness func(kind string, late time.Duration)
}

// Engine runs the flows: it turns commands into interactions, runs their jobs
// and answers their card callbacks. It is a registry: Register adds a flow
// under its name. Register every flow before the engine serves; after that
// it is safe for concurrent use.
type Engine struct {
	deps  Deps
	log   *zap.Logger
	flows map[string]Flow
	order []Flow // registration order, for /help
	jobs  map[JobKind]JobSpec
	due   []JobSpec // the specs with a DuePrefix
}

// New returns an engine with no flows; NewDefault adds the built-in ones.
// It panics when a required dependency is missing, a wiring mistake.
func New(deps Deps) *Engine {
	if deps.Store == nil || deps.Sender == nil || deps.Jobs == nil {
		panic("flows: New needs a Store, a Sender and Jobs")
	}
	if deps.Clock == nil {
		deps.Clock = time.Now
	}
	if deps.Logger == nil {
		deps.Logger = zap.NewNop()
	}
	if deps.BotOpenID == nil {
		deps.BotOpenID = func() string { return "" }
	}
	if deps.DefaultLocale == "" {
		deps.DefaultLocale = LocaleEnUS
	}
	if deps.DefaultTimezone == nil {
		deps.DefaultTimezone = shanghai()
	}
	if deps.NewID == nil {
		deps.NewID = NewID
	}
	if deps.Outbox == nil {
		deps.Outbox = nopOutbox{}
	}
	if deps.Reminders == nil {
		deps.Reminders, _ = deps.Store.(ReminderStore)
	}
	if deps.Todos == nil {
		deps.Todos, _ = deps.Store.(TodoStore)
	}
	if deps.Due == nil {
		deps.Due, _ = deps.Store.(DueSet)
	}
	if deps.Admins == nil {
		deps.Admins = func(string, string) bool { return false }
	}
	if deps.TemplateCard == nil {
		deps.TemplateCard = templateCard
	}
	if deps.Chats == nil {
		deps.Chats = noChatInfo{}
	}
	if deps.Members == nil {
		deps.Members = everyoneIsMember{}
	}
	if deps.ObserveLateness == nil {
		deps.ObserveLateness = func(string, time.Duration) {}
	}
	e := &Engine{deps: deps, log: deps.Logger.Named("flows"), flows: map[string]Flow{}, jobs: map[JobKind]JobSpec{}}
	// The engine's own notices: shown like forms, through the same job, but
	// never a command (the name cannot be typed) nor listed by /help.
	e.flows[slowDownName] = slowDownFlow{}
	return e
}

// NewDefault returns an engine with the built-in flows: /todo, /remind and
// /help. It panics when the deps lack the record stores they need.
func NewDefault(deps Deps) *Engine {
	e := New(deps)
	if e.deps.Reminders == nil || e.deps.Todos == nil || e.deps.Due == nil {
		panic("flows: NewDefault needs Reminders, Todos and Due (or a Store that implements them)")
	}
	e.Register(&todoFlow{e: e})
	e.Register(&remindFlow{e: e})
	e.Register(helpFlow{flows: e.Flows})
	return e
}

// Register adds f under f.Name(). It panics on an empty or taken name, as
// http.ServeMux does: both are wiring mistakes.
func (e *Engine) Register(f Flow) {
	name := f.Name()
	if name == "" || name != strings.ToLower(name) {
		panic(fmt.Sprintf("flows: Register: bad flow name %q", name))
	}
	if _, taken := e.flows[name]; taken {
		panic(fmt.Sprintf("flows: Register: flow %q registered twice", name))
	}
	if r, ok := f.(JobRunner); ok {
		for _, spec := range r.Jobs() {
			if _, taken := e.jobs[spec.Kind]; taken || isInteractionJob(spec.Kind) {
				panic(fmt.Sprintf("flows: Register: job kind %q of flow %q registered twice", spec.Kind, name))
			}
			e.jobs[spec.Kind] = spec
			if spec.DuePrefix != "" {
				e.due = append(e.due, spec)
			}
		}
	}
	e.flows[name] = f
	e.order = append(e.order, f)
}

// JobKinds returns every kind of job the engine runs: the steps of
// interactions, then the registered flows' own. The job queue registers a
// handler for each.
func (e *Engine) JobKinds() []JobKind {
	kinds := []JobKind{JobSendForm, JobFinish, JobCancel}
	for _, f := range e.order {
		if r, ok := f.(JobRunner); ok {
			for _, spec := range r.Jobs() {
				kinds = append(kinds, spec.Kind)
			}
		}
	}
	return kinds
}

// Flows returns the registered flows in registration order.
func (e *Engine) Flows() []Flow { return append([]Flow(nil), e.order...) }

// NewID returns "itx_" and 26 characters of crypto-random base32 (128 bits,
// crypto/rand.Text in lower case): 30 characters in all, so that
// it.ID+"-final" fits the 50 characters of a message uuid.
func NewID() string { return "itx_" + strings.ToLower(rand.Text()) }

// shanghai is Asia/Shanghai, or the same fixed offset (China has kept
// +08:00 without daylight saving since 1991) where the system has no zone
// database.
func shanghai() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("Asia/Shanghai", 8*60*60)
}

// zoneOf returns the location of it.Timezone, or the default zone.
func (e *Engine) zoneOf(it *Interaction) *time.Location {
	if it.Timezone != "" {
		if loc, err := time.LoadLocation(it.Timezone); err == nil {
			return loc
		}
	}
	return e.deps.DefaultTimezone
}

// load reads an interaction; errors wrap ErrNotFound and the like.
func (e *Engine) load(ctx context.Context, id string) (*Interaction, error) {
	it, err := e.deps.Store.Interaction(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("load interaction %s: %w", id, err)
	}
	return it, nil
}

// casAttempts bounds the reload-and-retry loop of update. Conflicts come
// from a handful of writers (a callback and a job or two), so a few rounds
// always settle; a bound keeps a broken store from spinning.
const casAttempts = 5

// update applies change to it and saves it with a compare-and-set. On
// ErrConflict it reloads the interaction and applies change again, so change
// must decide from the state it is given: it returns false when that state
// needs no change, and update then returns the state as it is, with changed
// false. The it passed in must not be used afterwards; use the result.
func (e *Engine) update(ctx context.Context, it *Interaction, change func(*Interaction) bool) (_ *Interaction, changed bool, _ error) {
	for attempt := 1; ; attempt++ {
		if !change(it) {
			return it, false, nil
		}
		it.UpdatedAt = e.deps.Clock()
		err := e.deps.Store.UpdateInteraction(ctx, it)
		if err == nil {
			return it, true, nil
		}
		if !errors.Is(err, ErrConflict) || attempt == casAttempts {
			return nil, false, fmt.Errorf("update interaction %s: %w", it.ID, err)
		}
		if it, err = e.load(ctx, it.ID); err != nil {
			return nil, false, err
		}
	}
}

// logFor is the engine's logger with the ids of it.
func (e *Engine) logFor(it *Interaction) *zap.Logger {
	return e.log.With(
		zap.String("interaction_id", it.ID),
		zap.String("flow", it.Flow),
		zap.String("chat_id", it.ChatID),
		zap.String("open_id", it.UserID),
	)
}
