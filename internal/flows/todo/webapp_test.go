package todo

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/botd/botd/internal/card"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/flowtest"
)

// shares is an in-memory flows.ShareStore.
type shares struct {
	mu   sync.Mutex
	m    map[string]flows.Share // kind/id/message -> share
	fail error
}

func (s *shares) AddShares(_ context.Context, kind, id string, list []flows.Share) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	if s.m == nil {
		s.m = map[string]flows.Share{}
	}
	for _, sh := range list {
		s.m[kind+"/"+id+"/"+sh.MessageID] = sh
	}
	return nil
}

func (s *shares) Share(_ context.Context, kind, id, messageID string) (flows.Share, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return flows.Share{}, false, s.fail
	}
	sh, ok := s.m[kind+"/"+id+"/"+messageID]
	return sh, ok, nil
}

// newShareEnv is newEnv with a share store.
func newShareEnv(t *testing.T) (*env, *shares) {
	v := newEnv(t)
	st := &shares{}
	v.Rebuild(t, func(d *flows.Deps) { d.Shares = st })
	return v, st
}

// The web app presses the very buttons of the card: the values are equal.
func TestWebButtonIsTheCardButton(t *testing.T) {
	v := newEnv(t)
	it := v.Submit(t, "/todo Buy milk @_user_2", validForm())
	td := todoOf(t, v, it)
	open := v.Sender.Only(t, "post")[0].Card
	done := v.CardClick(t, bobID, open, "todo_done_btn").Card
	for _, tc := range []struct {
		action, button string
		c              any
	}{
		{flows.WebDone, "todo_done_btn", open},
		{flows.WebReopen, "todo_reopen_btn", done},
	} {
		got, refusal, err := Flow{}.WebButton(context.Background(), v.E, td.ID, tc.action)
		if err != nil || refusal != nil {
			t.Fatalf("%s: %v %+v", tc.action, err, refusal)
		}
		if want := flowtest.ButtonValue(t, tc.c, tc.button); !maps.Equal(got, want) {
			t.Errorf("%s: value %v, the card's %v", tc.action, got, want)
		}
	}
	for _, a := range []string{flows.WebCancel, flows.WebSnooze, "", "todo_done"} {
		if _, _, err := (Flow{}).WebButton(context.Background(), v.E, td.ID, a); !errors.Is(err, flows.ErrUnknownWebAction) {
			t.Errorf("action %q: %v, want ErrUnknownWebAction", a, err)
		}
	}
}

// PressWeb has the rules and effects of a click on the card: the assignee
// marks it done (the card job follows and PATCHes the group card), a
// second press is "already done", a stranger and a non-member are refused
// and change nothing.
func TestPressWebLikeACardClick(t *testing.T) {
	v := newEnv(t)
	members := flowtest.NewMembers()
	members.Set(chatID, userID, bobID, otherID)
	v.Rebuild(t, func(d *flows.Deps) { d.Members = members })
	it := v.Submit(t, "/todo Buy milk @_user_2", validForm())
	id := ID(it.ID)
	ctx := context.Background()

	ans, err := v.E.PressWeb(ctx, "todo", id, flows.WebDone, otherID)
	if err != nil || ans.Toast == nil || ans.Toast.Type != flows.ToastError || ans.Toast.I18n[flows.LocaleZhCN] != msgTodoNotAllowed.ZhCN {
		t.Fatalf("stranger: %+v %v", ans.Toast, err)
	}
	members.Set(chatID, userID, otherID) // Bob left the chat
	if ans, _ = v.E.PressWeb(ctx, "todo", id, flows.WebDone, bobID); ans.Toast.Type != flows.ToastError {
		t.Fatalf("a member who left: %+v", ans.Toast)
	}
	if td := todoOf(t, v, it); td.Status != Open {
		t.Fatalf("refused presses changed the todo: %+v", td)
	}
	members.Set(chatID, userID, bobID)

	ans, err = v.E.PressWeb(ctx, "todo", id, flows.WebDone, bobID)
	if err != nil || ans.Toast.Type != flows.ToastSuccess || ans.Toast.I18n[flows.LocaleEnUS] != msgTodoMarkedDone.EnUS {
		t.Fatalf("assignee: %+v %v", ans.Toast, err)
	}
	td := todoOf(t, v, it)
	if td.Status != Done || td.ClosedBy != bobID {
		t.Fatalf("after done: %+v", td)
	}
	v.Drain(t)
	updates := v.Sender.Only(t, "update")
	if len(updates) != 1 || updates[0].ID != td.MessageID || !flowtest.HasButton(t, updates[0].Card, "todo_reopen_btn") {
		t.Fatalf("the group card was not updated: %+v", updates)
	}
	if ans, _ = v.E.PressWeb(ctx, "todo", id, flows.WebDone, userID); ans.Toast.Type != flows.ToastInfo {
		t.Fatalf("done twice: %+v", ans.Toast)
	}
	if ans, _ = v.E.PressWeb(ctx, "todo", id, flows.WebReopen, userID); ans.Toast.Type != flows.ToastSuccess {
		t.Fatalf("creator reopens: %+v", ans.Toast)
	}
	if _, err := v.E.PressWeb(ctx, "todo", id, "explode", userID); !errors.Is(err, flows.ErrUnknownWebAction) {
		t.Fatalf("unknown action: %v", err)
	}
	if _, err := v.E.PressWeb(ctx, "nope", id, flows.WebDone, userID); !errors.Is(err, flows.ErrUnknownWebAction) {
		t.Fatalf("unknown flow: %v", err)
	}
}

func TestWebActions(t *testing.T) {
	never := func() bool { return false }
	always := func() bool { return true }
	open := &Todo{CreatorID: userID, Assignee: bobID, Status: Open}
	done := &Todo{CreatorID: userID, Assignee: bobID, Status: Done}
	tests := []struct {
		name    string
		t       *Todo
		openID  string
		isAdmin func() bool
		want    []string
	}{
		{"creator, open", open, userID, never, []string{flows.WebDone}},
		{"assignee, done", done, bobID, never, []string{flows.WebReopen}},
		{"stranger", open, otherID, never, nil},
		{"admin", open, otherID, always, []string{flows.WebDone}},
		{"nobody", open, "", always, nil},
	}
	for _, tt := range tests {
		if got := WebActions(tt.t, tt.openID, tt.isAdmin); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	asked := false
	WebActions(open, userID, func() bool { asked = true; return false })
	if asked {
		t.Error("the admin check was asked for the creator")
	}
}

// A click on a shared copy is answered with the todo's JSON 1.0 card in
// the copy's language; a click on the group card still with its 2.0 card.
func TestClickOnSharedCopy(t *testing.T) {
	v, st := newShareEnv(t)
	it := v.Submit(t, "/todo Buy milk @_user_2", validForm())
	td := todoOf(t, v, it)
	ctx := context.Background()
	shared := []flows.Share{
		{MessageID: "om_copy1", ChatID: "oc_other1", Lang: flows.LocaleZhCN, By: userID, At: testNow},
		{MessageID: "om_copy1", ChatID: "oc_other1", Lang: flows.LocaleZhCN, By: userID, At: testNow}, // repeated
		{MessageID: td.MessageID, ChatID: chatID, Lang: flows.LocaleEnUS, By: userID},                 // the group card itself
		{MessageID: "om_copy2", ChatID: "ou_notachat", Lang: flows.LocaleEnUS, By: userID},            // malformed chat
		{MessageID: "om_copy3", ChatID: "oc_other2", Lang: "fr_fr", By: userID},                       // unknown language
		{MessageID: "om_copy4", ChatID: "oc_other2", Lang: flows.LocaleEnUS, By: "nobody"},            // malformed member
	}
	n, err := v.E.RecordShares(ctx, "todo", td.ID, shared)
	if err != nil || n != 1 {
		t.Fatalf("recorded %d, %v; want only om_copy1", n, err)
	}

	click := func(messageID string, legacy bool) flows.Answer {
		t.Helper()
		ans, err := v.E.HandleAction(ctx, flows.Action{OperatorID: bobID, MessageID: messageID, ChatID: "oc_other1",
			Tag: "button", Value: todoDoneButton.Value(td.ID, nil), Legacy: legacy})
		if err != nil {
			t.Fatal(err)
		}
		return ans
	}
	ans := click("om_copy1", false)
	c1, ok := ans.Card.(*card.V1)
	if !ok || ans.Toast.Type != flows.ToastSuccess {
		t.Fatalf("click on the copy: card %T, toast %+v; want a JSON 1.0 card", ans.Card, ans.Toast)
	}
	if text := flowtest.CardText(t, c1); !strings.Contains(text, "重新打开") || !strings.Contains(text, "todo_reopen") {
		t.Errorf("the copy's answer is not the done todo in Chinese: %s", text)
	}
	if ans := click(td.MessageID, false); !isV2(ans.Card) {
		t.Fatalf("click on the group card: card %T, want JSON 2.0", ans.Card)
	}
	// The older callback format takes 1.0 answers only: the copy keeps its
	// card, the group card's is dropped (its card job PATCHes it).
	if ans := click("om_copy1", true); ans.Card == nil {
		t.Error("legacy click on the copy lost its 1.0 card")
	}
	if ans := click(td.MessageID, true); ans.Card != nil {
		t.Errorf("legacy click on the group card answered with %T", ans.Card)
	}

	// When the store cannot say, the answer is the toast alone.
	st.fail = errors.New("redis down")
	if ans := click("om_copy1", false); ans.Card != nil || ans.Toast == nil {
		t.Fatalf("store down: %+v", ans)
	}
}

func isV2(c any) bool {
	cc, ok := c.(*card.Card)
	return ok && cc.Schema == card.Schema
}

func TestRecordIndexesAreTheTodos(t *testing.T) {
	v := newEnv(t)
	it := v.Submit(t, "/todo Buy milk @_user_2", validForm())
	td := todoOf(t, v, it)
	raw, err := v.Store.Record(context.Background(), Kind, td.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Flow{}.RecordIndexes(raw.Data)
	if err != nil || !slices.Equal(got, td.Indexes()) {
		t.Fatalf("RecordIndexes %v, %v; want %v", got, err, td.Indexes())
	}
	if _, err := (Flow{}).RecordIndexes([]byte("nope")); err == nil {
		t.Fatal("undecodable record indexed")
	}
}
