package flows

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// todoOf returns the todo an interaction created.
func (v *env) todoOf(t *testing.T, it *Interaction) *Todo {
	t.Helper()
	td, err := v.store.Todo(context.Background(), todoID(it.ID))
	if err != nil {
		t.Fatalf("todo of %s: %v", it.ID, err)
	}
	return td
}

// The finish job creates one todo record, even when it runs twice, and
// the card's button names it.
func TestTodoRecordCreatedOnce(t *testing.T) {
	v := newEnv(t)
	it := v.submit(t, "/todo Buy milk @_user_2", validForm())
	// The job again, as after a crash before the queue saw it finish.
	v.store.modify(t, it.ID, func(it *Interaction) { it.Status = StatusSubmitted })
	v.run(t, JobFinish, it.ID)
	td := v.todoOf(t, it)
	if td.Status != TodoOpen || td.Assignee != bobID || td.MessageID == "" || td.Title != "Buy milk" {
		t.Fatalf("todo: %+v", td)
	}
	posts := v.sender.only(t, "post")
	if len(posts) != 1 {
		t.Fatalf("%d posts, want 1", len(posts))
	}
	if got := buttonValue(t, posts[0].Card, "todo_done_btn")["todo"]; got != td.ID {
		t.Fatalf("button names %v, want %s", got, td.ID)
	}
}

// Mark done and Reopen: allowed for the assignee, the creator and admins;
// anyone else gets an error and nothing changes. Every change is PATCHed.
func TestTodoDoneReopenPermissions(t *testing.T) {
	v := newEnv(t)
	it := v.submit(t, "/todo Buy milk @_user_2", validForm())
	c := v.sender.only(t, "post")[0].Card

	ans := v.cardClick(t, otherID, c, "todo_done_btn")
	if ans.Toast == nil || ans.Toast.Type != ToastError || ans.Card != nil {
		t.Fatalf("stranger: %+v", ans)
	}
	if td := v.todoOf(t, it); td.Status != TodoOpen || td.Version != 2 {
		t.Fatalf("a stranger's click changed the todo: %+v", td)
	}

	ans = v.cardClick(t, bobID, c, "todo_done_btn")
	if ans.Toast.Type != ToastSuccess || !strings.Contains(cardText(t, ans.Card), "Done by "+mention(bobID)) {
		t.Fatalf("assignee's done: %+v", ans)
	}
	v.drain(t)
	updates := v.sender.only(t, "update")
	if len(updates) != 1 || !hasButton(t, updates[0].Card, "todo_reopen_btn") {
		t.Fatalf("PATCH after done: %d updates", len(updates))
	}
	if updates[0].ID != v.todoOf(t, it).MessageID {
		t.Errorf("PATCHed %s, the card is %s", updates[0].ID, v.todoOf(t, it).MessageID)
	}
	if again := v.cardClick(t, userID, c, "todo_done_btn"); again.Toast.Type != ToastInfo {
		t.Errorf("done twice: %+v", again.Toast)
	}

	ans = v.cardClick(t, userID, ans.Card, "todo_reopen_btn") // the creator
	if ans.Toast.Type != ToastSuccess || !hasButton(t, ans.Card, "todo_done_btn") {
		t.Fatalf("creator's reopen: %+v", ans)
	}
	v.admins[otherID] = true
	if ans = v.cardClick(t, otherID, ans.Card, "todo_done_btn"); ans.Toast.Type != ToastSuccess {
		t.Fatalf("admin's done: %+v", ans.Toast)
	}
	if td := v.todoOf(t, it); td.Status != TodoDone || td.ClosedBy != otherID {
		t.Fatalf("after admin: %+v", td)
	}
}

// Many members clicking Mark done and Reopen at once: every click is
// answered, no update is lost (the version counts exactly the clicks that
// changed something), and the last PATCH shows the final state.
func TestTodoConcurrentClicks(t *testing.T) {
	v := newEnv(t)
	v.jobs.inline = nil
	it := v.submit(t, "/todo Buy milk @_user_2", validForm())
	c := v.sender.only(t, "post")[0].Card
	done, reopen := buttonValue(t, c, "todo_done_btn"), map[string]any{"flow": "todo", "action": actionTodoReopen, "todo": todoID(it.ID)}
	start := v.todoOf(t, it).Version

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
			ans, err := v.e.HandleAction(context.Background(), Action{OperatorID: op, ChatID: chatID, Value: value})
			if err != nil {
				t.Errorf("click %d: %v", i, err)
				return
			}
			if ans.Toast.Type == ToastSuccess {
				mu.Lock()
				changes++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	td := v.todoOf(t, it)
	if int(td.Version-start) != changes {
		t.Fatalf("version moved %d, %d clicks changed something: an update was lost", td.Version-start, changes)
	}
	v.drain(t)
	updates := v.sender.only(t, "update")
	last := cardText(t, updates[len(updates)-1].Card)
	if want := cardText(t, todoCard(td, mustZone(t, "Asia/Shanghai"))); last != want {
		t.Fatalf("the last PATCH does not show the final state %s:\n%s", td.Status, last)
	}
}

// /todo list: the chat's open todos, newest first, ten a page, with Next
// and Previous; done todos are not listed.
func TestTodoList(t *testing.T) {
	v := newEnv(t)
	var its []*Interaction
	for i := range 12 {
		form := validForm()
		form["title"] = fmt.Sprintf("Todo %02d", i)
		its = append(its, v.submit(t, "/todo x", form))
	}
	v.cardClick(t, userID, v.sender.only(t, "post")[0].Card, "todo_done_btn") // Todo 00 is done
	list := v.start(t, "/todo list")
	v.drain(t)
	sent := v.sender.only(t, "send")
	page1 := cardText(t, sent[len(sent)-1].Card)
	for _, want := range []string{"Open todos (11)", "Todo 11", "Todo 02", "Page 1 of 2", "todo_next_btn", "close_btn"} {
		if !strings.Contains(page1, want) {
			t.Errorf("page 1 lacks %q", want)
		}
	}
	if strings.Contains(page1, "Todo 01") || strings.Contains(page1, "todo_prev_btn") {
		t.Error("page 1 shows what belongs to page 2")
	}
	ans := v.cardClick(t, userID, sent[len(sent)-1].Card, "todo_next_btn")
	page2 := cardText(t, ans.Card)
	if !strings.Contains(page2, "Todo 01") || strings.Contains(page2, "Todo 00") || !strings.Contains(page2, "todo_prev_btn") {
		t.Errorf("page 2:\n%s", page2)
	}
	if back := v.cardClick(t, userID, ans.Card, "todo_prev_btn"); !strings.Contains(cardText(t, back.Card), "Todo 11") {
		t.Error("Previous does not go back to page 1")
	}
	// Close deletes the list like any form.
	v.cardClick(t, userID, ans.Card, "close_btn")
	v.drain(t)
	if got := v.store.get(t, list.ID); got.Status != StatusCancelled {
		t.Errorf("list after close: %s", got.Status)
	}
	_ = its
}

// On its due date at 09:00 the assignee is reminded, once, unless the todo
// is done by then.
func TestTodoDueReminder(t *testing.T) {
	v := newEnv(t)
	it := v.submit(t, "/todo Buy milk", validForm()) // due 2024-11-15
	other := validForm()
	other["title"] = "Done early"
	done := v.submit(t, "/todo Done early", other)
	v.cardClick(t, bobID, v.sender.only(t, "post")[1].Card, "todo_done_btn")

	v.clock.Advance(16*time.Hour + 59*time.Minute) // 2024-11-15 08:59 in Shanghai
	v.runDue(t)
	if n := len(v.sender.only(t, "post")); n != 2 {
		t.Fatalf("%d posts before 09:00", n)
	}
	v.clock.Advance(time.Minute)
	v.runDue(t)
	posts := v.sender.only(t, "post")
	if len(posts) != 3 {
		t.Fatalf("%d posts at 09:00, want one due reminder", len(posts))
	}
	nudge := cardText(t, posts[2].Card)
	if !strings.Contains(nudge, mention(bobID)+" this todo is due today") || !strings.Contains(nudge, "Buy milk") {
		t.Errorf("due reminder:\n%s", nudge)
	}
	if !v.todoOf(t, it).Nudged || v.todoOf(t, done).Nudged {
		t.Error("nudged flags wrong")
	}
	v.run(t, JobTodoDue, todoDueMember(todoID(it.ID), time.Date(2024, 11, 15, 1, 0, 0, 0, time.UTC)))
	if n := len(v.sender.only(t, "post")); n != 3 {
		t.Fatalf("the due reminder was posted twice")
	}
}
