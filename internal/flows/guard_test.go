package flows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
)

// fakeMembers answers membership from a map of chat → members; err, when
// set, fails every lookup. It records what it was asked.
type fakeMembers struct {
	mu    sync.Mutex
	m     map[string][]string
	err   error
	asked []string // "chat/open_id"
}

func (f *fakeMembers) IsMember(_ context.Context, chatID, openID string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, chatID+"/"+openID)
	if f.err != nil {
		return false, f.err
	}
	return slices.Contains(f.m[chatID], openID), nil
}

func (f *fakeMembers) set(chatID string, members ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.m[chatID] = members
}

func (f *fakeMembers) questions() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.asked...)
}

// fakeCounter is a FairUseCounter in memory, with the semantics of
// state.FairUse within one window (the window never passes).
type fakeCounter struct {
	mu     sync.Mutex
	member map[string]int
	chat   map[string]int
	told   map[string]bool
	err    error
	calls  int
}

func newFakeCounter() *fakeCounter {
	return &fakeCounter{member: map[string]int{}, chat: map[string]int{}, told: map[string]bool{}}
}

func (f *fakeCounter) CountCommand(_ context.Context, chatID, openID string, caps FairUse) (FairUseVerdict, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return FairUseVerdict{}, f.err
	}
	key := chatID + "/" + openID
	f.member[key]++
	v := FairUseVerdict{Allowed: true}
	switch {
	case caps.MemberCommands > 0 && f.member[key] > caps.MemberCommands:
		v = FairUseVerdict{RetryIn: 7500 * time.Millisecond}
	case caps.ChatCommands > 0 && f.chat[chatID] >= caps.ChatCommands:
		v = FairUseVerdict{ChatCap: true, RetryIn: 3 * time.Second}
	default:
		f.chat[chatID]++
	}
	if !v.Allowed && !f.told[key] {
		f.told[key], v.Notify = true, true
	}
	return v, nil
}

// newGuardedEnv is newEnv with a member list and fair use: chatID's
// members are userID and bobID.
func newGuardedEnv(t *testing.T, caps FairUse) (*env, *fakeMembers, *fakeCounter) {
	t.Helper()
	v := newEnv(t)
	members := &fakeMembers{m: map[string][]string{chatID: {userID, bobID}}}
	counter := newFakeCounter()
	n := 0
	var mu sync.Mutex
	v.e = NewDefault(Deps{
		Store:     v.store,
		Sender:    v.sender,
		Jobs:      v.jobs,
		Clock:     v.clock.Now,
		Admins:    func(_, openID string) bool { return v.admins[openID] },
		Rules:     v.rules,
		Chats:     v.chats,
		Logger:    zaptest.NewLogger(t),
		BotOpenID: func() string { return botID },
		NewID: func() string {
			mu.Lock()
			defer mu.Unlock()
			n++
			return fmt.Sprintf("itx_guard%d", n)
		},
		Members:        members,
		FairUse:        caps,
		FairUseCounter: counter,
	})
	return v, members, counter
}

// clickAs is a click on a card's button by op, in the chat the platform
// says the card is in (a forwarded card is in another chat).
func (v *env) clickAs(t *testing.T, op, inChat string, value map[string]any) Answer {
	t.Helper()
	ans, err := v.e.HandleAction(context.Background(), Action{
		EventID: "ev_card", OperatorID: op, ChatID: inChat, Tag: "button", Timezone: "Asia/Shanghai", Value: value,
	})
	if err != nil {
		t.Fatalf("HandleAction(%v): %v", value, err)
	}
	return ans
}

func wantRefusal(t *testing.T, what string, ans Answer, typ string, m Msg) {
	t.Helper()
	if ans.Toast == nil || ans.Toast.Type != typ || ans.Toast.Content != m.In(LocaleEnUS) {
		t.Fatalf("%s: answer %+v, want a %s toast %q", what, ans.Toast, typ, m.In(LocaleEnUS))
	}
	if ans.Card != nil {
		t.Fatalf("%s: the refusal carries a card (the chat's data): %s", what, cardText(t, ans.Card))
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
	v, members, _ := newGuardedEnv(t, FairUse{})
	members.set(forwardedTo, otherID, bobID)
	v.admins[otherID] = true // BOTD_ADMINS do not make a non-member a member

	todo := v.submit(t, "/todo Buy milk @_user_2", validForm())
	todoCard := v.sender.only(t, "post")[0].Card
	rem := v.submit(t, "/remind standup", remindForm("2024-11-14", "16:30"))
	setCard := v.sender.only(t, "post")[1].Card
	v.clock.Advance(30 * time.Minute)
	v.runDue(t)
	fired := v.sender.only(t, "post")[2].Card
	list := v.start(t, "/todo list")
	v.drain(t)
	members.set(chatID, userID) // bob (the assignee) has left the chat

	buttons := []struct {
		name string
		card any
	}{
		{"todo_done_btn", todoCard},
		{"remind_cancel_btn", setCard},
		{"remind_done_btn", fired},
		{"remind_snooze10_btn", fired},
	}
	jobsBefore, todoBefore, remBefore := len(v.jobs.list()), v.todoOf(t, todo), v.reminderOf(t, rem)
	for _, b := range buttons {
		for _, op := range []string{otherID, bobID} {
			value := buttonValue(t, b.card, b.name)
			wantRefusal(t, op+" "+b.name, v.clickAs(t, op, forwardedTo, value), ToastError, msgNotChatMember)
		}
	}
	// Next on the list (one page here, so built as the card builds it),
	// with a chat in the value as older cards had: never read.
	next := map[string]any{"flow": "todo", "action": actionTodoPage, "list": list.ID, "page": "0", "chat": forwardedTo}
	for _, op := range []string{otherID, bobID} {
		wantRefusal(t, op+" todo_next_btn", v.clickAs(t, op, forwardedTo, next), ToastError, msgNotChatMember)
	}
	if len(v.jobs.list()) != jobsBefore || v.todoOf(t, todo).Version != todoBefore.Version || v.reminderOf(t, rem).Version != remBefore.Version {
		t.Fatal("a refused click changed a record or enqueued a job")
	}
	for _, q := range members.questions() {
		if !strings.HasPrefix(q, chatID+"/") {
			t.Fatalf("membership asked about %s: the chat must be the record's, never the callback's", q)
		}
	}

	// A member (the creator) still can: the same buttons work for them.
	if ans := v.clickAs(t, userID, chatID, buttonValue(t, todoCard, "todo_done_btn")); ans.Toast == nil || ans.Toast.Type != ToastSuccess {
		t.Fatalf("the creator's Mark done: %+v", ans.Toast)
	}
	if ans := v.clickAs(t, userID, chatID, next); ans.Card == nil || !strings.Contains(cardText(t, ans.Card), "Open todos") {
		t.Fatalf("the creator's Next: %+v", ans)
	}
}

// When membership cannot be read the click fails closed, for everyone,
// with a "try again" toast; once the platform answers it works.
func TestGroupCardButtonsFailClosed(t *testing.T) {
	v, members, _ := newGuardedEnv(t, FairUse{})
	todo := v.submit(t, "/todo Buy milk @_user_2", validForm())
	c := v.sender.only(t, "post")[0].Card
	members.err = errors.New("platform down")
	for _, op := range []string{userID, bobID} {
		wantRefusal(t, op, v.cardClick(t, op, c, "todo_done_btn"), ToastError, msgMembershipUnknown)
	}
	if td := v.todoOf(t, todo); td.Status != TodoOpen {
		t.Fatalf("changed while membership was unknown: %+v", td)
	}
	members.err = nil
	if ans := v.cardClick(t, bobID, c, "todo_done_btn"); ans.Toast.Type != ToastSuccess {
		t.Fatalf("after the outage: %+v", ans.Toast)
	}
}

// The list's chat comes from the list itself, never from the value: a
// value naming a chat and no list, another interaction (a form, not a
// list) or a page out of range shows nothing, and a real list shows its
// own chat's todos whatever chat the value names.
func TestTodoListPageNamesOnlyItsList(t *testing.T) {
	v, members, _ := newGuardedEnv(t, FairUse{})
	members.set(forwardedTo, otherID)
	v.submit(t, "/todo Secret plans", map[string]any{"title": "Secret plans"})
	form := v.start(t, "/todo Another")
	page := func(list, page string) map[string]any {
		// "chat" as older cards had it, pointing at a chat the clicker is in.
		return map[string]any{"flow": "todo", "action": actionTodoPage, "chat": forwardedTo, "list": list, "page": page}
	}
	wantRefusal(t, "a form's id as a list", v.clickAs(t, otherID, forwardedTo, page(form.ID, "0")), ToastError, msgUnknownAction)
	wantRefusal(t, "no list", v.clickAs(t, otherID, forwardedTo, page("", "0")), ToastError, msgUnknownAction)
	wantRefusal(t, "an unknown list", v.clickAs(t, otherID, forwardedTo, page("itx_gone", "0")), ToastError, msgUnknownAction)
	for _, p := range []string{"-1", "99999999999", "x"} {
		wantRefusal(t, "page "+p, v.clickAs(t, otherID, forwardedTo, page(form.ID, p)), ToastError, msgUnknownAction)
	}

	list := v.start(t, "/todo list")
	ans := v.clickAs(t, userID, forwardedTo, page(list.ID, "0"))
	if ans.Card == nil || !strings.Contains(cardText(t, ans.Card), "Secret plans") {
		t.Fatalf("the list's own chat is not the one shown: %+v", ans)
	}
}

// In a one-to-one chat with the bot its one human, the record's creator,
// is the member: the member list (documented for groups) is not asked.
func TestOneToOneChatCardButtons(t *testing.T) {
	v, members, _ := newGuardedEnv(t, FairUse{})
	v.chats.set(p2pChat, &ChatInfo{Mode: ChatModeP2P, Status: "normal"})
	members.err = errors.New("must not be asked")
	m := message("/todo Buy milk")
	m.ChatID, m.ChatType, m.Mentions = p2pChat, ChatModeP2P, nil
	if err := v.e.HandleMessage(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	jobs := v.jobs.list()
	it := v.store.get(t, jobs[len(jobs)-1].ID)
	v.drain(t)
	if ans := v.click(t, it, userID, ActionSubmit, map[string]any{"title": "Buy milk"}); ans.Toast.Type != ToastSuccess {
		t.Fatalf("submit: %+v", ans.Toast)
	}
	v.drain(t)
	posts := v.sender.only(t, "post")
	c := posts[len(posts)-1].Card
	wantRefusal(t, "someone else", v.clickAs(t, otherID, p2pChat, buttonValue(t, c, "todo_done_btn")), ToastError, msgNotChatMember)
	if ans := v.clickAs(t, userID, p2pChat, buttonValue(t, c, "todo_done_btn")); ans.Toast.Type != ToastSuccess {
		t.Fatalf("the creator: %+v", ans.Toast)
	}
	if q := members.questions(); len(q) != 0 {
		t.Fatalf("the member list was asked about a one-to-one chat: %v", q)
	}
}

// A member typing commands in a loop: the cap's worth of forms, then one
// private notice, then silence; none of the refused commands costs a chat
// lookup or any job. Another member's command goes through meanwhile, and
// messages that are not commands are not counted.
func TestFairUseFlood(t *testing.T) {
	v, _, counter := newGuardedEnv(t, FairUse{MemberCommands: 3, ChatCommands: 100, Window: 10 * time.Second})
	for range 3 {
		v.start(t, "/todo Buy milk")
	}
	lookups := v.chats.calls
	notice := v.start(t, "/todo Buy milk")
	if notice.Flow != slowDownName || notice.UserID != userID || notice.FormIn != FormEphemeral {
		t.Fatalf("4th command: %+v, want the slow-down notice for the member, ephemeral", notice)
	}
	afterNotice, lookups := len(v.jobs.list()), v.chats.calls-lookups
	if lookups > 1 {
		t.Errorf("the notice cost %d chat lookups, want at most 1", lookups)
	}
	before := v.chats.calls
	for range 50 {
		if err := v.e.HandleMessage(context.Background(), message("/todo Buy milk")); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(v.jobs.list()); n != afterNotice {
		t.Fatalf("%d jobs after the flood, want %d: refused commands must be silent", n, afterNotice)
	}
	if v.chats.calls != before {
		t.Fatalf("the flood cost %d chat lookups, want 0", v.chats.calls-before)
	}

	bob := message("/todo Water plants")
	bob.SenderID = bobID
	if err := v.e.HandleMessage(context.Background(), bob); err != nil {
		t.Fatal(err)
	}
	jobs := v.jobs.list()
	if it := v.store.get(t, jobs[len(jobs)-1].ID); it.UserID != bobID || it.Flow != "todo" {
		t.Fatalf("bob's command: %+v, want his todo form", it)
	}

	calls := counter.calls
	chat := message("just chatting")
	if err := v.e.HandleMessage(context.Background(), chat); err != nil {
		t.Fatal(err)
	}
	if counter.calls != calls {
		t.Error("a message that is not a command was counted")
	}

	// The notice, as the member sees it: private, with the time to wait
	// and a Close button that removes it like a form.
	v.drain(t)
	var shown *call
	for _, c := range v.sender.only(t, "send") {
		if strings.Contains(cardText(t, c.Card), "faster than botd takes them") {
			shown = &c
		}
	}
	if shown == nil || shown.OpenID != userID || shown.ChatID != chatID {
		t.Fatalf("notice not sent to the member privately: %+v", shown)
	}
	if text := cardText(t, shown.Card); !strings.Contains(text, "next 8 seconds") || !hasButton(t, shown.Card, "close_btn") {
		t.Errorf("notice card:\n%s", text)
	}
	v.click(t, v.store.get(t, notice.ID), userID, ActionCancel, nil)
	v.drain(t)
	if got := v.store.get(t, notice.ID); got.Status != StatusCancelled || len(v.sender.only(t, "delete")) != 1 {
		t.Errorf("Close on the notice: status %s, %d deletes", got.Status, len(v.sender.only(t, "delete")))
	}
}

// The chat's cap has its own notice; where the command came from a
// one-to-one chat, the notice is posted there, as the form would be.
func TestFairUseChatCapNoticeInP2P(t *testing.T) {
	v, _, _ := newGuardedEnv(t, FairUse{MemberCommands: 10, ChatCommands: 1, Window: 10 * time.Second})
	m := message("/help")
	m.ChatID, m.ChatType, m.Mentions = p2pChat, ChatModeP2P, nil
	for range 2 {
		if err := v.e.HandleMessage(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	v.drain(t)
	posts := v.sender.only(t, "post")
	if len(posts) != 2 || posts[1].ChatID != p2pChat || !strings.Contains(cardText(t, posts[1].Card), "This chat is sending botd more commands") {
		t.Fatalf("posts: %+v", posts)
	}
}

// When the counter cannot count (Redis down), nothing is started and no
// Open API call is made: the webhook releases the event for a redelivery.
func TestFairUseCounterDown(t *testing.T) {
	v, _, counter := newGuardedEnv(t, DefaultFairUse())
	counter.err = errors.New("redis down")
	if err := v.e.HandleMessage(context.Background(), message("/todo Buy milk")); err == nil {
		t.Fatal("HandleMessage succeeded without counting")
	}
	if len(v.jobs.list()) != 0 || v.chats.calls != 0 {
		t.Fatalf("jobs %v, chat lookups %d; want none", v.jobs.list(), v.chats.calls)
	}
}

// The slow-down notice can never be started by typing its name.
func TestSlowDownIsNotACommand(t *testing.T) {
	v, _, _ := newGuardedEnv(t, FairUse{})
	for _, text := range []string{"/" + slowDownName, "/notice:slow-down", "/notice"} {
		if cmd, ok := ParseCommand(text, nil, ""); ok && cmd.Name == slowDownName {
			t.Fatalf("%q parses as the notice", text)
		}
		if err := v.e.HandleMessage(context.Background(), message(text)); err != nil {
			t.Fatal(err)
		}
	}
	for _, j := range v.jobs.list() {
		if it := v.store.get(t, j.ID); it.Flow == slowDownName {
			t.Fatal("a typed command started the notice")
		}
	}
	for _, f := range v.e.Flows() {
		if f.Name() == slowDownName {
			t.Fatal("/help would list the notice")
		}
	}
}
