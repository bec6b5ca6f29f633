package flows

import (
	"context"

	"go.uber.org/zap"

	"github.com/botd/botd/internal/card"
)

// Where a form is shown (Interaction.FormIn). Only ordinary groups have
// ephemeral cards (docs/feishu-platform.md §6.2, §7): elsewhere the form is
// an ordinary card in a chat only its owner reads.
const (
	FormEphemeral = ""        // an ephemeral card in the group (ordinary groups)
	FormInChat    = "chat"    // an ordinary card in ChatID, a one-to-one chat with the bot
	FormToUser    = "to_user" // an ordinary card in the owner's one-to-one chat with the bot (topic groups)
)

// formPlace decides where the form of a command typed in m's chat goes,
// from the message's chat type and, for groups, the chat's mode (cached
// chat info), rather than waiting for the platform to refuse an ephemeral
// card. ok is false when nothing can be shown (a disbanded chat).
func (e *Engine) formPlace(ctx context.Context, m Message, log *zap.Logger) (place string, ok bool) {
	if m.ChatType == ChatModeP2P {
		return FormInChat, true
	}
	ch := e.chatInfo(ctx, m.ChatID)
	switch {
	case ch == nil:
		// Unknown: try the ordinary group's ephemeral card; a refusal is a
		// permanent error and the member is told (AbandonJob).
		return FormEphemeral, true
	case ch.Status != "" && ch.Status != "normal":
		log.Info("message ignored: chat is disbanded", zap.String("chat_status", ch.Status))
		return "", false
	case ch.Mode == ChatModeTopic:
		return FormToUser, true
	case ch.Mode == ChatModeP2P:
		return FormInChat, true
	}
	return FormEphemeral, true
}

// showForm sends c where it's form lives and returns its message id. The
// ordinary messages carry a uuid, so a retried send posts once.
func (e *Engine) showForm(ctx context.Context, it *Interaction, c *card.Card) (string, error) {
	switch it.FormIn {
	case FormInChat:
		return e.deps.Sender.PostCard(ctx, it.ChatID, c, it.ID+"-form")
	case FormToUser:
		return e.deps.Sender.SendToUser(ctx, it.UserID, c, it.ID+"-form")
	}
	return e.deps.Sender.SendEphemeral(ctx, it.ChatID, it.UserID, c)
}

// closeForm removes a form from view: an ephemeral card is deleted (a
// repeated delete is harmless); an ordinary message cannot be, so it is
// replaced by a one-line card saying how the form ended.
func (e *Engine) closeForm(ctx context.Context, it *Interaction, messageID string) error {
	if it.FormIn == FormEphemeral {
		return e.deps.Sender.DeleteEphemeral(ctx, messageID)
	}
	return e.deps.Sender.UpdateCard(ctx, messageID, closedForm(it, e.flows[it.Flow]))
}

// closedForm is what a form that lives in an ordinary message becomes once
// its interaction has ended.
func closedForm(it *Interaction, flow Flow) *card.Card {
	m := msgFormSubmitted
	switch it.Status {
	case StatusCancelled:
		m = cancelMsg(flow)
	case StatusFailed:
		m = msgFailed
	}
	return card.New(card.Header{}, card.PlainText(m.In(it.Locale)))
}

// where names, for a log line, where it's form lives.
func where(it *Interaction) zap.Field {
	if it.FormIn == FormEphemeral {
		return zap.String("form_in", "ephemeral")
	}
	return zap.String("form_in", it.FormIn)
}
