package flows

import (
	"context"
	"errors"

	"go.uber.org/zap"

	"github.com/botd/botd/internal/card"
)

// AbandonJob is called by the job queue when a job will not run again: the
// platform refused it for good (bot or member not in the chat, a card it
// will not take) or its retries ran out. The interaction is marked failed
// and, where a card can still be shown, the member is told: their submit
// was answered "created" before the post was tried, so silence would leave
// them believing it. A form that never reached them is told of too: the
// chat refused it (the bot removed, the chat disbanded), so the notice goes
// to their one-to-one chat with the bot (tell).
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
	// Best effort: these calls fail too when the bot has left the chat.
	if from == StatusSubmitted && it.EphemeralMessageID != "" {
		if err := e.closeForm(ctx, it, it.EphemeralMessageID); err != nil {
			log.Warn("cannot remove the form of a failed interaction", zap.Error(err))
		}
	}
	text := msgFormNotShown.In(it.Locale, it.Flow)
	if from == StatusSubmitted {
		text = msgPostFailed.In(it.Locale, it.Flow)
	}
	notice := card.New(card.Header{Title: card.Plain(msgFailed.In(it.Locale)), Template: card.Red}, card.PlainText(text))
	// The form's own place refused the form itself: go straight to p2p.
	if place, err := e.tell(ctx, it, notice, from == StatusSubmitted); err != nil {
		log.Warn("cannot tell the member their interaction failed, anywhere", zap.Error(err))
	} else {
		log.Info("member told their interaction failed", zap.String("told_in", place))
	}
}

// tell shows notice to it's owner: where their form was, else in their
// one-to-one chat with the bot, the one place a card can still reach a
// member of a chat the bot was removed from or that was disbanded. It
// returns where the notice went. formPlaceWorks is false when the form's
// own place just refused the form, so trying it again is pointless.
func (e *Engine) tell(ctx context.Context, it *Interaction, notice *card.Card, formPlaceWorks bool) (string, error) {
	var err error
	switch {
	case !formPlaceWorks:
	case it.FormIn == FormEphemeral:
		if _, err = e.deps.Sender.SendEphemeral(ctx, it.ChatID, it.UserID, notice); err == nil {
			return "ephemeral", nil
		}
	case it.FormIn == FormInChat:
		if _, err = e.deps.Sender.PostCard(ctx, it.ChatID, notice, it.ID+"-failed"); err == nil {
			return "chat", nil
		}
		return "", err // that chat was the one-to-one chat: nowhere else
	}
	if _, perr := e.deps.Sender.SendToUser(ctx, it.UserID, notice, it.ID+"-failed"); perr != nil {
		return "", errors.Join(err, perr)
	}
	return "p2p", nil
}
