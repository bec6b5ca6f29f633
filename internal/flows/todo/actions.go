package todo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/botd/botd/internal/card"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/platformid"
)

// The buttons of the todo card and of /todo list. Their values are the
// ones posted since todos existed.
var (
	todoDoneButton   = flows.CallbackSpec{Flow: "todo", Action: actionTodoDone, Target: "todo"}
	todoReopenButton = flows.CallbackSpec{Flow: "todo", Action: actionTodoReopen, Target: "todo"}
	todoPageButton   = flows.CallbackSpec{Flow: "todo", Action: actionTodoPage, Target: "list", Args: []string{"page"}}
)

// Routes are Mark done and Reopen on a todo card, and the page buttons of
// /todo list.
func (f Flow) Routes() []flows.Route {
	return []flows.Route{
		{Spec: todoDoneButton, Handle: f.markDone},
		{Spec: todoReopenButton, Handle: f.reopen},
		{Spec: todoPageButton, Handle: f.page},
	}
}

func (f Flow) markDone(ctx context.Context, h flows.Host, c flows.Click) (flows.Answer, error) {
	return f.setStatus(ctx, h, c, Done)
}

func (f Flow) reopen(ctx context.Context, h flows.Host, c flows.Click) (flows.Answer, error) {
	return f.setStatus(ctx, h, c, Open)
}

// setStatus answers Mark done and Reopen. Only members of the todo's chat
// may use them (RefuseNonMember), and then only as mayChange allows.
func (f Flow) setStatus(ctx context.Context, h flows.Host, c flows.Click, want Status) (flows.Answer, error) {
	id := c.Target
	t, err := todos(h).Get(ctx, id)
	if errors.Is(err, flows.ErrNotFound) {
		return flows.ToastAnswer(flows.ToastError, h.DefaultLocale(), flows.MsgUnknownAction), nil
	}
	if err != nil {
		return flows.Answer{}, fmt.Errorf("load todo %s: %w", id, err)
	}
	log := logTodo(h, t).With(zap.String("action", c.Action), zap.String("operator_id", c.OperatorID))
	if refusal := h.RefuseNonMember(ctx, t.ChatID, c.OperatorID, t.CreatorID, t.Locale, log); refusal != nil {
		return *refusal, nil
	}
	if !f.mayChange(ctx, h, t, c.OperatorID) {
		log.Info("todo action refused: not the assignee, the creator or an admin")
		return flows.ToastAnswer(flows.ToastError, t.Locale, msgTodoNotAllowed), nil
	}

	done, already := msgTodoReopened, msgTodoAlreadyOpen
	if want == Done {
		done, already = msgTodoMarkedDone, msgTodoAlreadyDone
	}
	now := h.Now()
	t, changed, err := todos(h).Update(ctx, t, func(t *Todo) bool {
		if t.Status == want {
			return false
		}
		t.Status = want
		t.ClosedBy, t.ClosedAt = "", time.Time{}
		if want == Done {
			t.ClosedBy, t.ClosedAt = c.OperatorID, now
		}
		return true
	})
	if err != nil {
		return flows.Answer{}, fmt.Errorf("%s %s: %w", c.Action, id, err)
	}
	// Whatever happened, the answer shows the card as it now is.
	ans := flows.Answer{Card: todoCard(t, h.Zone(t.Timezone))}
	if !changed {
		log.Info("todo action without effect", zap.String("status", string(t.Status)))
		ans.Toast = flows.NewToast(flows.ToastInfo, t.Locale, already)
		return ans, nil
	}
	if err := h.Enqueue(ctx, JobCard, flows.CardJobID(t.ID, t.Version)); err != nil {
		return flows.Answer{}, fmt.Errorf("%s %s: enqueue %s: %w", c.Action, id, JobCard, err)
	}
	log.Info("todo changed", zap.String("status", string(t.Status)), zap.Int64("version", t.Version))
	ans.Toast = flows.NewToast(flows.ToastSuccess, t.Locale, done)
	return ans, nil
}

// mayChange: the assignee, the creator and the chat's admins.
func (Flow) mayChange(ctx context.Context, h flows.Host, t *Todo, openID string) bool {
	return mayChangeBy(t, openID, func() bool { return h.IsAdmin(ctx, t.ChatID, openID) })
}

// mayChangeBy is mayChange with the admin check as a function, asked only
// when the member is neither the assignee nor the creator (the web app
// lists many todos and asks it for each).
func mayChangeBy(t *Todo, openID string, isAdmin func() bool) bool {
	return openID != "" && (openID == t.Assignee || openID == t.CreatorID || isAdmin())
}

// Jobs are the todo records' own jobs.
func (f Flow) Jobs() []flows.JobSpec {
	return []flows.JobSpec{
		// Card updates after a click: the member who clicked is watching.
		{Kind: JobCard, Priority: flows.PriorityInteractive, MaxRetry: 15, Run: f.syncCard},
		// The due-date nudge: nobody is watching it live, so it uses the
		// bulk share of the quota and is paced, never dropped; failures
		// retry for over an hour.
		{Kind: JobDue, Priority: flows.PriorityBulk, MaxRetry: 25, DuePrefix: todoDuePrefix, Run: f.remindDue},
	}
}

// syncCard writes the todo's latest state to its group card.
func (f Flow) syncCard(ctx context.Context, h flows.Host, jobID string) error {
	id, ok := flows.SplitCardJobID(jobID)
	if !ok {
		return flows.Permanent(fmt.Errorf("bad job id %q", jobID))
	}
	return flows.SyncCard(ctx, h, func(ctx context.Context) (flows.Rendered, error) {
		t, err := todos(h).Get(ctx, id)
		if err != nil {
			return flows.Rendered{}, fmt.Errorf("load todo: %w", err)
		}
		return flows.Rendered{Version: t.Version, MessageID: t.MessageID, Card: todoCard(t, h.Zone(t.Timezone))}, nil
	})
}

// remindDue posts the due-date reminder of a todo, mentioning its assignee
// (or its creator when nobody is assigned), unless it is done, its due date
// changed, or a previous run already posted it.
func (f Flow) remindDue(ctx context.Context, h flows.Host, member string) error {
	rest, _ := strings.CutPrefix(member, todoDuePrefix)
	id, ms, ok := strings.Cut(rest, ":")
	at, err := strconv.ParseInt(ms, 10, 64)
	if !ok || err != nil {
		return flows.Permanent(fmt.Errorf("bad due member %q", member))
	}
	t, err := todos(h).Get(ctx, id)
	if err != nil {
		return fmt.Errorf("load todo: %w", err)
	}
	log := logTodo(h, t).With(zap.String("occurrence", member))
	want, ok := dueNudgeAt(t, h.Zone(t.Timezone))
	switch {
	case t.Status == Done:
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
	if !platformid.IsOpenID(who) {
		who = t.CreatorID
	}
	c := flows.EveryLocale(t.Locale, func(lang string) *card.Card {
		return card.New(card.Header{Title: card.Plain(msgTodoDueTitle.In(lang)), Template: card.Orange},
			card.Markdown{Content: msgTodoDueNudge.In(lang, flows.AtMention(who))},
			card.PlainText(t.Title))
	})
	msgID, err := h.PostCard(ctx, t.ChatID, c, "tdn-"+t.ID)
	if err != nil {
		return fmt.Errorf("post due reminder: %w", err)
	}
	if _, _, err := todos(h).Update(ctx, t, func(t *Todo) bool {
		if t.Nudged {
			return false
		}
		t.Nudged = true
		return true
	}); err != nil {
		return fmt.Errorf("record due reminder: %w", err)
	}
	h.ObserveLateness("todo_due", h.Now().Sub(time.UnixMilli(at)))
	log.Info("due reminder posted", zap.String("message_id", msgID))
	return nil
}
