package flows

import (
	"context"
	"fmt"
	"strings"

	"go.uber.org/zap"

	"github.com/botd/botd/internal/card"
)

// RunJob runs one step of an interaction outside the request that caused
// it. The queue calls it at least once per enqueue, so each step re-reads
// the interaction and does only what is still missing (see the package
// documentation).
//
// Errors wrap their cause with %w: ErrNotFound when the interaction is gone
// (the queue drops the job), a Sender error that may implement
// Retryable() bool, or a permanent error, whose Retryable reports false,
// for a job that can never succeed (an unknown kind or flow).
//
// Kinds that a JobRunner flow registered go to that flow, with id as given.
func (e *Engine) RunJob(ctx context.Context, kind JobKind, interactionID string) error {
	if spec, ok := e.jobs[kind]; ok {
		if err := spec.Run(ctx, e, interactionID); err != nil {
			return fmt.Errorf("flows: %s %s: %w", kind, interactionID, err)
		}
		return nil
	}
	it, err := e.load(ctx, interactionID)
	if err != nil {
		return fmt.Errorf("flows: %s: %w", kind, err)
	}
	log := e.logFor(it).With(zap.String("job", string(kind)))
	flow, ok := e.flows[it.Flow]
	if !ok {
		return Permanent(fmt.Errorf("flows: %s %s: no flow %q", kind, it.ID, it.Flow))
	}
	switch kind {
	case JobSendForm:
		err = e.sendForm(ctx, it, flow, log)
	case JobFinish:
		err = e.finish(ctx, it, flow, log)
	case JobCancel:
		err = e.deleteCancelled(ctx, it, log)
	default:
		return Permanent(fmt.Errorf("flows: %s: unknown job kind %q", it.ID, kind))
	}
	if err != nil {
		return fmt.Errorf("flows: %s %s: %w", kind, it.ID, err)
	}
	return nil
}

// sendForm shows a pending interaction's form to its owner, once.
func (e *Engine) sendForm(ctx context.Context, it *Interaction, flow Flow, log *zap.Logger) error {
	switch {
	case it.Status != StatusPending:
		log.Debug("form not sent: interaction no longer pending", zap.String("status", string(it.Status)))
		return nil
	case it.EphemeralMessageID != "":
		log.Debug("form not sent: already sent", zap.String("message_id", it.EphemeralMessageID))
		return nil
	}
	if first := e.firstOfCommand(ctx, it, log); first != "" && first != it.ID {
		// The command's event was delivered again after a crash kept its
		// claim from being recorded, and started this second interaction.
		// The member gets one form: the first interaction's (a no-op when
		// it is shown already; sent now if the crash came before its job
		// was queued). This one is never shown, and expires.
		log.Warn("second interaction for one command: showing the first one's form instead",
			zap.String("first_interaction_id", first), zap.String("source_message_id", it.SourceMessageID))
		if err := e.deps.Jobs.Enqueue(ctx, JobSendForm, first); err != nil {
			return fmt.Errorf("send the form of the command's first interaction %s: %w", first, err)
		}
		return nil
	}
	form := flow.Form
	if l, ok := flow.(FormLoader); ok {
		c, err := l.LoadForm(ctx, e, it)
		if err != nil {
			return fmt.Errorf("load form: %w", err)
		}
		form = func(*Interaction, FieldErrors) *card.Card { return c }
	}
	msgID, err := e.effect(ctx, it, effectSendForm, log, func() (string, error) {
		return e.showForm(ctx, it, form(it, nil))
	})
	if err != nil {
		return fmt.Errorf("send form: %w", err)
	}
	it, _, err = e.update(ctx, it, func(it *Interaction) bool {
		if it.EphemeralMessageID != "" {
			return false
		}
		it.EphemeralMessageID = msgID
		return true
	})
	if err != nil {
		// The retry sends the form again: see "Retries and races" in doc.go.
		return fmt.Errorf("record form %s: %w", msgID, err)
	}
	switch {
	case it.EphemeralMessageID != msgID:
		// Another run of this job sent and recorded its form first.
		log.Warn("form sent twice; deleting the second", zap.String("message_id", msgID))
		return e.deleteForm(ctx, it, log, msgID)
	case it.Status == StatusCancelled || it.Status == StatusDone:
		// The user answered before the id was recorded, so the job that
		// removes the form ran without knowing it.
		log.Info("form answered before it was recorded; deleting it", zap.String("message_id", msgID))
		return e.deleteForm(ctx, it, log, msgID)
	}
	log.Info("form sent", zap.String("message_id", msgID), where(it))
	return nil
}

// firstOfCommand is the first interaction it's command started, or "" when
// the store cannot tell; a failed lookup sends the form anyway (two forms
// are better than none).
func (e *Engine) firstOfCommand(ctx context.Context, it *Interaction, log *zap.Logger) string {
	idx, ok := e.deps.Store.(CommandIndex)
	if !ok || it.SourceMessageID == "" {
		return ""
	}
	first, err := idx.FirstInteraction(ctx, it.SourceMessageID)
	if err != nil {
		log.Warn("cannot tell whether the command started another interaction; sending the form", zap.Error(err))
		return ""
	}
	return first
}

// finish posts a submitted interaction's final card, deletes its form and
// marks it done. The post comes first, so a failed post never leaves the
// user with nothing; each step is skipped when a previous run did it.
func (e *Engine) finish(ctx context.Context, it *Interaction, flow Flow, log *zap.Logger) error {
	if it.Status != StatusSubmitted {
		log.Debug("finish skipped: interaction not submitted", zap.String("status", string(it.Status)))
		return nil
	}
	sub, ok := flow.(Submitter)
	if !ok {
		return Permanent(fmt.Errorf("flow %q has no final card", flow.Name()))
	}
	fin, keeps := flow.(Finisher)
	if keeps && it.FinalMessageID == "" {
		if err := fin.BeforePost(ctx, e, it); err != nil {
			return fmt.Errorf("before posting the final card: %w", err)
		}
	}
	if it.FinalMessageID == "" {
		// The uuid makes the platform drop a second post within the hour, for
		// a crash between the post and recording its id.
		msgID, err := e.effect(ctx, it, effectPostFinal, log, func() (string, error) {
			return e.deps.Sender.PostCard(ctx, it.ChatID, e.finalCard(it, sub), it.ID+"-final")
		})
		if err != nil {
			return fmt.Errorf("post final card: %w", err)
		}
		it, _, err = e.update(ctx, it, func(it *Interaction) bool {
			if it.FinalMessageID != "" {
				return false
			}
			it.FinalMessageID = msgID
			return true
		})
		if err != nil {
			return fmt.Errorf("record final card %s: %w", msgID, err)
		}
		log.Info("final card posted", zap.String("message_id", it.FinalMessageID))
	}
	if keeps {
		// Also when a previous run recorded the id and then failed: the
		// hook may not have run.
		if err := fin.AfterPost(ctx, e, it, it.FinalMessageID); err != nil {
			return fmt.Errorf("after posting the final card: %w", err)
		}
	}
	deleted := it.EphemeralMessageID
	if deleted == "" {
		deleted = e.unrecordedForm(ctx, it, log)
	}
	if deleted != "" {
		if err := e.deleteForm(ctx, it, log, deleted); err != nil {
			return err
		}
	} else {
		e.flagLostForm(ctx, it, log)
	}
	it, _, err := e.update(ctx, it, func(it *Interaction) bool {
		if it.Status != StatusSubmitted {
			return false
		}
		it.Status = StatusDone
		return true
	})
	if err != nil {
		return fmt.Errorf("mark done: %w", err)
	}
	if late := it.EphemeralMessageID; late != "" && late != deleted {
		// send_form recorded the form after this run read the interaction.
		if err := e.deleteForm(ctx, it, log, late); err != nil {
			return err
		}
	}
	log.Info("interaction done")
	return nil
}

// deleteCancelled deletes the form of a cancelled interaction.
func (e *Engine) deleteCancelled(ctx context.Context, it *Interaction, log *zap.Logger) error {
	if it.Status != StatusCancelled {
		log.Debug("cancel skipped: interaction not cancelled", zap.String("status", string(it.Status)))
		return nil
	}
	formID := it.EphemeralMessageID
	if formID == "" {
		formID = e.unrecordedForm(ctx, it, log)
	}
	if formID == "" {
		// Not sent yet: send_form sees the cancel and sends nothing.
		log.Debug("cancel: no form to delete")
		e.flagLostForm(ctx, it, log)
		return nil
	}
	if err := e.deleteForm(ctx, it, log, formID); err != nil {
		return err
	}
	log.Info("form deleted")
	return nil
}

// flagLostForm handles an interaction that ends with no form on record: if a
// send of its form was started and never recorded (the process died during
// the call), the form may be on the member's screen with an id nobody knows,
// and it cannot be deleted. That is flagged in the outbox, and logged, so it
// is counted rather than silent.
func (e *Engine) flagLostForm(ctx context.Context, it *Interaction, log *zap.Logger) {
	flagged, err := e.deps.Outbox.FlagIfStarted(ctx, it.ID, effectSendForm)
	switch {
	case err != nil:
		log.Warn("outbox: cannot check for an interrupted form send", zap.Error(err))
	case flagged:
		log.Warn("a form whose send was interrupted may stay visible: its message id was never learnt")
	}
}

// deleteForm removes one of the interaction's forms from view (closeForm).
// A repeated delete is harmless (the platform answers "already deleted",
// which the Sender takes for success); the outbox spares the call.
func (e *Engine) deleteForm(ctx context.Context, it *Interaction, log *zap.Logger, messageID string) error {
	_, err := e.effect(ctx, it, effectDelete(messageID), log, func() (string, error) {
		return messageID, e.closeForm(ctx, it, messageID)
	})
	if err != nil {
		return fmt.Errorf("delete form %s: %w", messageID, err)
	}
	return nil
}

// permanentError is a job failure that no retry can fix. The queue learns
// so from Retryable, the method Sender errors use to say the same.
type permanentError struct{ err error }

func Permanent(err error) error { return permanentError{err} }

func (p permanentError) Error() string { return p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

// Retryable reports false: running the job again cannot help.
func (p permanentError) Retryable() bool { return false }

// isInteractionJob reports whether kind is a step of an interaction.
func isInteractionJob(kind JobKind) bool {
	return kind == JobSendForm || kind == JobFinish || kind == JobCancel
}

// EnqueueDue enqueues the job for a due-set member that has come due; the
// scheduler calls it for every member whose time has come, on every
// replica, so the member is the job's id (and its task id: replicas racing
// enqueue it once) and the job is idempotent. A member no flow claims can
// never run: the error says so with Retryable false, and the scheduler
// drops it.
func (e *Engine) EnqueueDue(ctx context.Context, member string) error {
	for _, spec := range e.due {
		if strings.HasPrefix(member, spec.DuePrefix) {
			if err := e.deps.Jobs.Enqueue(ctx, spec.Kind, member); err != nil {
				return fmt.Errorf("flows: enqueue %s for %s: %w", spec.Kind, member, err)
			}
			return nil
		}
	}
	return Permanent(fmt.Errorf("flows: due member %q: no flow claims it", member))
}
