package state_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/state"
	"github.com/botd/botd/internal/state/statetest"
)

func TestReminderCAS(t *testing.T) {
	ctx := context.Background()
	s := state.New(statetest.Redis(t), time.Hour, nil)
	r := &flows.Reminder{ID: "rm_a", ChatID: "oc_1", What: "standup", Status: flows.ReminderActive}
	if err := s.CreateReminder(ctx, r); err != nil || r.Version != 1 {
		t.Fatalf("create: %v, version %d", err, r.Version)
	}
	if err := s.CreateReminder(ctx, &flows.Reminder{ID: "rm_a"}); !errors.Is(err, flows.ErrExists) {
		t.Fatalf("second create: %v, want ErrExists", err)
	}
	a, _ := s.Reminder(ctx, "rm_a")
	b, _ := s.Reminder(ctx, "rm_a")
	a.Status = flows.ReminderCancelled
	if err := s.UpdateReminder(ctx, a); err != nil || a.Version != 2 {
		t.Fatalf("update: %v, version %d", err, a.Version)
	}
	b.What = "lost update"
	if err := s.UpdateReminder(ctx, b); !errors.Is(err, flows.ErrConflict) {
		t.Fatalf("stale update: %v, want ErrConflict", err)
	}
	got, err := s.Reminder(ctx, "rm_a")
	if err != nil || got.Status != flows.ReminderCancelled || got.What != "standup" || got.Version != 2 {
		t.Fatalf("after updates: %+v, %v", got, err)
	}
	if _, err := s.Reminder(ctx, "rm_missing"); !errors.Is(err, flows.ErrNotFound) {
		t.Fatalf("missing: %v, want ErrNotFound", err)
	}
}

func TestOpenTodosIndex(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2024, 11, 14, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s := state.New(statetest.Redis(t), time.Hour, clock)
	for i := range 3 {
		now = now.Add(time.Minute)
		td := &flows.Todo{ID: fmt.Sprintf("td_%d", i), ChatID: "oc_1", Title: fmt.Sprint("t", i), Status: flows.TodoOpen}
		if err := s.CreateTodo(ctx, td); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateTodo(ctx, &flows.Todo{ID: "td_other", ChatID: "oc_2", Status: flows.TodoOpen}); err != nil {
		t.Fatal(err)
	}
	list, total, err := s.OpenTodos(ctx, "oc_1", 0, 2)
	if err != nil || total != 3 || len(list) != 2 || list[0].ID != "td_2" || list[1].ID != "td_1" {
		t.Fatalf("page 1: %v total %d, %v", ids(list), total, err)
	}
	td, _ := s.Todo(ctx, "td_2")
	td.Status = flows.TodoDone
	if err := s.UpdateTodo(ctx, td); err != nil {
		t.Fatal(err)
	}
	list, total, _ = s.OpenTodos(ctx, "oc_1", 0, 10)
	if total != 2 || len(list) != 2 || list[0].ID != "td_1" {
		t.Fatalf("after done: %v total %d", ids(list), total)
	}
	td.Status = flows.TodoOpen
	if err := s.UpdateTodo(ctx, td); err != nil {
		t.Fatal(err)
	}
	if list, total, _ = s.OpenTodos(ctx, "oc_1", 0, 10); total != 3 || list[0].ID != "td_2" {
		t.Fatalf("after reopen: %v total %d, want td_2 first again", ids(list), total)
	}
}

func ids(ts []*flows.Todo) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.ID)
	}
	return out
}

func TestDueSet(t *testing.T) {
	ctx := context.Background()
	s := state.New(statetest.Redis(t), time.Hour, nil)
	base := time.Date(2024, 11, 14, 8, 0, 0, 0, time.UTC)
	for i, m := range []string{"rem:a:1", "rem:b:2", "rem:c:3"} {
		if err := s.Schedule(ctx, m, base.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	_ = s.Schedule(ctx, "rem:a:1", base) // again: still one member
	due, err := s.Due(ctx, base.Add(90*time.Second), 10)
	if err != nil || fmt.Sprint(due) != "[rem:a:1 rem:b:2]" {
		t.Fatalf("due = %v, %v", due, err)
	}
	if err := s.Unschedule(ctx, due...); err != nil {
		t.Fatal(err)
	}
	if due, _ = s.Due(ctx, base.Add(time.Hour), 10); fmt.Sprint(due) != "[rem:c:3]" {
		t.Fatalf("after unschedule: %v", due)
	}
}
