// Package help is /help: a private card listing every command botd
// runs, and the hint a member gets for a command botd does not know.
package help

import (
	"strings"
	"time"

	"github.com/botd/botd/internal/card"
	"github.com/botd/botd/internal/flows"
)

// name is the flow's name and command.
const name = "help"

// formUnknown is the Form key under which Start records an unknown command.
const formUnknown = "unknown"

// Flow is /help, a card listing every registered command, and the hint for
// an unknown command (it is the engine's flows.Catchall). Neither has
// anything to submit: their one button, Close, is a cancel that deletes
// the card.
type Flow struct {
	registry func() []flows.Flow
}

// New returns /help listing the flows registry returns, in its order (the
// registry: internal/flows/builtin).
func New(registry func() []flows.Flow) Flow { return Flow{registry: registry} }

func (Flow) Name() string                  { return name }
func (Flow) Catchall()                     {}
func (Flow) Describe(locale string) string { return msgHelpDescribe.In(locale) }

// Start notes the command when it is not /help itself: the card is then the
// short hint rather than the list.
func (Flow) Start(it *flows.Interaction, cmd flows.Command, _ time.Time) {
	if cmd.Name != name {
		it.Form[formUnknown] = cmd.Name
	}
}

// Form renders the list of commands, or the hint for an unknown one.
func (h Flow) Form(it *flows.Interaction, _ flows.FieldErrors) *card.Card {
	loc := it.Locale
	closeBtn := flows.CancelButton(it, "close_btn", flows.MsgClose)
	if unknown := it.Form[formUnknown]; unknown != "" {
		// Plain text: the command is whatever the user typed.
		return card.New(card.Header{}, card.PlainText(msgUnknownCommand.In(loc, unknown)), closeBtn)
	}
	var lines []string
	if h.registry != nil {
		for _, f := range h.registry() {
			lines = append(lines, msgHelpLine.In(loc, f.Name(), f.Describe(loc)))
		}
	}
	return card.New(
		card.Header{Title: card.Plain(msgHelpTitle.In(loc)), Template: card.Blue},
		card.Markdown{Content: strings.Join(lines, "\n")},
		closeBtn,
	)
}
