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

// Deps is what the Engine needs from the outside world. Store, Records,
// Due, Sender and Jobs are required; every other field has a default.
type Deps struct {
	Store  Store
	Sender Sender
	Jobs   Jobs
	// Clock is the time source. Default: time.Now.
	Clock Clock
	// Logger receives the engine's logs, named "flows". Default: no logs.
	Logger *zap.Logger
	// BotOpenID returns the bot's own open_id in a tenant (a store app's
	// bot has one per tenant; a self-built app's, one), so that its
	// @mentions are not read as people; it may return "" until the id is
	// known. Default: "".
	BotOpenID func(tenantKey string) string
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

	// Records keeps the flows' records and Due the schedule of what comes
	// due (both state.Store). Required.
	Records RecordStore
	Due     DueSet
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
	// rule follows its DefaultRule: anyone, unless the flow says otherwise.
	Rules map[string]Rule
	// Templates replaces the built-in final card of a flow, by flow name,
	// with a card built in the platform's card builder.
	Templates map[string]Template
	// TemplateCard renders a template card for the Sender. Default: a map
	// in the seeds' request shape.
	TemplateCard func(t Template, vars map[string]any) any
	// Shares keeps the copies of records' cards members shared from the
	// web app (webaction_share.go). Default: none; nothing is a copy.
	Shares ShareStore
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
	deps   Deps
	log    *zap.Logger
	flows  map[string]Flow
	order  []Flow // registration order, for /help
	jobs   map[JobKind]JobSpec
	due    []JobSpec                   // the specs with a DuePrefix
	routes map[string]map[string]Route // flow → action → route
	// catchall answers commands no flow is registered for; nil: they are
	// ignored.
	catchall Flow
}

// New returns an engine running fs (internal/flows/builtin is botd's
// list), registered in order. It panics when a required dependency is
// missing or a flow cannot be registered (see Register): wiring mistakes.
func New(deps Deps, fs ...Flow) *Engine {
	if deps.Store == nil || deps.Records == nil || deps.Due == nil || deps.Sender == nil || deps.Jobs == nil {
		panic("flows: New needs a Store, Records, Due, a Sender and Jobs")
	}
	if deps.Clock == nil {
		deps.Clock = time.Now
	}
	if deps.Logger == nil {
		deps.Logger = zap.NewNop()
	}
	if deps.BotOpenID == nil {
		deps.BotOpenID = func(string) string { return "" }
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
	if deps.Shares == nil {
		deps.Shares = noShares{}
	}
	if deps.ObserveLateness == nil {
		deps.ObserveLateness = func(string, time.Duration) {}
	}
	e := &Engine{deps: deps, log: deps.Logger.Named("flows"), flows: map[string]Flow{}, jobs: map[JobKind]JobSpec{},
		routes: map[string]map[string]Route{}}
	// The engine's own notices: shown like forms, through the same job, but
	// never a command (the name cannot be typed) nor listed by /help.
	e.flows[slowDownName] = slowDownFlow{}
	e.flows[deniedName] = deniedFlow{}
	for _, f := range fs {
		e.Register(f)
	}
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
			if spec.Kind == "" || spec.Run == nil || spec.MaxRetry < 1 {
				panic(fmt.Sprintf("flows: Register: job kind %q of flow %q needs a kind, a Run and MaxRetry of at least 1", spec.Kind, name))
			}
			for _, other := range e.due {
				if spec.DuePrefix != "" && (strings.HasPrefix(spec.DuePrefix, other.DuePrefix) || strings.HasPrefix(other.DuePrefix, spec.DuePrefix)) {
					panic(fmt.Sprintf("flows: Register: due prefix %q of flow %q overlaps %q", spec.DuePrefix, name, other.DuePrefix))
				}
			}
			e.jobs[spec.Kind] = spec
			if spec.DuePrefix != "" {
				e.due = append(e.due, spec)
			}
		}
	}
	if _, ok := f.(Catchall); ok {
		if e.catchall != nil {
			panic(fmt.Sprintf("flows: Register: flows %q and %q both answer unknown commands", e.catchall.Name(), name))
		}
		e.catchall = f
	}
	if r, ok := f.(Router); ok {
		e.routes[name] = map[string]Route{}
		for _, route := range r.Routes() {
			spec := route.Spec
			_, taken := e.routes[name][spec.Action]
			switch {
			case spec.Flow != name || spec.Action == "" || spec.Target == "" || route.Handle == nil:
				panic(fmt.Sprintf("flows: Register: flow %q: route %+v needs the flow's name, an action, a target key and a handler", name, spec))
			case taken || spec.Action == ActionSubmit || spec.Action == ActionCancel:
				panic(fmt.Sprintf("flows: Register: flow %q: action %q taken", name, spec.Action))
			}
			e.routes[name][spec.Action] = route
		}
	}
	e.flows[name] = f
	e.order = append(e.order, f)
}

// StepJobs are the specs of the steps of an interaction, which the Engine
// runs itself (their Run is nil: RunJob runs them).
func StepJobs() []JobSpec {
	return []JobSpec{
		// A form that appears many minutes after the command is more
		// confusing than helpful: about 50 s of retries (see the queue's
		// backoff).
		{Kind: JobSendForm, Priority: PriorityInteractive, MaxRetry: 8},
		// Over an hour: nothing submitted is dropped.
		{Kind: JobFinish, Priority: PriorityInteractive, MaxRetry: 25},
		// A few minutes.
		{Kind: JobCancel, Priority: PriorityInteractive, MaxRetry: 10},
	}
}

// JobSpecs returns every kind of job the engine runs, with its policy: the
// steps of interactions, then the registered flows' own. The job queue
// reads them when it starts.
func (e *Engine) JobSpecs() []JobSpec {
	specs := StepJobs()
	for _, f := range e.order {
		if r, ok := f.(JobRunner); ok {
			specs = append(specs, r.Jobs()...)
		}
	}
	return specs
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

// ZoneOf returns the location of it.Timezone, or the default zone.
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
