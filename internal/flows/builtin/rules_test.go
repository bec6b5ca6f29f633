package builtin

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/botd/botd/internal/card"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/flowtest"
)

const (
	ownerID   = "ou_00000000000000000000000000000owner"
	managerID = "ou_0000000000000000000000000000manager"
)

// Each rule, and each way of being an admin: the chat's owner and
// managers (chat info) and the configured admins. A refused member gets the
// help flow's notice, naming who can, and nothing of the flow starts.
func TestStartRules(t *testing.T) {
	tests := []struct {
		name     string
		rule     flows.Rule
		sender   string
		lookupOK bool
		allowed  bool
		notice   []string // what the refusal notice must say
	}{
		{name: "anyone", rule: flows.Rule{}, sender: otherID, lookupOK: true, allowed: true},
		{name: "admins: a member", rule: flows.Rule{AdminsOnly: true}, sender: otherID, lookupOK: true,
			notice: []string{"Only the chat's owner and managers, and botd's admins, can use /remind"}},
		{name: "admins: the owner", rule: flows.Rule{AdminsOnly: true}, sender: ownerID, lookupOK: true, allowed: true},
		{name: "admins: a manager", rule: flows.Rule{AdminsOnly: true}, sender: managerID, lookupOK: true, allowed: true},
		{name: "admins: BOTD_ADMINS", rule: flows.Rule{AdminsOnly: true}, sender: bobID, lookupOK: true, allowed: true},
		{name: "admins: lookup failed, owner unknown", rule: flows.Rule{AdminsOnly: true}, sender: ownerID,
			notice: []string{"can use /remind"}},
		{name: "admins: lookup failed, BOTD_ADMINS still", rule: flows.Rule{AdminsOnly: true}, sender: bobID, allowed: true},
		{name: "list: listed", rule: flows.Rule{Members: []string{otherID, userID}}, sender: userID, lookupOK: true, allowed: true},
		{name: "list: the owner", rule: flows.Rule{Members: []string{otherID}}, sender: ownerID, lookupOK: true, allowed: true},
		{name: "list: not listed", rule: flows.Rule{Members: []string{otherID}}, sender: userID, lookupOK: true,
			notice: []string{"Only these members", "/remind", flows.AtMention(otherID)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newEnv(t)
			v.Admins[bobID] = true
			v.Rules["remind"] = tt.rule
			v.Chats.Set(chatID, &flows.ChatInfo{Mode: flows.ChatModeGroup, OwnerID: ownerID, ManagerIDs: []string{managerID}, Status: "normal"})
			if !tt.lookupOK {
				v.Chats.Err = errors.New("chat.get: 500")
			}
			m := flowtest.Message("/remind tomorrow 9:00 standup")
			m.SenderID = tt.sender
			if err := v.E.HandleMessage(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			jobs := v.Jobs.List()
			if len(jobs) != 1 {
				t.Fatalf("jobs = %v, want one send_form", jobs)
			}
			it := v.Store.Get(t, jobs[0].ID)
			if tt.allowed {
				if it.Flow != "remind" {
					t.Fatalf("flow = %s, want remind started", it.Flow)
				}
				return
			}
			if it.Flow != "notice:denied" || it.Form["denied"] != "remind" {
				t.Fatalf("interaction = %+v, want the refusal notice", it)
			}
			v.Run(t, flows.JobSendForm, it.ID)
			sent := v.Sender.Only(t, "send")
			if len(sent) != 1 || sent[0].OpenID != tt.sender {
				t.Fatalf("sent = %+v, want the notice to the sender only", sent)
			}
			text := flowtest.CardText(t, sent[0].Card)
			for _, want := range tt.notice {
				if !strings.Contains(text, want) {
					t.Errorf("notice %s lacks %q", text, want)
				}
			}
			// The notice closes like any hint.
			wantToast(t, v.Click(t, it, tt.sender, flows.ActionCancel, nil), flows.ToastInfo, "Closed")
		})
	}
}

// The refusal notice is in the member's language too.
func TestStartRuleNoticeInChinese(t *testing.T) {
	v := newEnv(t)
	v.Rules["todo"] = flows.Rule{AdminsOnly: true}
	it := v.Start(t, "/todo 买牛奶")
	v.Run(t, flows.JobSendForm, it.ID)
	if text := flowtest.CardText(t, v.Sender.Only(t, "send")[0].Card); !strings.Contains(text, "只有群主、群管理员和 botd 管理员可以使用 /todo") {
		t.Errorf("notice = %s", text)
	}
}

// Group-card buttons follow their flow's rule, and a chat's owner and
// managers are its admins there too. A refused click changes nothing: no
// record change, no card job.
func TestCardActionsFollowTheRules(t *testing.T) {
	v := newEnv(t)
	v.Chats.Set(chatID, &flows.ChatInfo{Mode: flows.ChatModeGroup, OwnerID: ownerID, ManagerIDs: []string{managerID}, Status: "normal"})

	todo := v.Submit(t, "/todo Buy milk", map[string]any{"title": "Buy milk"})
	tc := v.Sender.Only(t, "post")[0].Card
	jobsBefore := len(v.Jobs.List())
	if ans := v.CardClick(t, otherID, tc, "todo_done_btn"); ans.Toast.Type != flows.ToastError {
		t.Fatalf("a stranger's Mark done: %+v", ans.Toast)
	}
	if todoOf(t, v, todo).Status != todoOpen || len(v.Jobs.List()) != jobsBefore {
		t.Fatal("a refused Mark done changed the todo or enqueued a card job")
	}
	ans := v.CardClick(t, managerID, tc, "todo_done_btn")
	if ans.Toast.Type != flows.ToastSuccess {
		t.Fatalf("a manager's Mark done: %+v", ans.Toast)
	}
	done := todoOf(t, v, todo)
	if ans := v.CardClick(t, otherID, ans.Card, "todo_reopen_btn"); ans.Toast.Type != flows.ToastError || todoOf(t, v, todo).Version != done.Version {
		t.Fatalf("a stranger's Reopen: %+v", ans.Toast)
	}

	rem := v.Submit(t, "/remind standup", remindForm("2024-11-14", "16:30"))
	rc := v.Sender.Only(t, "post")[1].Card
	before := reminderOf(t, v, rem)
	if ans := v.CardClick(t, otherID, rc, "remind_cancel_btn"); ans.Toast.Type != flows.ToastError || reminderOf(t, v, rem).Version != before.Version {
		t.Fatalf("a stranger's cancel: %+v", ans.Toast)
	}
	if ans := v.CardClick(t, ownerID, rc, "remind_cancel_btn"); ans.Toast.Type != flows.ToastSuccess || reminderOf(t, v, rem).CancelledBy != ownerID {
		t.Fatalf("the owner's cancel: %+v", ans.Toast)
	}
}

// A form's buttons act only for the member who opened it, whoever else
// clicks (a forged or replayed callback, a shared screen): refused with an
// error toast, nothing changes.
func TestFormActsOnlyForItsOwner(t *testing.T) {
	v := newEnv(t)
	v.Admins[otherID] = true // not even an admin
	it := v.Start(t, "/todo Buy milk")
	v.Run(t, flows.JobSendForm, it.ID)
	for _, action := range []string{flows.ActionSubmit, flows.ActionCancel} {
		wantToast(t, v.Click(t, it, otherID, action, validForm()), flows.ToastError, flows.MsgNotYours.EnUS)
	}
	if got := v.Store.Get(t, it.ID); got.Status != flows.StatusPending || got.Version != 2 {
		t.Fatalf("interaction moved: %+v", got)
	}
}

// adminsFlow is a command for admins unless the config opens it.
type adminsFlow struct{}

func (adminsFlow) Name() string                                       { return "broadcast" }
func (adminsFlow) Describe(string) string                             { return "Broadcast" }
func (adminsFlow) DefaultRule() flows.Rule                            { return flows.Rule{AdminsOnly: true} }
func (adminsFlow) Start(*flows.Interaction, flows.Command, time.Time) {}
func (adminsFlow) Form(*flows.Interaction, flows.FieldErrors) *card.Card {
	return card.New(card.Header{})
}

// A flow's own default rule applies when the config sets none: a member is
// refused and an admin is not; a rule the config sets, anyone included,
// replaces it.
func TestDefaultRule(t *testing.T) {
	v := flowtest.New(t, append(Flows(), adminsFlow{})...)
	v.Admins[bobID] = true
	started := func(sender string) string {
		m := flowtest.Message("/broadcast hello")
		m.SenderID = sender
		if err := v.E.HandleMessage(context.Background(), m); err != nil {
			t.Fatal(err)
		}
		jobs := v.Jobs.List()
		return v.Store.Get(t, jobs[len(jobs)-1].ID).Flow
	}
	if got := started(userID); got != "notice:denied" {
		t.Errorf("a member started %s, want the refusal notice", got)
	}
	if got := started(bobID); got != "broadcast" {
		t.Errorf("an admin started %s", got)
	}
	v.Rules["broadcast"] = flows.Rule{}
	if got := started(userID); got != "broadcast" {
		t.Errorf("opened to anyone, a member started %s", got)
	}
}
