package flows

import (
	"context"
	"errors"
	"strings"
	"testing"
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
		rule     Rule
		sender   string
		lookupOK bool
		allowed  bool
		notice   []string // what the refusal notice must say
	}{
		{name: "anyone", rule: Rule{}, sender: otherID, lookupOK: true, allowed: true},
		{name: "admins: a member", rule: Rule{AdminsOnly: true}, sender: otherID, lookupOK: true,
			notice: []string{"Only the chat's owner and managers, and botd's admins, can use /remind"}},
		{name: "admins: the owner", rule: Rule{AdminsOnly: true}, sender: ownerID, lookupOK: true, allowed: true},
		{name: "admins: a manager", rule: Rule{AdminsOnly: true}, sender: managerID, lookupOK: true, allowed: true},
		{name: "admins: BOTD_ADMINS", rule: Rule{AdminsOnly: true}, sender: bobID, lookupOK: true, allowed: true},
		{name: "admins: lookup failed, owner unknown", rule: Rule{AdminsOnly: true}, sender: ownerID,
			notice: []string{"can use /remind"}},
		{name: "admins: lookup failed, BOTD_ADMINS still", rule: Rule{AdminsOnly: true}, sender: bobID, allowed: true},
		{name: "list: listed", rule: Rule{Members: []string{otherID, userID}}, sender: userID, lookupOK: true, allowed: true},
		{name: "list: the owner", rule: Rule{Members: []string{otherID}}, sender: ownerID, lookupOK: true, allowed: true},
		{name: "list: not listed", rule: Rule{Members: []string{otherID}}, sender: userID, lookupOK: true,
			notice: []string{"Only these members", "/remind", mention(otherID)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newEnv(t)
			v.admins[bobID] = true
			v.rules["remind"] = tt.rule
			v.chats.set(chatID, &ChatInfo{Mode: ChatModeGroup, OwnerID: ownerID, ManagerIDs: []string{managerID}, Status: "normal"})
			if !tt.lookupOK {
				v.chats.err = errors.New("chat.get: 500")
			}
			m := message("/remind tomorrow 9:00 standup")
			m.SenderID = tt.sender
			if err := v.e.HandleMessage(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			jobs := v.jobs.list()
			if len(jobs) != 1 {
				t.Fatalf("jobs = %v, want one send_form", jobs)
			}
			it := v.store.get(t, jobs[0].ID)
			if tt.allowed {
				if it.Flow != "remind" {
					t.Fatalf("flow = %s, want remind started", it.Flow)
				}
				return
			}
			if it.Flow != helpName || it.Form[helpDenied] != "remind" {
				t.Fatalf("interaction = %+v, want the refusal notice", it)
			}
			v.run(t, JobSendForm, it.ID)
			sent := v.sender.only(t, "send")
			if len(sent) != 1 || sent[0].OpenID != tt.sender {
				t.Fatalf("sent = %+v, want the notice to the sender only", sent)
			}
			text := cardText(t, sent[0].Card)
			for _, want := range tt.notice {
				if !strings.Contains(text, want) {
					t.Errorf("notice %s lacks %q", text, want)
				}
			}
			// The notice closes like any hint.
			wantToast(t, v.click(t, it, tt.sender, ActionCancel, nil), ToastInfo, "Closed")
		})
	}
}

// The refusal notice is in the member's language too.
func TestStartRuleNoticeInChinese(t *testing.T) {
	v := newEnv(t)
	v.rules["todo"] = Rule{AdminsOnly: true}
	it := v.start(t, "/todo 买牛奶")
	v.run(t, JobSendForm, it.ID)
	if text := cardText(t, v.sender.only(t, "send")[0].Card); !strings.Contains(text, "只有群主、群管理员和 botd 管理员可以使用 /todo") {
		t.Errorf("notice = %s", text)
	}
}

// Group-card buttons follow their flow's rule, and a chat's owner and
// managers are its admins there too. A refused click changes nothing: no
// record change, no card job.
func TestCardActionsFollowTheRules(t *testing.T) {
	v := newEnv(t)
	v.chats.set(chatID, &ChatInfo{Mode: ChatModeGroup, OwnerID: ownerID, ManagerIDs: []string{managerID}, Status: "normal"})

	todo := v.submit(t, "/todo Buy milk", map[string]any{"title": "Buy milk"})
	tc := v.sender.only(t, "post")[0].Card
	jobsBefore := len(v.jobs.list())
	if ans := v.cardClick(t, otherID, tc, "todo_done_btn"); ans.Toast.Type != ToastError {
		t.Fatalf("a stranger's Mark done: %+v", ans.Toast)
	}
	if v.todoOf(t, todo).Status != TodoOpen || len(v.jobs.list()) != jobsBefore {
		t.Fatal("a refused Mark done changed the todo or enqueued a card job")
	}
	ans := v.cardClick(t, managerID, tc, "todo_done_btn")
	if ans.Toast.Type != ToastSuccess {
		t.Fatalf("a manager's Mark done: %+v", ans.Toast)
	}
	done := v.todoOf(t, todo)
	if ans := v.cardClick(t, otherID, ans.Card, "todo_reopen_btn"); ans.Toast.Type != ToastError || v.todoOf(t, todo).Version != done.Version {
		t.Fatalf("a stranger's Reopen: %+v", ans.Toast)
	}

	rem := v.submit(t, "/remind standup", remindForm("2024-11-14", "16:30"))
	rc := v.sender.only(t, "post")[1].Card
	before := v.reminderOf(t, rem)
	if ans := v.cardClick(t, otherID, rc, "remind_cancel_btn"); ans.Toast.Type != ToastError || v.reminderOf(t, rem).Version != before.Version {
		t.Fatalf("a stranger's cancel: %+v", ans.Toast)
	}
	if ans := v.cardClick(t, ownerID, rc, "remind_cancel_btn"); ans.Toast.Type != ToastSuccess || v.reminderOf(t, rem).CancelledBy != ownerID {
		t.Fatalf("the owner's cancel: %+v", ans.Toast)
	}
}

// A form's buttons act only for the member who opened it, whoever else
// clicks (a forged or replayed callback, a shared screen): refused with an
// error toast, nothing changes.
func TestFormActsOnlyForItsOwner(t *testing.T) {
	v := newEnv(t)
	v.admins[otherID] = true // not even an admin
	it := v.start(t, "/todo Buy milk")
	v.run(t, JobSendForm, it.ID)
	for _, action := range []string{ActionSubmit, ActionCancel} {
		wantToast(t, v.click(t, it, otherID, action, validForm()), ToastError, msgNotYours.EnUS)
	}
	if got := v.store.get(t, it.ID); got.Status != StatusPending || got.Version != 2 {
		t.Fatalf("interaction moved: %+v", got)
	}
}
