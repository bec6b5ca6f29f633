package flows

import (
	"context"
	"errors"
	"fmt"

	"go.uber.org/zap"
)

// Outbox records each side effect on the Open API before and after it runs,
// so that a run of a job that follows a crash knows what the crashed run did:
//
//   - done: the effect happened and its result (a message id) is known, so it
//     is not repeated, even if the crash came before the interaction recorded it;
//   - started: a run began the effect and never recorded how it ended. The
//     call may or may not have reached the platform. For the group post the
//     uuid settles it; for the ephemeral send, which has no idempotency key,
//     nothing can, and the effect is redone (a member missing a form is worse
//     than one seeing two). The outbox flags such cases, so they are counted
//     and can be told apart from a bug.
type Outbox interface {
	// Begin marks effect as started for the interaction and returns what an
	// earlier run recorded: nothing, started (ambiguous), or done with its
	// result. When it returns done, it changes nothing.
	Begin(ctx context.Context, interactionID, effect string) (OutboxEntry, error)
	// Complete records the effect's result.
	Complete(ctx context.Context, interactionID, effect, result string) error
	// Abort forgets a started effect that certainly did not happen (the
	// platform refused it), so the next run is not taken for a crash.
	Abort(ctx context.Context, interactionID, effect string) error
	// FlagIfStarted flags effect as ambiguous if it was started and never
	// completed, and reports whether it did.
	FlagIfStarted(ctx context.Context, interactionID, effect string) (bool, error)
}

// OutboxReader is an optional part of an Outbox: what it knows of an
// effect, changing nothing.
type OutboxReader interface {
	Entry(ctx context.Context, interactionID, effect string) (OutboxEntry, error)
}

// unrecordedForm returns the message id of a form whose send the outbox
// saw complete while the interaction never recorded it: the run that sent
// it died between the two writes (or its record failed). The form is on
// the member's screen and is deleted like a recorded one. "" when there is
// no such form or the outbox cannot tell.
func (e *Engine) unrecordedForm(ctx context.Context, it *Interaction, log *zap.Logger) string {
	r, ok := e.deps.Outbox.(OutboxReader)
	if !ok {
		return ""
	}
	ent, err := r.Entry(ctx, it.ID, effectSendForm)
	if err != nil {
		log.Warn("outbox: cannot read the form send", zap.Error(err))
		return ""
	}
	if ent.State != OutboxDone || ent.Result == "" {
		return ""
	}
	log.Info("form sent by a run that died before recording it", zap.String("message_id", ent.Result))
	return ent.Result
}

// OutboxEntry is what the outbox knows about one effect.
type OutboxEntry struct {
	State  OutboxState
	Result string // the effect's result when State is OutboxDone
}

// OutboxState is how far an effect got.
type OutboxState string

const (
	OutboxNone    OutboxState = ""        // never started
	OutboxStarted OutboxState = "started" // started, outcome unknown
	OutboxDone    OutboxState = "done"    // happened; Result holds its result
)

// Effects recorded in the outbox, per interaction.
const (
	effectSendForm  = "send_form"
	effectPostFinal = "post_final"
)

func effectDelete(messageID string) string { return "delete:" + messageID }

// nopOutbox remembers nothing: every effect looks new. It is the default for
// engines built without an outbox (unit tests).
type nopOutbox struct{}

func (nopOutbox) Begin(context.Context, string, string) (OutboxEntry, error) {
	return OutboxEntry{}, nil
}
func (nopOutbox) Complete(context.Context, string, string, string) error { return nil }
func (nopOutbox) Abort(context.Context, string, string) error            { return nil }
func (nopOutbox) FlagIfStarted(context.Context, string, string) (bool, error) {
	return false, nil
}

// effect runs call at most once per completed run: if an earlier run of the
// same effect completed, it returns that result without calling. The result
// is recorded in the outbox right after call returns, before anything else,
// to keep the window in which a crash leaves the outcome unknown as short as
// one Redis write.
func (e *Engine) effect(ctx context.Context, it *Interaction, name string, log *zap.Logger, call func() (string, error)) (string, error) {
	prev, err := e.deps.Outbox.Begin(ctx, it.ID, name)
	if err != nil {
		return "", fmt.Errorf("outbox: begin %s: %w", name, err)
	}
	switch prev.State {
	case OutboxDone:
		log.Info("effect already done by an earlier run", zap.String("effect", name), zap.String("result", prev.Result))
		return prev.Result, nil
	case OutboxStarted:
		log.Warn("effect outcome unknown: an earlier run started it and stopped (crash or timeout); doing it again",
			zap.String("effect", name))
	}
	result, err := call()
	if err != nil {
		if notApplied(err) {
			if aerr := e.deps.Outbox.Abort(ctx, it.ID, name); aerr != nil {
				log.Warn("outbox: cannot abort effect", zap.String("effect", name), zap.Error(aerr))
			}
		}
		return "", err
	}
	if err := e.deps.Outbox.Complete(ctx, it.ID, name, result); err != nil {
		// The effect happened; the interaction update that follows records
		// it too, so only a crash right now would repeat it.
		log.Warn("outbox: cannot record effect", zap.String("effect", name), zap.Error(err))
	}
	return result, nil
}

// notApplied reports whether err says the platform certainly did not apply
// the call (it answered and refused), as opposed to a timeout or a 5xx after
// which the call may have gone through. A call held back before it was made
// was not applied either: by the rate limiter (Paced), or while it waits for
// what the platform has yet to send (Deferred: a store app's app_ticket).
// Either is tried again, and must not look like a crash then.
func notApplied(err error) bool {
	var na interface{ NotApplied() bool }
	if errors.As(err, &na) && na.NotApplied() {
		return true
	}
	var p interface{ Paced() bool }
	if errors.As(err, &p) && p.Paced() {
		return true
	}
	var d interface{ Deferred() bool }
	return errors.As(err, &d) && d.Deferred()
}
