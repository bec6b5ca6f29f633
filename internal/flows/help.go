package flows

import (
	"strings"
	"time"

	"github.com/botd/botd/internal/card"
)

// helpName is the help flow's name; the engine also sends it every command
// it does not know.
const helpName = "help"

// helpUnknown is the Form key under which Start records an unknown command.
const helpUnknown = "unknown"

// helpFlow is /help, a card listing every registered command, and the hint
// for an unknown command. Neither has anything to submit: their one button,
// Close, is a cancel that deletes the card.
type helpFlow struct {
	flows func() []Flow // the engine's registry, read when the card is rendered
}

func (helpFlow) Name() string                  { return helpName }
func (helpFlow) Describe(locale string) string { return msgHelpDescribe.In(locale) }

// Start notes the command when it is not /help itself: the card is then the
// short hint rather than the list.
func (helpFlow) Start(it *Interaction, cmd Command, _ time.Time) {
	if cmd.Name != helpName {
		it.Form[helpUnknown] = cmd.Name
	}
}

// Form renders the list of commands, or the hint for an unknown one.
func (h helpFlow) Form(it *Interaction, _ FieldErrors) *card.Card {
	loc := it.Locale
	closeBtn := cancelButton(it, "close_btn", msgClose)
	if denied := it.Form[helpDenied]; denied != "" {
		return deniedNotice(it, denied, closeBtn)
	}
	if unknown := it.Form[helpUnknown]; unknown != "" {
		// Plain text: the command is whatever the user typed.
		return card.New(card.Header{}, card.PlainText(msgUnknownCommand.In(loc, unknown)), closeBtn)
	}
	var lines []string
	for _, f := range h.flows() {
		lines = append(lines, msgHelpLine.In(loc, f.Name(), f.Describe(loc)))
	}
	return card.New(
		card.Header{Title: card.Plain(msgHelpTitle.In(loc)), Template: card.Blue},
		card.Markdown{Content: strings.Join(lines, "\n")},
		closeBtn,
	)
}

// deniedNotice tells a member who may start the flow they were refused.
// Listed members are @mentioned (in a card only the member sees, a mention
// shows the name and notifies nobody).
func deniedNotice(it *Interaction, flow string, closeBtn card.Button) *card.Card {
	loc := it.Locale
	text := msgDeniedAdmins.In(loc, flow)
	if ids := it.Form[helpDeniedMembers]; ids != "" {
		text = msgDeniedMembers.In(loc, flow, mentions(strings.Split(ids, ",")))
	}
	return card.New(card.Header{}, card.Markdown{Content: text}, closeBtn)
}
