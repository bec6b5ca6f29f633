package builtin

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"
	"unicode"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/flowtest"
	"github.com/botd/botd/internal/flows/todo"
)

func TestHandleMessage(t *testing.T) {
	tests := []struct {
		name     string
		msg      func(m *flows.Message)
		wantFlow string            // "" when nothing may be started
		wantForm map[string]string // prefill
		locale   string
	}{
		{
			name:     "todo with title, due word and assignee",
			msg:      func(m *flows.Message) { m.Text = "@_user_1 /todo Buy milk tomorrow @_user_2" },
			wantFlow: "todo",
			wantForm: map[string]string{"title": "Buy milk", "due_date": "2024-11-15", "assignee": bobID},
			locale:   flows.LocaleEnUS,
		},
		{
			name:     "todo in chinese",
			msg:      func(m *flows.Message) { m.Text = "／todo，明天买牛奶" },
			wantFlow: "todo",
			wantForm: map[string]string{"title": "买牛奶", "due_date": "2024-11-15"},
			locale:   flows.LocaleZhCN,
		},
		{
			name:     "todo without arguments",
			msg:      func(m *flows.Message) { m.Text = "/todo" },
			wantFlow: "todo",
			wantForm: map[string]string{},
			locale:   flows.LocaleEnUS,
		},
		{
			name:     "due word alone is the title",
			msg:      func(m *flows.Message) { m.Text = "/todo tomorrow" },
			wantFlow: "todo",
			wantForm: map[string]string{"title": "tomorrow"},
			locale:   flows.LocaleEnUS,
		},
		{
			name:     "help",
			msg:      func(m *flows.Message) { m.Text = "@_user_1 /help" },
			wantFlow: "help",
			wantForm: map[string]string{},
			locale:   flows.LocaleEnUS,
		},
		{
			name:     "unknown command gets the hint",
			msg:      func(m *flows.Message) { m.Text = "/Foo bar" },
			wantFlow: "help",
			wantForm: map[string]string{"unknown": "foo"},
			locale:   flows.LocaleEnUS,
		},
		{name: "ordinary chat", msg: func(m *flows.Message) { m.Text = "@_user_1 hello" }},
		{name: "topic group", msg: func(m *flows.Message) { m.ChatType = "topic_group"; m.Text = "/todo x" }},
		{name: "from a bot", msg: func(m *flows.Message) { m.SenderType = "app"; m.Text = "/todo x" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newEnv(t)
			m := flowtest.Message("")
			tt.msg(&m)
			if err := v.E.HandleMessage(context.Background(), m); err != nil {
				t.Fatalf("HandleMessage: %v", err)
			}
			jobs := v.Jobs.List()
			if tt.wantFlow == "" {
				if len(jobs) != 0 || v.Store.Interactions() != 0 {
					t.Fatalf("started something: jobs %v, %d interactions", jobs, v.Store.Interactions())
				}
				return
			}
			if len(jobs) != 1 || jobs[0].Kind != flows.JobSendForm {
				t.Fatalf("jobs = %v, want one send_form", jobs)
			}
			it := v.Store.Get(t, jobs[0].ID)
			if it.Flow != tt.wantFlow || it.Status != flows.StatusPending || it.UserID != userID || it.ChatID != chatID ||
				it.TenantKey != "tk" || it.SourceEventID != "ev_1" || it.SourceMessageID != "om_cmd" ||
				it.Timezone != "Asia/Shanghai" || it.Locale != tt.locale || it.Version != 1 || it.EphemeralMessageID != "" {
				t.Errorf("interaction = %+v", it)
			}
			if !maps.Equal(it.Form, tt.wantForm) {
				t.Errorf("Form = %v, want %v", it.Form, tt.wantForm)
			}
			if _, ok := tt.wantForm["assignee"]; ok && it.Mentions[bobID] != "Bob" {
				t.Errorf("Mentions = %v, want Bob's name", it.Mentions)
			}
		})
	}
}

func TestHandleMessageErrors(t *testing.T) {
	errDown := errors.New("redis down")
	t.Run("store", func(t *testing.T) {
		v := newEnv(t)
		v.Store.FailCreate = errDown
		err := v.E.HandleMessage(context.Background(), flowtest.Message("/todo x"))
		if !errors.Is(err, errDown) {
			t.Fatalf("err = %v, want it to wrap %v", err, errDown)
		}
		if len(v.Jobs.List()) != 0 {
			t.Error("enqueued a job for an interaction that was not saved")
		}
	})
	t.Run("jobs", func(t *testing.T) {
		v := newEnv(t)
		v.Jobs.Fail(errDown)
		err := v.E.HandleMessage(context.Background(), flowtest.Message("/todo x"))
		if !errors.Is(err, errDown) {
			t.Fatalf("err = %v, want it to wrap %v", err, errDown)
		}
	})
}

func TestNewID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := flows.NewID()
		rest, ok := strings.CutPrefix(id, "itx_")
		if !ok || len(id) != 30 || strings.IndexFunc(rest, func(r rune) bool {
			return !unicode.IsLower(r) && !('2' <= r && r <= '7')
		}) >= 0 {
			t.Fatalf("NewID() = %q, want itx_ and 26 lower-case base32 characters", id)
		}
		if seen[id] {
			t.Fatalf("NewID() repeated %q", id)
		}
		seen[id] = true
	}
	if n := len(flows.NewID() + "-final"); n > 50 {
		t.Errorf("final uuid is %d characters, the platform allows 50", n)
	}
}

func TestRegister(t *testing.T) {
	v := newEnv(t)
	var names []string
	for _, f := range v.E.Flows() {
		names = append(names, f.Name())
	}
	var want []string // the registry's order: a new flow is one line there, not here
	for _, f := range Flows() {
		want = append(want, f.Name())
	}
	if got := strings.Join(names, ","); got != strings.Join(want, ",") || !strings.HasPrefix(got, "todo,remind,") || !strings.HasSuffix(got, ",help") {
		t.Errorf("Flows() = %s, want %s, todo and remind first, help last", got, strings.Join(want, ","))
	}
	for _, name := range []string{"todo", "", "Todo"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q) did not panic", name)
				}
			}()
			v.E.Register(namedFlow{todo.Flow{}, name})
		}()
	}
}

type namedFlow struct {
	todo.Flow
	name string
}

func (f namedFlow) Name() string { return f.name }
