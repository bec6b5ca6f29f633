package flows

import (
	"context"
	"fmt"
	"unicode"

	"go.uber.org/zap"
)

// HandleMessage starts an interaction for a command typed in a group: it
// saves the interaction, pending with its form prefilled, and enqueues the
// job that sends the form. Ordinary chat is ignored. An unknown command gets
// the Catchall flow's hint (/help's: "Unknown command /foo. Try /help"),
// not silence.
//
// Commands work in every kind of chat; the form goes where the chat can
// show it privately (formPlace). A member the flow's rule does not allow
// gets a notice saying who can (mayStart), shown the same way.
//
// Fair use comes first: every command is counted (countCommand) before
// anything else is done for it, the chat lookup included, so a member
// typing commands in a loop costs one Redis round trip per message and no
// Open API call. Over a cap, the first refused command in the window gets
// one private "slow down" notice, shown as the form would have been; the
// rest are dropped silently until the window passes. Nobody is exempt:
// telling the chat's owner and managers apart would take the chat lookup
// the cap is there to avoid, and the caps are far above what a person
// types.
//
// An error means nothing may have been started: the webhook releases its
// claim on the event so that the platform's redelivery tries again.
func (e *Engine) HandleMessage(ctx context.Context, m Message) error {
	var err error
	if m.TenantKey, err = eventTenant(ctx, m.TenantKey); err != nil {
		return Permanent(fmt.Errorf("flows: message %s: %w", m.MessageID, err))
	}
	cmd, flow, ignored := e.command(m)
	if ignored != "" {
		if ce := e.log.Check(zap.DebugLevel, "message ignored: "+ignored); ce != nil {
			ce.Write(zap.String("event_id", m.EventID), zap.String("chat_id", m.ChatID), zap.String("open_id", m.SenderID),
				zap.String("chat_type", m.ChatType), zap.String("sender_type", m.SenderType), zap.String("command", cmd.Name))
		}
		return nil
	}
	log := e.log.With(zap.String("event_id", m.EventID), zap.String("chat_id", m.ChatID), zap.String("open_id", m.SenderID))

	verdict, err := e.countCommand(ctx, m)
	if err != nil {
		return fmt.Errorf("flows: /%s in %s: fair use: %w", cmd.Name, m.ChatID, err)
	}
	if !verdict.Allowed && !verdict.Notify {
		log.Debug("command dropped: over the fair-use cap, notice already sent this window",
			zap.String("command", cmd.Name), zap.Bool("chat_cap", verdict.ChatCap))
		return nil
	}

	place, ok := e.formPlace(ctx, m, log)
	if !ok {
		return nil
	}
	now := e.deps.Clock()
	it := &Interaction{
		ID:              e.deps.NewID(),
		Flow:            flow.Name(),
		TenantKey:       m.TenantKey,
		ChatID:          m.ChatID,
		UserID:          m.SenderID,
		Locale:          e.localeOf(m.Text),
		Timezone:        e.deps.DefaultTimezone.String(),
		Status:          StatusPending,
		FormIn:          place,
		Form:            map[string]string{},
		SourceEventID:   m.EventID,
		SourceMessageID: m.MessageID,
		CreatedAt:       now,
		UpdatedAt:       now,
	}
	if len(cmd.People) > 0 {
		it.Mentions = make(map[string]string, len(cmd.People))
		for _, p := range cmd.People {
			it.Mentions[p.OpenID] = p.Name
		}
	}
	if !verdict.Allowed {
		log.Info("command refused: over the fair-use cap; the member is told once this window",
			zap.String("command", cmd.Name), zap.Bool("chat_cap", verdict.ChatCap), zap.Duration("retry_in", verdict.RetryIn))
		slowDown(it, verdict)
	} else if allowed, rule := e.mayStart(ctx, flow.Name(), m.ChatID, m.SenderID); allowed {
		flow.Start(it, cmd, now.In(e.deps.DefaultTimezone))
	} else {
		log.Info("command refused by the flow's rule", zap.String("flow", flow.Name()), zap.Stringer("rule", rule))
		deny(it, flow.Name(), rule)
	}

	// A retry after a failed enqueue creates a fresh interaction; the one
	// left behind was never shown to anyone and expires in the store.
	if err := e.deps.Store.CreateInteraction(ctx, it); err != nil {
		return fmt.Errorf("flows: /%s in %s: create interaction: %w", cmd.Name, m.ChatID, err)
	}
	if err := e.deps.Jobs.Enqueue(ctx, JobSendForm, it.ID); err != nil {
		return fmt.Errorf("flows: /%s in %s: enqueue %s for %s: %w", cmd.Name, m.ChatID, JobSendForm, it.ID, err)
	}
	log.Info("interaction started", zap.String("interaction_id", it.ID), zap.String("flow", it.Flow), zap.String("command", cmd.Name))
	return nil
}

// localeOf picks the language of an interaction's cards. Messages do not
// carry the user's language, so a command written with Chinese characters
// ("/todo 买牛奶") gets Chinese cards and anything else the default.
func (e *Engine) localeOf(text string) string {
	for _, r := range text {
		if unicode.Is(unicode.Han, r) {
			return LocaleZhCN
		}
	}
	return e.deps.DefaultLocale
}
