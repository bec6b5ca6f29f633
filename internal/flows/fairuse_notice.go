package flows

import (
	"context"
	"strconv"
	"time"

	"github.com/botd/botd/internal/card"
)

// slowDownName is the flow of the "slow down" notice. The ':' keeps it out
// of reach of commands: ParseCommand never yields a name with one.
const slowDownName = "notice:slow-down"

// Form keys of the notice.
const (
	slowDownCap     = "cap"     // "member" or "chat": whose cap refused the command
	slowDownSeconds = "seconds" // until the window passes, rounded up
)

// slowDownFlow is the private notice a member gets on their first command
// refused by fair use in a window. It goes out as their form would have
// (ephemeral in a group, in their chat with the bot otherwise), through the
// send_form job; its Close button deletes it like any form's Cancel.
type slowDownFlow struct{}

func (slowDownFlow) Name() string                           { return slowDownName }
func (slowDownFlow) Describe(locale string) string          { return msgSlowDownTitle.In(locale) }
func (slowDownFlow) Start(*Interaction, Command, time.Time) {}

// Form renders the notice.
func (slowDownFlow) Form(it *Interaction, _ FieldErrors) *card.Card {
	seconds, _ := strconv.Atoi(it.Form[slowDownSeconds])
	text := msgSlowDownMember
	if it.Form[slowDownCap] == "chat" {
		text = msgSlowDownChat
	}
	return card.New(card.Header{Title: card.Plain(msgSlowDownTitle.In(it.Locale)), Template: card.Orange},
		card.PlainText(text.In(it.Locale, max(seconds, 1))),
		CancelButton(it, "close_btn", MsgClose))
}

// slowDown turns it into the notice for a command refused by v.
func slowDown(it *Interaction, v FairUseVerdict) {
	it.Flow = slowDownName
	it.Mentions = nil
	which := "member"
	if v.ChatCap {
		which = "chat"
	}
	it.Form = map[string]string{
		slowDownCap:     which,
		slowDownSeconds: strconv.Itoa(int((v.RetryIn + time.Second - 1) / time.Second)),
	}
}

// countCommand asks the fair-use counter about one command of m. Without
// caps or a counter every command is allowed.
func (e *Engine) countCommand(ctx context.Context, m Message) (FairUseVerdict, error) {
	if e.deps.FairUseCounter == nil || !e.deps.FairUse.On() {
		return FairUseVerdict{Allowed: true}, nil
	}
	return e.deps.FairUseCounter.CountCommand(ctx, m.ChatID, m.SenderID, e.deps.FairUse)
}
