package remind

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/botd/botd/internal/card"
	"github.com/botd/botd/internal/flows"
)

// ShareCard implements flows.Sharer: the reminder as it now stands, as a
// JSON 1.0 card in lang, for a chat a member shares it to from the web app.
func (Flow) ShareCard(ctx context.Context, h flows.Host, id, lang string) (*card.V1, error) {
	r, err := reminders(h).Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("load reminder: %w", err)
	}
	return shareCard(r, h.Zone(r.Timezone), lang), nil
}

// shareCard is reminderCardIn (the set card) in JSON 1.0 (§8.3), with the
// next occurrence of a series: the same lines, and Cancel reminder in an
// action module with the set card's value, so a click on the copy is a
// click on the reminder. What to remind of is the member's words: plain
// text, never markdown; and "everyone" is a word, never <at id=all>.
func shareCard(r *Reminder, loc *time.Location, lang string) *card.V1 {
	lines := []string{msgRemindWhen.In(lang, fmtWhen(r.First, loc, lang))}
	if r.Repeat != RepeatOnce {
		lines = append(lines, msgRemindRepeats.In(lang, repeatLabel(r.Repeat, lang)))
		if r.Status == Active && !r.NextDue.IsZero() && !r.NextDue.Equal(r.First) {
			lines = append(lines, msgRemindNext.In(lang, fmtWhen(r.NextDue, loc, lang)))
		}
	}
	who := msgRemindEveryone.In(lang)
	if r.Notify != NotifyGroup {
		who = r.audience()
	}
	lines = append(lines, msgRemindNotifies.In(lang, who))
	header := card.V1Header{Title: card.Plain(msgRemindTitle.In(lang)), Template: card.Blue}
	elements := []card.V1Element{
		card.V1Div{Text: card.Plain(r.What)},
		card.V1Div{Text: card.LarkMD(strings.Join(lines, "\n"))},
	}
	switch r.Status {
	case Cancelled:
		header.Template = card.Grey
		elements = append(elements, card.V1Div{Text: card.LarkMD(
			msgRemindCancelledBy.In(lang, flows.AtMention(r.CancelledBy), flows.FormatStamp(r.CancelledAt, loc)))})
	case Done:
		header.Template = card.Green
		elements = append(elements, card.V1Div{Text: card.LarkMD(msgRemindSentAt.In(lang, flows.FormatStamp(r.LastFired, loc)))})
	default:
		elements = append(elements, card.V1Action{Actions: []card.V1Button{{
			Name: "remind_cancel_btn", Type: card.ButtonDanger, Text: card.Plain(msgRemindCancel.In(lang)),
			Value: remindCancelButton.Value(r.ID, nil),
		}}})
	}
	elements = append(elements, card.V1Note{Elements: []card.Text{card.LarkMD(msgRemindSetBy.In(lang, flows.AtMention(r.CreatorID)))}})
	return card.NewV1(header, elements...)
}
