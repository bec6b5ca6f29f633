package todo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/botd/botd/internal/card"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/platformid"
)

// ShareCard implements flows.Sharer: the todo as it now stands, as a JSON
// 1.0 card in lang, for a chat a member shares it to from the web app.
func (Flow) ShareCard(ctx context.Context, h flows.Host, id, lang string) (*card.V1, error) {
	t, err := todos(h).Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("load todo: %w", err)
	}
	return shareCard(t, h.Zone(t.Timezone), lang), nil
}

// shareCard is todoCardIn in JSON 1.0 (docs/feishu-platform.md §8.3): the
// same lines, and the same button in an action module with the same value,
// so a click on the copy is a click on the todo. The title and notes are
// the member's words: plain text, never markdown.
func shareCard(t *Todo, loc *time.Location, lang string) *card.V1 {
	header := card.V1Header{Title: card.Plain(t.Title), Template: card.Blue}
	var lines []string
	if platformid.IsOpenID(t.Assignee) {
		lines = append(lines, msgTodoAssignee.In(lang, flows.AtMention(t.Assignee)))
	}
	if t.Due != "" {
		lines = append(lines, msgTodoDue.In(lang, t.Due))
	}
	var elements []card.V1Element
	if len(lines) > 0 {
		elements = append(elements, card.V1Div{Text: card.LarkMD(strings.Join(lines, "\n"))})
	}
	if t.Notes != "" {
		elements = append(elements, card.V1Div{Text: card.Plain(t.Notes)})
	}
	button := card.V1Button{Name: "todo_done_btn", Type: card.ButtonPrimary, Text: card.Plain(msgTodoMarkDone.In(lang)),
		Value: todoDoneButton.Value(t.ID, nil)}
	if t.Status == Done {
		header.Template = card.Green
		elements = append(elements, card.V1Div{Text: card.LarkMD(
			msgTodoDoneBy.In(lang, flows.AtMention(t.ClosedBy), flows.FormatStamp(t.ClosedAt, loc)))})
		button = card.V1Button{Name: "todo_reopen_btn", Type: card.ButtonDefault, Text: card.Plain(msgTodoReopen.In(lang)),
			Value: todoReopenButton.Value(t.ID, nil)}
	}
	elements = append(elements,
		card.V1Action{Actions: []card.V1Button{button}},
		card.V1Note{Elements: []card.Text{card.LarkMD(msgTodoCreatedBy.In(lang, flows.AtMention(t.CreatorID)))}},
	)
	return card.NewV1(header, elements...)
}
