package flowtest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/botd/botd/internal/flows"
)

// Ids of the worked examples of docs/feishu-platform.md §14: the bot, the
// member who types the commands, Bob (@_user_2 in Message), the group, and
// a member of nothing.
const (
	BotID   = "ou_7d8a6e6df7621556ce0d21922b676706"
	UserID  = "ou_84aad35d084aa403a838cf73ee18467"
	BobID   = "ou_0b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e"
	ChatID  = "oc_5ad11d72b830411d72b836c20"
	OtherID = "ou_99999999999999999999999999999999"
)

// Env is an engine running flows on the fakes. Admins and Rules are read
// by the engine on every call, so a test may change them at any time; the
// fakes are there to inspect and to steer (Sender.Fail, Store.FailUpdate).
type Env struct {
	E      *flows.Engine
	Store  *Store
	Sender *Sender
	Jobs   *Jobs
	Clock  *Clock
	Chats  *Chats
	Admins map[string]bool
	Rules  map[string]flows.Rule

	flows []flows.Flow
	ran   int // jobs run by Drain so far
	mu    sync.Mutex
	ids   int // interactions started so far: itx_test1, itx_test2, ...
}

// New returns an engine with fs registered, on fresh fakes: every chat an
// ordinary group and everyone a member of it, no admins, no rules, no fair
// use caps, botd's clock at Now.
func New(t testing.TB, fs ...flows.Flow) *Env {
	t.Helper()
	v := &Env{Store: NewStore(), Sender: NewSender(), Jobs: &Jobs{}, Clock: NewClock(), Chats: NewChats(),
		Admins: map[string]bool{}, Rules: map[string]flows.Rule{}, flows: fs}
	v.Rebuild(t, nil)
	return v
}

// Rebuild replaces E with an engine on the same fakes and flows, its Deps
// changed by edit first (a default locale, templates, a member list, fair
// use caps). Interaction ids go on where they were.
func (v *Env) Rebuild(t testing.TB, edit func(*flows.Deps)) {
	t.Helper()
	deps := flows.Deps{
		Store:     v.Store,
		Records:   v.Store,
		Due:       v.Store,
		Sender:    v.Sender,
		Jobs:      v.Jobs,
		Clock:     v.Clock.Now,
		Admins:    func(_, openID string) bool { return v.Admins[openID] },
		Rules:     v.Rules,
		Chats:     v.Chats,
		Logger:    zaptest.NewLogger(t),
		BotOpenID: func(string) string { return BotID },
		NewID: func() string {
			v.mu.Lock()
			defer v.mu.Unlock()
			v.ids++
			return fmt.Sprintf("itx_test%d", v.ids)
		},
	}
	if edit != nil {
		edit(&deps)
	}
	v.E = flows.New(deps, v.flows...)
}

// Message is a group message from UserID in ChatID with the bot mentioned
// as @_user_1 and Bob as @_user_2.
func Message(text string) flows.Message {
	return flows.Message{
		EventID: "ev_1", TenantKey: "tk", MessageID: "om_cmd", ChatID: ChatID, ChatType: "group",
		SenderID: UserID, SenderType: "user", MessageType: "text", Text: text,
		Mentions: []flows.Mention{{Key: "@_user_1", OpenID: BotID, Name: "TodoBot"}, {Key: "@_user_2", OpenID: BobID, Name: "Bob"}},
	}
}

// Start handles text (Message) and returns the interaction it created.
func (v *Env) Start(t testing.TB, text string) *flows.Interaction {
	t.Helper()
	if err := v.E.HandleMessage(context.Background(), Message(text)); err != nil {
		t.Fatalf("HandleMessage(%q): %v", text, err)
	}
	jobs := v.Jobs.List()
	if len(jobs) == 0 || jobs[len(jobs)-1].Kind != flows.JobSendForm {
		t.Fatalf("HandleMessage(%q) enqueued %v, want a send_form", text, jobs)
	}
	return v.Store.Get(t, jobs[len(jobs)-1].ID)
}

// Run runs one job.
func (v *Env) Run(t testing.TB, kind flows.JobKind, id string) {
	t.Helper()
	if err := v.E.RunJob(context.Background(), kind, id); err != nil {
		t.Fatalf("RunJob(%s, %s): %v", kind, id, err)
	}
}

// Drain runs every job enqueued since the last Drain, in order, including
// the jobs those runs enqueue, as a queue with one worker would.
func (v *Env) Drain(t testing.TB) {
	t.Helper()
	for {
		jobs := v.Jobs.List()
		if v.ran >= len(jobs) {
			return
		}
		j := jobs[v.ran]
		v.ran++
		v.Run(t, j.Kind, j.ID)
	}
}

// RunDue does what the scheduler does at the clock's time: every due
// member is taken out and its job enqueued; then the jobs run.
func (v *Env) RunDue(t testing.TB) {
	t.Helper()
	for _, m := range v.Store.TakeDue(v.Clock.Now()) {
		if err := v.E.EnqueueDue(context.Background(), m); err != nil {
			t.Fatalf("EnqueueDue(%s): %v", m, err)
		}
	}
	v.Drain(t)
}

// Click sends a callback from op for a button of it's form (action
// ActionSubmit, ActionCancel, or a form route's) with form values.
func (v *Env) Click(t testing.TB, it *flows.Interaction, op, action string, form map[string]any) flows.Answer {
	t.Helper()
	ans, err := v.E.HandleAction(context.Background(), flows.Action{
		EventID: "ev_click", OperatorID: op, ChatID: it.ChatID, Tag: "button", Timezone: "Asia/Shanghai",
		Value:     flows.FormButtonValue(it, action),
		FormValue: form,
	})
	if err != nil {
		t.Fatalf("HandleAction(%s): %v", action, err)
	}
	return ans
}

// Submit starts text, submits its form with form and runs every job: the
// submit must succeed. It returns the interaction as it ends.
func (v *Env) Submit(t testing.TB, text string, form map[string]any) *flows.Interaction {
	t.Helper()
	it := v.Start(t, text)
	ans := v.Click(t, it, UserID, flows.ActionSubmit, form)
	if ans.Toast == nil || ans.Toast.Type != flows.ToastSuccess {
		t.Fatalf("submit %q: %+v", text, ans.Toast)
	}
	v.Drain(t)
	return v.Store.Get(t, it.ID)
}

// CardClick is a click by op on a button, found by name, of card c, from
// ChatID.
func (v *Env) CardClick(t testing.TB, op string, c any, button string) flows.Answer {
	t.Helper()
	return v.ClickAs(t, op, ChatID, ButtonValue(t, c, button))
}

// ClickAs is a click with value by op, in the chat the platform says the
// card is in (a forwarded card is in another chat).
func (v *Env) ClickAs(t testing.TB, op, inChat string, value map[string]any) flows.Answer {
	t.Helper()
	ans, err := v.E.HandleAction(context.Background(), flows.Action{
		EventID: "ev_card", OperatorID: op, ChatID: inChat, Tag: "button", Timezone: "Asia/Shanghai", Value: value,
	})
	if err != nil {
		t.Fatalf("HandleAction(%v): %v", value, err)
	}
	return ans
}
