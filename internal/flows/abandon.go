package flows

import (
	"context"

	"go.uber.org/zap"

	"github.com/botd/botd/internal/card"
)

// AbandonJob is called by the job queue when a job will not run again: the
// platform refused it for good (bot or member not in the chat, a card it
// will not take) or its retries ran out. The interaction is marked failed
// and, where a card can still be shown, the member is told: their submit
// was answered "created" before the post was tried, so silence would leave
// them believing it.
//
// A flow's own jobs (reminders, card updates) have no member waiting on a
// form: giving up is logged as an error, for an operator to look at.
func (e *Engine) AbandonJob(ctx context.Context, kind JobKind, interactionID string, cause error) {
	if _, ok := e.jobs[kind]; ok {
		e.log.Error("job abandoned: the platform refused it for good or retries ran out",
			zap.String("job", string(kind)), zap.String("id", interactionID), zap.NamedError("cause", cause))
		return
	}
	it, err := e.load(ctx, interactionID)
	if err != nil {
		e.log.Error("job abandoned; interaction gone", zap.String("job", string(kind)),
			zap.String("interaction_id", interactionID), zap.NamedError("cause", cause), zap.Error(err))
		return
	}
	log := e.logFor(it).With(zap.String("job", string(kind)))
	log.Error("job abandoned: the platform refused it for good or retries ran out", zap.NamedError("cause", cause))
	if kind != JobSendForm && kind != JobFinish {
		return // a cancel's form stays visible; nothing more can be done
	}
	from := it.Status
	it, changed, err := e.update(ctx, it, func(it *Interaction) bool {
		if it.Status != StatusPending && it.Status != StatusSubmitted {
			return false
		}
		it.Status = StatusFailed
		return true
	})
	if err != nil || !changed {
		if err != nil {
			log.Error("cannot mark the interaction failed", zap.Error(err))
		}
		return
	}
	if from != StatusSubmitted {
		return // the form never reached the member: nowhere to tell them
	}
	// Best effort: both calls fail too when the bot has left the chat.
	if it.EphemeralMessageID != "" {
		if err := e.deps.Sender.DeleteEphemeral(ctx, it.EphemeralMessageID); err != nil {
			log.Warn("cannot delete the form of a failed interaction", zap.Error(err))
		}
	}
	notice := card.New(card.Header{Title: card.Plain(msgFailed.In(it.Locale)), Template: card.Red},
		card.PlainText(msgPostFailed.In(it.Locale, it.Flow)))
	if _, err := e.deps.Sender.SendEphemeral(ctx, it.ChatID, it.UserID, notice); err != nil {
		log.Warn("cannot tell the member their card was not posted", zap.Error(err))
		return
	}
	log.Info("member told their card was not posted")
}
