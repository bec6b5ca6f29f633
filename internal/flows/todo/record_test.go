package todo

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/flowtest"
)

// The finish job creates one todo record, even when it runs twice, and
// the card's button names it.
func TestTodoRecordCreatedOnce(t *testing.T) {
	v := newEnv(t)
	it := v.Submit(t, "/todo Buy milk @_user_2", validForm())
	// The job again, as after a crash before the queue saw it finish.
	v.Store.Modify(t, it.ID, func(it *flows.Interaction) { it.Status = flows.StatusSubmitted })
	v.Run(t, flows.JobFinish, it.ID)
	td := todoOf(t, v, it)
	if td.Status != Open || td.Assignee != bobID || td.MessageID == "" || td.Title != "Buy milk" {
		t.Fatalf("todo: %+v", td)
	}
	posts := v.Sender.Only(t, "post")
	if len(posts) != 1 {
		t.Fatalf("%d posts, want 1", len(posts))
	}
	if got := flowtest.ButtonValue(t, posts[0].Card, "todo_done_btn")["todo"]; got != td.ID {
		t.Fatalf("button names %v, want %s", got, td.ID)
	}
}

// Mark done and Reopen: allowed for the assignee, the creator and admins;
// anyone else gets an error and nothing changes. Every change is PATCHed.
func TestTodoDoneReopenPermissions(t *testing.T) {
	v := newEnv(t)
	it := v.Submit(t, "/todo Buy milk @_user_2", validForm())
	c := v.Sender.Only(t, "post")[0].Card

	ans := v.CardClick(t, otherID, c, "todo_done_btn")
	if ans.Toast == nil || ans.Toast.Type != flows.ToastError || ans.Card != nil {
		t.Fatalf("stranger: %+v", ans)
	}
	if td := todoOf(t, v, it); td.Status != Open || td.Version != 2 {
		t.Fatalf("a stranger's click changed the todo: %+v", td)
	}

	ans = v.CardClick(t, bobID, c, "todo_done_btn")
	if ans.Toast.Type != flows.ToastSuccess || !strings.Contains(flowtest.CardText(t, ans.Card), "Done by "+flows.AtMention(bobID)) {
		t.Fatalf("assignee's done: %+v", ans)
	}
	v.Drain(t)
	updates := v.Sender.Only(t, "update")
	if len(updates) != 1 || !flowtest.HasButton(t, updates[0].Card, "todo_reopen_btn") {
		t.Fatalf("PATCH after done: %d updates", len(updates))
	}
	if updates[0].ID != todoOf(t, v, it).MessageID {
		t.Errorf("PATCHed %s, the card is %s", updates[0].ID, todoOf(t, v, it).MessageID)
	}
	if again := v.CardClick(t, userID, c, "todo_done_btn"); again.Toast.Type != flows.ToastInfo {
		t.Errorf("done twice: %+v", again.Toast)
	}

	ans = v.CardClick(t, userID, ans.Card, "todo_reopen_btn") // the creator
	if ans.Toast.Type != flows.ToastSuccess || !flowtest.HasButton(t, ans.Card, "todo_done_btn") {
		t.Fatalf("creator's reopen: %+v", ans)
	}
	v.Admins[otherID] = true
	if ans = v.CardClick(t, otherID, ans.Card, "todo_done_btn"); ans.Toast.Type != flows.ToastSuccess {
		t.Fatalf("admin's done: %+v", ans.Toast)
	}
	if td := todoOf(t, v, it); td.Status != Done || td.ClosedBy != otherID {
		t.Fatalf("after admin: %+v", td)
	}
}

// Many members clicking Mark done and Reopen at once: every click is
// answered, no update is lost (the version counts exactly the clicks that
// changed something), and the last PATCH shows the final state.
func TestTodoConcurrentClicks(t *testing.T) {
	v := newEnv(t)
	v.Jobs.Inline(nil)
	it := v.Submit(t, "/todo Buy milk @_user_2", validForm())
	c := v.Sender.Only(t, "post")[0].Card
	done, reopen := flowtest.ButtonValue(t, c, "todo_done_btn"), map[string]any{"flow": "todo", "action": actionTodoReopen, "todo": ID(it.ID)}
	start := todoOf(t, v, it).Version

	var wg sync.WaitGroup
	var mu sync.Mutex
	changes := 0
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			value, op := done, bobID
			if i%2 == 1 {
				value, op = reopen, userID
			}
			ans, err := v.E.HandleAction(context.Background(), flows.Action{OperatorID: op, ChatID: chatID, Value: value})
			if err != nil {
				t.Errorf("click %d: %v", i, err)
				return
			}
			if ans.Toast.Type == flows.ToastSuccess {
				mu.Lock()
				changes++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	td := todoOf(t, v, it)
	if int(td.Version-start) != changes {
		t.Fatalf("version moved %d, %d clicks changed something: an update was lost", td.Version-start, changes)
	}
	v.Drain(t)
	updates := v.Sender.Only(t, "update")
	last := flowtest.CardText(t, updates[len(updates)-1].Card)
	if want := flowtest.CardText(t, todoCard(td, mustZone(t, "Asia/Shanghai"))); last != want {
		t.Fatalf("the last PATCH does not show the final state %s:\n%s", td.Status, last)
	}
}

// /todo list: the chat's open todos, newest first, ten a page, with Next
// and Previous; done todos are not listed.
func TestTodoList(t *testing.T) {
	v := newEnv(t)
	var its []*flows.Interaction
	for i := range 12 {
		form := validForm()
		form["title"] = fmt.Sprintf("Todo %02d", i)
		its = append(its, v.Submit(t, "/todo x", form))
	}
	v.CardClick(t, userID, v.Sender.Only(t, "post")[0].Card, "todo_done_btn") // Todo 00 is done
	list := v.Start(t, "/todo list")
	v.Drain(t)
	sent := v.Sender.Only(t, "send")
	page1 := flowtest.CardText(t, sent[len(sent)-1].Card)
	for _, want := range []string{"Open todos (11)", "Todo 11", "Todo 02", "Page 1 of 2", "todo_next_btn", "close_btn"} {
		if !strings.Contains(page1, want) {
			t.Errorf("page 1 lacks %q", want)
		}
	}
	if strings.Contains(page1, "Todo 01") || strings.Contains(page1, "todo_prev_btn") {
		t.Error("page 1 shows what belongs to page 2")
	}
	ans := v.CardClick(t, userID, sent[len(sent)-1].Card, "todo_next_btn")
	page2 := flowtest.CardText(t, ans.Card)
	if !strings.Contains(page2, "Todo 01") || strings.Contains(page2, "Todo 00") || !strings.Contains(page2, "todo_prev_btn") {
		t.Errorf("page 2:\n%s", page2)
	}
	if back := v.CardClick(t, userID, ans.Card, "todo_prev_btn"); !strings.Contains(flowtest.CardText(t, back.Card), "Todo 11") {
		t.Error("Previous does not go back to page 1")
	}
	// Close deletes the list like any form.
	v.CardClick(t, userID, ans.Card, "close_btn")
	v.Drain(t)
	if got := v.Store.Get(t, list.ID); got.Status != flows.StatusCancelled {
		t.Errorf("list after close: %s", got.Status)
	}
	_ = its
}

// On its due date at 09:00 the assignee is reminded, once, unless the todo
// is done by then.
func TestTodoDueReminder(t *testing.T) {
	v := newEnv(t)
	it := v.Submit(t, "/todo Buy milk", validForm()) // due 2024-11-15
	other := validForm()
	other["title"] = "Done early"
	done := v.Submit(t, "/todo Done early", other)
	v.CardClick(t, bobID, v.Sender.Only(t, "post")[1].Card, "todo_done_btn")

	v.Clock.Advance(16*time.Hour + 59*time.Minute) // 2024-11-15 08:59 in Shanghai
	v.RunDue(t)
	if n := len(v.Sender.Only(t, "post")); n != 2 {
		t.Fatalf("%d posts before 09:00", n)
	}
	v.Clock.Advance(time.Minute)
	v.RunDue(t)
	posts := v.Sender.Only(t, "post")
	if len(posts) != 3 {
		t.Fatalf("%d posts at 09:00, want one due reminder", len(posts))
	}
	nudge := flowtest.CardText(t, posts[2].Card)
	if !strings.Contains(nudge, flows.AtMention(bobID)+" this todo is due today") || !strings.Contains(nudge, "Buy milk") {
		t.Errorf("due reminder:\n%s", nudge)
	}
	if !todoOf(t, v, it).Nudged || todoOf(t, v, done).Nudged {
		t.Error("nudged flags wrong")
	}
	v.Run(t, JobDue, todoDueMember(ID(it.ID), time.Date(2024, 11, 15, 1, 0, 0, 0, time.UTC)))
	if n := len(v.Sender.Only(t, "post")); n != 3 {
		t.Fatalf("the due reminder was posted twice")
	}
}
