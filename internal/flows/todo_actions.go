package flows

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/botd/botd/internal/card"
)

// HandleCardAction answers Mark done and Reopen on a todo card, and the
// page buttons of /todo list. Only members of the todo's chat may use them
// (refuseNonMember), and then only as mayChange allows.
func (f todoFlow) HandleCardAction(ctx context.Context, a Action) (Answer, error) {
	action, _ := a.Value["action"].(string)
	if action == actionTodoPage {
		return f.page(ctx, a)
	}
	id, _ := a.Value["todo"].(string)
	locale := f.e.deps.DefaultLocale
	if id == "" || (action != actionTodoDone && action != actionTodoReopen) {
		return answer(ToastError, locale, msgUnknownAction), nil
	}
	t, err := f.e.deps.Todos.Todo(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return answer(ToastError, locale, msgUnknownAction), nil
	}
	if err != nil {
		return Answer{}, fmt.Errorf("load todo %s: %w", id, err)
	}
	log := f.e.logTodo(t).With(zap.String("action", action), zap.String("operator_id", a.OperatorID))
	if refusal := f.e.refuseNonMember(ctx, t.ChatID, a.OperatorID, t.CreatorID, t.Locale, log); refusal != nil {
		return *refusal, nil
	}
	if !f.mayChange(ctx, t, a.OperatorID) {
		log.Info("todo action refused: not the assignee, the creator or an admin")
		return answer(ToastError, t.Locale, msgTodoNotAllowed), nil
	}

	want, done, already := TodoOpen, msgTodoReopened, msgTodoAlreadyOpen
	if action == actionTodoDone {
		want, done, already = TodoDone, msgTodoMarkedDone, msgTodoAlreadyDone
	}
	now := f.e.deps.Clock()
	t, changed, err := f.e.updateTodo(ctx, t, func(t *Todo) bool {
		if t.Status == want {
			return false
		}
		t.Status = want
		t.ClosedBy, t.ClosedAt = "", time.Time{}
		if want == TodoDone {
			t.ClosedBy, t.ClosedAt = a.OperatorID, now
		}
		return true
	})
	if err != nil {
		return Answer{}, fmt.Errorf("%s %s: %w", action, id, err)
	}
	// Whatever happened, the answer shows the card as it now is.
	ans := Answer{Card: todoCard(t, f.zone(t.Timezone))}
	if !changed {
		log.Info("todo action without effect", zap.String("status", string(t.Status)))
		ans.Toast = toast(ToastInfo, t.Locale, already)
		return ans, nil
	}
	if err := f.e.deps.Jobs.Enqueue(ctx, JobTodoCard, cardJobID(t.ID, t.Version)); err != nil {
		return Answer{}, fmt.Errorf("%s %s: enqueue %s: %w", action, id, JobTodoCard, err)
	}
	log.Info("todo changed", zap.String("status", string(t.Status)), zap.Int64("version", t.Version))
	ans.Toast = toast(ToastSuccess, t.Locale, done)
	return ans, nil
}

// mayChange: the assignee, the creator and the chat's admins.
func (f todoFlow) mayChange(ctx context.Context, t *Todo, openID string) bool {
	return openID != "" && (openID == t.Assignee || openID == t.CreatorID || f.e.isAdmin(ctx, t.ChatID, openID))
}

// Jobs are the todo records' own jobs.
func (f todoFlow) Jobs() []JobSpec {
	return []JobSpec{
		{Kind: JobTodoCard, Run: f.syncCard},
		{Kind: JobTodoDue, DuePrefix: todoDuePrefix, Run: f.remindDue},
	}
}

// syncCard writes the todo's latest state to its group card.
func (f todoFlow) syncCard(ctx context.Context, jobID string) error {
	id, ok := splitCardJobID(jobID)
	if !ok {
		return permanent(fmt.Errorf("bad job id %q", jobID))
	}
	return f.e.syncCard(ctx, func(ctx context.Context) (rendered, error) {
		t, err := f.e.deps.Todos.Todo(ctx, id)
		if err != nil {
			return rendered{}, fmt.Errorf("load todo: %w", err)
		}
		return rendered{version: t.Version, messageID: t.MessageID, card: todoCard(t, f.zone(t.Timezone))}, nil
	})
}

// remindDue posts the due-date reminder of a todo, mentioning its assignee
// (or its creator when nobody is assigned), unless it is done, its due date
// changed, or a previous run already posted it.
func (f todoFlow) remindDue(ctx context.Context, member string) error {
	rest, _ := strings.CutPrefix(member, todoDuePrefix)
	id, ms, ok := strings.Cut(rest, ":")
	at, err := strconv.ParseInt(ms, 10, 64)
	if !ok || err != nil {
		return permanent(fmt.Errorf("bad due member %q", member))
	}
	t, err := f.e.deps.Todos.Todo(ctx, id)
	if err != nil {
		return fmt.Errorf("load todo: %w", err)
	}
	log := f.e.logTodo(t).With(zap.String("occurrence", member))
	want, ok := f.dueNudgeAt(t)
	switch {
	case t.Status == TodoDone:
		log.Info("due reminder skipped: todo done")
		return nil
	case t.Nudged:
		log.Info("due reminder skipped: already posted")
		return nil
	case !ok || want.UnixMilli() != at:
		log.Info("due reminder skipped: the due date changed")
		return nil
	}
	who := t.Assignee
	if !isOpenID(who) {
		who = t.CreatorID
	}
	c := everyLocale(t.Locale, func(lang string) *card.Card {
		return card.New(card.Header{Title: card.Plain(msgTodoDueTitle.In(lang)), Template: card.Orange},
			card.Markdown{Content: msgTodoDueNudge.In(lang, mention(who))},
			card.PlainText(t.Title))
	})
	msgID, err := f.e.deps.Sender.PostCard(ctx, t.ChatID, c, "tdn-"+t.ID)
	if err != nil {
		return fmt.Errorf("post due reminder: %w", err)
	}
	if _, _, err := f.e.updateTodo(ctx, t, func(t *Todo) bool {
		if t.Nudged {
			return false
		}
		t.Nudged = true
		return true
	}); err != nil {
		return fmt.Errorf("record due reminder: %w", err)
	}
	f.e.deps.ObserveLateness("todo_due", f.e.deps.Clock().Sub(time.UnixMilli(at)))
	log.Info("due reminder posted", zap.String("message_id", msgID))
	return nil
}
