package todo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/botd/botd/internal/card"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/platformid"
)

// todoPageSize is how many todos one page of /todo list shows: ten todos
// are at most thirty components, far below the 200 a card may hold.
const todoPageSize = 10

// isListWord reports whether the arguments of /todo ask for the list.
func isListWord(args string) bool {
	switch strings.ToLower(args) {
	case "list", "ls", "列表", "清单":
		return true
	}
	return false
}

// LoadForm renders the first page of /todo list; any other /todo gets its
// form.
func (f Flow) LoadForm(ctx context.Context, h flows.Host, it *flows.Interaction) (*card.Card, error) {
	if it.Form[todoMode] != todoModeList {
		return f.Form(it, nil), nil
	}
	return f.listCard(ctx, h, it.ChatID, it.ID, it.Locale, 0)
}

// maxListPage bounds the page a button may ask for: far beyond any real
// list, and small enough that page*todoPageSize cannot overflow.
const maxListPage = 10000

// page answers Previous and Next with the page asked for, replacing the
// ephemeral card.
//
// The chat whose todos are shown is the list's interaction's, never a value
// of the callback: the value names only the list and the page. Only members
// of that chat may page (refuseNonMember): in a topic group the list is an
// ordinary card in the member's chat with the bot, which can be forwarded.
//
// Replacing an ephemeral card through the callback's answer is not
// documented either way (§7.3, §9.5); deleting it and sending a new one is.
// botd answers with the card (JSON 2.0 replacing JSON 2.0) because it is
// instant and costs no Open API call, and because the form flow already
// relies on the same behaviour to show errors beside their fields. The
// toast names the page, so a client that ignored the card still says
// something true.
func (f Flow) page(ctx context.Context, h flows.Host, c flows.Click) (flows.Answer, error) {
	listID := c.Target
	page, err := strconv.Atoi(c.Args["page"])
	if err != nil || page < 0 || page > maxListPage {
		return flows.ToastAnswer(flows.ToastError, h.DefaultLocale(), flows.MsgUnknownAction), nil
	}
	it, err := h.Interaction(ctx, listID)
	if errors.Is(err, flows.ErrNotFound) {
		return flows.ToastAnswer(flows.ToastError, h.DefaultLocale(), flows.MsgUnknownAction), nil
	}
	if err != nil {
		return flows.Answer{}, err
	}
	log := h.Logger().With(zap.String("interaction_id", it.ID), zap.String("flow", it.Flow), zap.String("chat_id", it.ChatID),
		zap.String("open_id", it.UserID), zap.String("action", actionTodoPage), zap.String("operator_id", c.OperatorID))
	if it.Flow != f.Name() || it.Form[todoMode] != todoModeList {
		// Some other interaction's id: it names a chat, but no list of it.
		log.Info("page refused: not a /todo list")
		return flows.ToastAnswer(flows.ToastError, h.DefaultLocale(), flows.MsgUnknownAction), nil
	}
	if refusal := h.RefuseNonMember(ctx, it.ChatID, c.OperatorID, it.UserID, it.Locale, log); refusal != nil {
		return *refusal, nil
	}
	card, err := f.listCard(ctx, h, it.ChatID, it.ID, it.Locale, page)
	if err != nil {
		return flows.Answer{}, err
	}
	return flows.Answer{Card: card}, nil
}

// listCard renders one page of the chat's open todos, newest first. list is
// the interaction that shows it, whose Close button deletes the card.
func (f Flow) listCard(ctx context.Context, h flows.Host, chatID, list, locale string, page int) (*card.Card, error) {
	open, total, err := todos(h).List(ctx, openTodosIndex(chatID), page*todoPageSize, todoPageSize)
	if err != nil {
		return nil, fmt.Errorf("list open todos of %s: %w", chatID, err)
	}
	pages := max(1, (total+todoPageSize-1)/todoPageSize)
	var elements []card.Element
	if total == 0 {
		elements = append(elements, card.PlainText(msgTodoListEmpty.In(locale)))
	}
	for i, t := range open {
		if i > 0 {
			elements = append(elements, card.Divider{})
		}
		// The title is the user's words: plain text (see todoCard).
		elements = append(elements, card.PlainText(t.Title))
		assignee := msgTodoListNoAssignee.In(locale)
		if platformid.IsOpenID(t.Assignee) {
			assignee = msgTodoAssignee.In(locale, flows.AtMention(t.Assignee))
		}
		line := assignee
		if t.Due != "" {
			line += " · " + msgTodoDue.In(locale, t.Due)
		}
		elements = append(elements, card.Markdown{Content: line, TextSize: "notation"})
	}
	if pages > 1 {
		elements = append(elements, card.Markdown{Content: msgTodoListPage.In(locale, page+1, pages), TextSize: "notation"})
	}
	value := func(p int) map[string]any {
		// The list (an interaction) holds the chat and the language: a
		// value names nothing a forged click could point elsewhere.
		return todoPageButton.Value(list, map[string]string{"page": strconv.Itoa(p)})
	}
	var nav []card.Column
	if page > 0 {
		nav = append(nav, card.Column{Width: "auto", Elements: []card.Element{card.Button{Name: "todo_prev_btn",
			Text: card.Plain(msgTodoListPrev.In(locale)), Behaviors: card.Callback(value(page - 1))}}})
	}
	if page+1 < pages {
		nav = append(nav, card.Column{Width: "auto", Elements: []card.Element{card.Button{Name: "todo_next_btn",
			Text: card.Plain(msgTodoListNext.In(locale)), Behaviors: card.Callback(value(page + 1))}}})
	}
	if list != "" {
		closeBtn := flows.CancelButton(&flows.Interaction{ID: list, Flow: "todo", Locale: locale}, "close_btn", flows.MsgClose)
		nav = append(nav, card.Column{Width: "auto", Elements: []card.Element{closeBtn}})
	}
	if len(nav) > 0 {
		elements = append(elements, card.ColumnSet{Columns: nav})
	}
	return card.New(card.Header{Title: card.Plain(msgTodoListTitle.In(locale, total)), Template: card.Blue}, elements...), nil
}
