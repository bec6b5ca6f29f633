package builtin

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/flowtest"
)

// newGuardedEnv is newEnv with a member list and fair use: chatID's
// members are userID and bobID.
func newGuardedEnv(t *testing.T, caps flows.FairUse) (*env, *flowtest.Members, *flowtest.Counter) {
	t.Helper()
	v := newEnv(t)
	members := flowtest.NewMembers()
	members.Set(chatID, userID, bobID)
	counter := flowtest.NewCounter()
	v.Rebuild(t, func(d *flows.Deps) {
		d.Members = members
		d.FairUse = caps
		d.FairUseCounter = counter
	})
	return v, members, counter
}

func wantRefusal(t *testing.T, what string, ans flows.Answer, typ string, m flows.Msg) {
	t.Helper()
	if ans.Toast == nil || ans.Toast.Type != typ || ans.Toast.Content != m.In(flows.LocaleEnUS) {
		t.Fatalf("%s: answer %+v, want a %s toast %q", what, ans.Toast, typ, m.In(flows.LocaleEnUS))
	}
	if ans.Card != nil {
		t.Fatalf("%s: the refusal carries a card (the chat's data): %s", what, flowtest.CardText(t, ans.Card))
	}
}

const (
	forwardedTo = "oc_elsewhere" // a chat a card was forwarded to
	p2pChat     = "oc_p2pwithbot"
)

// Every button on a group card is answered only for members of the card's
// record's chat: a non-member, even an admin, even the assignee, even when
// the click comes from a chat where they are a member (a forwarded card),
// gets an error toast with no card, and nothing changes. The chat asked
// about is the record's.
func TestGroupCardButtonsMembersOnly(t *testing.T) {
	v, members, _ := newGuardedEnv(t, flows.FairUse{})
	members.Set(forwardedTo, otherID, bobID)
	v.Admins[otherID] = true // BOTD_ADMINS do not make a non-member a member

	todo := v.Submit(t, "/todo Buy milk @_user_2", validForm())
	todoCard := v.Sender.Only(t, "post")[0].Card
	rem := v.Submit(t, "/remind standup", remindForm("2024-11-14", "16:30"))
	setCard := v.Sender.Only(t, "post")[1].Card
	v.Clock.Advance(30 * time.Minute)
	v.RunDue(t)
	fired := v.Sender.Only(t, "post")[2].Card
	list := v.Start(t, "/todo list")
	v.Drain(t)
	members.Set(chatID, userID) // bob (the assignee) has left the chat

	buttons := []struct {
		name string
		card any
	}{
		{"todo_done_btn", todoCard},
		{"remind_cancel_btn", setCard},
		{"remind_done_btn", fired},
		{"remind_snooze10_btn", fired},
	}
	jobsBefore, todoBefore, remBefore := len(v.Jobs.List()), todoOf(t, v, todo), reminderOf(t, v, rem)
	for _, b := range buttons {
		for _, op := range []string{otherID, bobID} {
			value := flowtest.ButtonValue(t, b.card, b.name)
			wantRefusal(t, op+" "+b.name, v.ClickAs(t, op, forwardedTo, value), flows.ToastError, flows.MsgNotChatMember)
		}
	}
	// Next on the list (one page here, so built as the card builds it),
	// with a chat in the value as older cards had: never read.
	next := map[string]any{"flow": "todo", "action": "todo_page", "list": list.ID, "page": "0", "chat": forwardedTo}
	for _, op := range []string{otherID, bobID} {
		wantRefusal(t, op+" todo_next_btn", v.ClickAs(t, op, forwardedTo, next), flows.ToastError, flows.MsgNotChatMember)
	}
	if len(v.Jobs.List()) != jobsBefore || todoOf(t, v, todo).Version != todoBefore.Version || reminderOf(t, v, rem).Version != remBefore.Version {
		t.Fatal("a refused click changed a record or enqueued a job")
	}
	for _, q := range members.Questions() {
		if !strings.HasPrefix(q, chatID+"/") {
			t.Fatalf("membership asked about %s: the chat must be the record's, never the callback's", q)
		}
	}

	// A member (the creator) still can: the same buttons work for them.
	if ans := v.ClickAs(t, userID, chatID, flowtest.ButtonValue(t, todoCard, "todo_done_btn")); ans.Toast == nil || ans.Toast.Type != flows.ToastSuccess {
		t.Fatalf("the creator's Mark done: %+v", ans.Toast)
	}
	if ans := v.ClickAs(t, userID, chatID, next); ans.Card == nil || !strings.Contains(flowtest.CardText(t, ans.Card), "Open todos") {
		t.Fatalf("the creator's Next: %+v", ans)
	}
}

// When membership cannot be read the click fails closed, for everyone,
// with a "try again" toast; once the platform answers it works.
func TestGroupCardButtonsFailClosed(t *testing.T) {
	v, members, _ := newGuardedEnv(t, flows.FairUse{})
	todo := v.Submit(t, "/todo Buy milk @_user_2", validForm())
	c := v.Sender.Only(t, "post")[0].Card
	members.Err = errors.New("platform down")
	for _, op := range []string{userID, bobID} {
		wantRefusal(t, op, v.CardClick(t, op, c, "todo_done_btn"), flows.ToastError, flows.MsgMembershipUnknown)
	}
	if td := todoOf(t, v, todo); td.Status != todoOpen {
		t.Fatalf("changed while membership was unknown: %+v", td)
	}
	members.Err = nil
	if ans := v.CardClick(t, bobID, c, "todo_done_btn"); ans.Toast.Type != flows.ToastSuccess {
		t.Fatalf("after the outage: %+v", ans.Toast)
	}
}

// The list's chat comes from the list itself, never from the value: a
// value naming a chat and no list, another interaction (a form, not a
// list) or a page out of range shows nothing, and a real list shows its
// own chat's todos whatever chat the value names.
func TestTodoListPageNamesOnlyItsList(t *testing.T) {
	v, members, _ := newGuardedEnv(t, flows.FairUse{})
	members.Set(forwardedTo, otherID)
	v.Submit(t, "/todo Secret plans", map[string]any{"title": "Secret plans"})
	form := v.Start(t, "/todo Another")
	page := func(list, page string) map[string]any {
		// "chat" as older cards had it, pointing at a chat the clicker is in.
		return map[string]any{"flow": "todo", "action": "todo_page", "chat": forwardedTo, "list": list, "page": page}
	}
	wantRefusal(t, "a form's id as a list", v.ClickAs(t, otherID, forwardedTo, page(form.ID, "0")), flows.ToastError, flows.MsgUnknownAction)
	wantRefusal(t, "no list", v.ClickAs(t, otherID, forwardedTo, page("", "0")), flows.ToastError, flows.MsgUnknownAction)
	wantRefusal(t, "an unknown list", v.ClickAs(t, otherID, forwardedTo, page("itx_gone", "0")), flows.ToastError, flows.MsgUnknownAction)
	for _, p := range []string{"-1", "99999999999", "x"} {
		wantRefusal(t, "page "+p, v.ClickAs(t, otherID, forwardedTo, page(form.ID, p)), flows.ToastError, flows.MsgUnknownAction)
	}

	list := v.Start(t, "/todo list")
	ans := v.ClickAs(t, userID, forwardedTo, page(list.ID, "0"))
	if ans.Card == nil || !strings.Contains(flowtest.CardText(t, ans.Card), "Secret plans") {
		t.Fatalf("the list's own chat is not the one shown: %+v", ans)
	}
}

// In a one-to-one chat with the bot its one human, the record's creator,
// is the member: the member list (documented for groups) is not asked.
func TestOneToOneChatCardButtons(t *testing.T) {
	v, members, _ := newGuardedEnv(t, flows.FairUse{})
	v.Chats.Set(p2pChat, &flows.ChatInfo{Mode: flows.ChatModeP2P, Status: "normal"})
	members.Err = errors.New("must not be asked")
	m := flowtest.Message("/todo Buy milk")
	m.ChatID, m.ChatType, m.Mentions = p2pChat, flows.ChatModeP2P, nil
	if err := v.E.HandleMessage(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	jobs := v.Jobs.List()
	it := v.Store.Get(t, jobs[len(jobs)-1].ID)
	v.Drain(t)
	if ans := v.Click(t, it, userID, flows.ActionSubmit, map[string]any{"title": "Buy milk"}); ans.Toast.Type != flows.ToastSuccess {
		t.Fatalf("submit: %+v", ans.Toast)
	}
	v.Drain(t)
	posts := v.Sender.Only(t, "post")
	c := posts[len(posts)-1].Card
	wantRefusal(t, "someone else", v.ClickAs(t, otherID, p2pChat, flowtest.ButtonValue(t, c, "todo_done_btn")), flows.ToastError, flows.MsgNotChatMember)
	if ans := v.ClickAs(t, userID, p2pChat, flowtest.ButtonValue(t, c, "todo_done_btn")); ans.Toast.Type != flows.ToastSuccess {
		t.Fatalf("the creator: %+v", ans.Toast)
	}
	if q := members.Questions(); len(q) != 0 {
		t.Fatalf("the member list was asked about a one-to-one chat: %v", q)
	}
}

// A member typing commands in a loop: the cap's worth of forms, then one
// private notice, then silence; none of the refused commands costs a chat
// lookup or any job. Another member's command goes through meanwhile, and
// messages that are not commands are not counted.
func TestFairUseFlood(t *testing.T) {
	v, _, counter := newGuardedEnv(t, flows.FairUse{MemberCommands: 3, ChatCommands: 100, Window: 10 * time.Second})
	for range 3 {
		v.Start(t, "/todo Buy milk")
	}
	lookups := v.Chats.Calls()
	notice := v.Start(t, "/todo Buy milk")
	if notice.Flow != "notice:slow-down" || notice.UserID != userID || notice.FormIn != flows.FormEphemeral {
		t.Fatalf("4th command: %+v, want the slow-down notice for the member, ephemeral", notice)
	}
	afterNotice, lookups := len(v.Jobs.List()), v.Chats.Calls()-lookups
	if lookups > 1 {
		t.Errorf("the notice cost %d chat lookups, want at most 1", lookups)
	}
	before := v.Chats.Calls()
	for range 50 {
		if err := v.E.HandleMessage(context.Background(), flowtest.Message("/todo Buy milk")); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(v.Jobs.List()); n != afterNotice {
		t.Fatalf("%d jobs after the flood, want %d: refused commands must be silent", n, afterNotice)
	}
	if v.Chats.Calls() != before {
		t.Fatalf("the flood cost %d chat lookups, want 0", v.Chats.Calls()-before)
	}

	bob := flowtest.Message("/todo Water plants")
	bob.SenderID = bobID
	if err := v.E.HandleMessage(context.Background(), bob); err != nil {
		t.Fatal(err)
	}
	jobs := v.Jobs.List()
	if it := v.Store.Get(t, jobs[len(jobs)-1].ID); it.UserID != bobID || it.Flow != "todo" {
		t.Fatalf("bob's command: %+v, want his todo form", it)
	}

	calls := counter.Calls()
	chat := flowtest.Message("just chatting")
	if err := v.E.HandleMessage(context.Background(), chat); err != nil {
		t.Fatal(err)
	}
	if counter.Calls() != calls {
		t.Error("a message that is not a command was counted")
	}

	// The notice, as the member sees it: private, with the time to wait
	// and a Close button that removes it like a form.
	v.Drain(t)
	var shown *flowtest.Call
	for _, c := range v.Sender.Only(t, "send") {
		if strings.Contains(flowtest.CardText(t, c.Card), "faster than botd takes them") {
			shown = &c
		}
	}
	if shown == nil || shown.OpenID != userID || shown.ChatID != chatID {
		t.Fatalf("notice not sent to the member privately: %+v", shown)
	}
	if text := flowtest.CardText(t, shown.Card); !strings.Contains(text, "next 8 seconds") || !flowtest.HasButton(t, shown.Card, "close_btn") {
		t.Errorf("notice card:\n%s", text)
	}
	v.Click(t, v.Store.Get(t, notice.ID), userID, flows.ActionCancel, nil)
	v.Drain(t)
	if got := v.Store.Get(t, notice.ID); got.Status != flows.StatusCancelled || len(v.Sender.Only(t, "delete")) != 1 {
		t.Errorf("Close on the notice: status %s, %d deletes", got.Status, len(v.Sender.Only(t, "delete")))
	}
}

// The chat's cap has its own notice; where the command came from a
// one-to-one chat, the notice is posted there, as the form would be.
func TestFairUseChatCapNoticeInP2P(t *testing.T) {
	v, _, _ := newGuardedEnv(t, flows.FairUse{MemberCommands: 10, ChatCommands: 1, Window: 10 * time.Second})
	m := flowtest.Message("/help")
	m.ChatID, m.ChatType, m.Mentions = p2pChat, flows.ChatModeP2P, nil
	for range 2 {
		if err := v.E.HandleMessage(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	v.Drain(t)
	posts := v.Sender.Only(t, "post")
	if len(posts) != 2 || posts[1].ChatID != p2pChat || !strings.Contains(flowtest.CardText(t, posts[1].Card), "This chat is sending botd more commands") {
		t.Fatalf("posts: %+v", posts)
	}
}

// When the counter cannot count (Redis down), nothing is started and no
// Open API call is made: the webhook releases the event for a redelivery.
func TestFairUseCounterDown(t *testing.T) {
	v, _, counter := newGuardedEnv(t, flows.DefaultFairUse())
	counter.Err = errors.New("redis down")
	if err := v.E.HandleMessage(context.Background(), flowtest.Message("/todo Buy milk")); err == nil {
		t.Fatal("HandleMessage succeeded without counting")
	}
	if len(v.Jobs.List()) != 0 || v.Chats.Calls() != 0 {
		t.Fatalf("jobs %v, chat lookups %d; want none", v.Jobs.List(), v.Chats.Calls())
	}
}

// The slow-down notice can never be started by typing its name.
func TestSlowDownIsNotACommand(t *testing.T) {
	v, _, _ := newGuardedEnv(t, flows.FairUse{})
	for _, text := range []string{"/" + "notice:slow-down", "/notice:slow-down", "/notice"} {
		if cmd, ok := flows.ParseCommand(text, nil, ""); ok && cmd.Name == "notice:slow-down" {
			t.Fatalf("%q parses as the notice", text)
		}
		if err := v.E.HandleMessage(context.Background(), flowtest.Message(text)); err != nil {
			t.Fatal(err)
		}
	}
	for _, j := range v.Jobs.List() {
		if it := v.Store.Get(t, j.ID); it.Flow == "notice:slow-down" {
			t.Fatal("a typed command started the notice")
		}
	}
	for _, f := range v.E.Flows() {
		if f.Name() == "notice:slow-down" {
			t.Fatal("/help would list the notice")
		}
	}
}
