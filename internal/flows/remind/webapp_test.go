package remind

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/botd/botd/internal/card"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/flowtest"
)

// shares is an in-memory flows.ShareStore.
type shares struct {
	mu sync.Mutex
	m  map[string]flows.Share
}

func (s *shares) AddShares(_ context.Context, kind, id string, list []flows.Share) error {
	s.mu.Lock()
	defer s.mu.Unlock()
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
	sh, ok := s.m[kind+"/"+id+"/"+messageID]
	return sh, ok, nil
}

// The web app's Cancel is the set card's button; its Snooze is the latest
// fired card's Snooze 10 min, and is refused before anything fired.
func TestWebButtonIsTheCardButton(t *testing.T) {
	v := newEnv(t)
	form := remindForm("2024-11-14", "16:30")
	form["repeat"] = "daily"
	it := v.Submit(t, "/remind standup", form)
	id := ID(it.ID)
	ctx := context.Background()
	set := v.Sender.Only(t, "post")[0].Card

	got, refusal, err := Flow{}.WebButton(ctx, v.E, id, flows.WebCancel)
	if err != nil || refusal != nil || !maps.Equal(got, flowtest.ButtonValue(t, set, "remind_cancel_btn")) {
		t.Fatalf("cancel: %v %+v %v", got, refusal, err)
	}
	got, refusal, err = Flow{}.WebButton(ctx, v.E, id, flows.WebSnooze)
	if err != nil || got != nil || refusal == nil || refusal.Toast.Type != flows.ToastInfo ||
		refusal.Toast.Content != msgRemindNothingToSnooze.EnUS {
		t.Fatalf("snooze before it fired: %v %+v %v", got, refusal, err)
	}
	for range 2 { // two occurrences fire; Snooze acts on the latest
		v.Clock.Advance(24 * time.Hour)
		v.RunDue(t)
	}
	posts := v.Sender.Only(t, "post")
	latest := posts[len(posts)-1].Card
	got, refusal, err = Flow{}.WebButton(ctx, v.E, id, flows.WebSnooze)
	if err != nil || refusal != nil || !maps.Equal(got, flowtest.ButtonValue(t, latest, "remind_snooze10_btn")) {
		t.Fatalf("snooze: %v, the latest card's %v (%+v %v)", got, flowtest.ButtonValue(t, latest, "remind_snooze10_btn"), refusal, err)
	}
	for _, a := range []string{flows.WebDone, flows.WebReopen, "remind_cancel"} {
		if _, _, err := (Flow{}).WebButton(ctx, v.E, id, a); !errors.Is(err, flows.ErrUnknownWebAction) {
			t.Errorf("action %q: %v", a, err)
		}
	}
	if _, _, err := (Flow{}).WebButton(ctx, v.E, "rm_gone", flows.WebSnooze); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("snooze of a reminder that is gone: %v", err)
	}
}

// PressWeb: the rules of the cards (only the creator or an admin cancels;
// those it is for snooze), and their effects (the due set, the card job).
func TestPressWebLikeACardClick(t *testing.T) {
	v := newEnv(t)
	form := remindForm("2024-11-14", "16:30")
	form["notify"], form["people"] = "people", []any{bobID}
	it := v.Submit(t, "/remind standup", form)
	id := ID(it.ID)
	ctx := context.Background()

	if ans, _ := v.E.PressWeb(ctx, "remind", id, flows.WebCancel, bobID); ans.Toast.Type != flows.ToastError {
		t.Fatalf("Bob may not cancel: %+v", ans.Toast)
	}
	v.Clock.Advance(30 * time.Minute)
	v.RunDue(t)
	if ans, _ := v.E.PressWeb(ctx, "remind", id, flows.WebSnooze, otherID); ans.Toast.Type != flows.ToastError {
		t.Fatalf("a stranger's snooze: %+v", ans.Toast)
	}
	ans, err := v.E.PressWeb(ctx, "remind", id, flows.WebSnooze, bobID)
	if err != nil || ans.Toast.Type != flows.ToastSuccess || !strings.Contains(ans.Toast.I18n[flows.LocaleZhCN], "已推迟到 16:40") {
		t.Fatalf("Bob's snooze: %+v %v", ans.Toast, err)
	}
	r := reminderOf(t, v, it)
	if len(r.Snoozes) != 1 || r.Posts[0].SnoozedBy != bobID {
		t.Fatalf("after snooze: %+v", r)
	}
	v.Drain(t)
	if u := v.Sender.Only(t, "update"); len(u) == 0 || u[len(u)-1].ID != r.Posts[0].MessageID {
		t.Fatalf("the fired card was not updated: %+v", u)
	}
	// The creator cancels: the snooze never fires; a second cancel is "already".
	if ans, _ := v.E.PressWeb(ctx, "remind", id, flows.WebCancel, userID); ans.Toast.Type != flows.ToastSuccess {
		t.Fatalf("creator's cancel: %+v", ans.Toast)
	}
	if ans, _ := v.E.PressWeb(ctx, "remind", id, flows.WebCancel, userID); ans.Toast.Type != flows.ToastInfo {
		t.Fatalf("cancel twice: %+v", ans.Toast)
	}
	if ans, _ := v.E.PressWeb(ctx, "remind", id, flows.WebSnooze, bobID); ans.Toast.Type != flows.ToastInfo {
		t.Fatalf("snooze after cancel: %+v", ans.Toast)
	}
	v.Clock.Advance(time.Hour)
	v.RunDue(t)
	if n := len(v.Sender.Only(t, "post")); n != 2 {
		t.Fatalf("%d posts: a snooze fired after cancel", n)
	}
}

func TestWebActions(t *testing.T) {
	never := func() bool { return false }
	always := func() bool { return true }
	fired := []Post{{Key: "1"}, {Key: "2", DoneBy: bobID}}
	tests := []struct {
		name    string
		r       *Reminder
		openID  string
		isAdmin func() bool
		want    []string
	}{
		{"creator, not fired", &Reminder{CreatorID: userID, Status: Active, Notify: NotifySender}, userID, never, []string{flows.WebCancel}},
		{"creator, fired", &Reminder{CreatorID: userID, Status: Active, Notify: NotifySender, Posts: fired}, userID, never,
			[]string{flows.WebCancel, flows.WebSnooze}},
		{"addressed, fired", &Reminder{CreatorID: userID, Status: Active, Notify: NotifyPeople, People: []string{bobID}, Posts: fired}, bobID, never,
			[]string{flows.WebSnooze}},
		{"addressed admin", &Reminder{CreatorID: userID, Status: Active, Notify: NotifyPeople, People: []string{bobID}}, bobID, always,
			[]string{flows.WebCancel}},
		{"one-off fired", &Reminder{CreatorID: userID, Status: Done, Notify: NotifySender, Posts: fired}, userID, never, []string{flows.WebSnooze}},
		{"all answered", &Reminder{CreatorID: userID, Status: Done, Notify: NotifySender, Posts: fired[1:]}, userID, never, nil},
		{"cancelled", &Reminder{CreatorID: userID, Status: Cancelled, Notify: NotifySender, Posts: fired}, userID, always, nil},
		{"stranger", &Reminder{CreatorID: userID, Status: Active, Notify: NotifySender, Posts: fired}, otherID, never, nil},
	}
	for _, tt := range tests {
		if got := WebActions(tt.r, tt.openID, tt.isAdmin); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// A click on a shared copy of the set card is answered with the 1.0 card;
// the fired cards and the set card are botd's own and cannot be recorded.
func TestClickOnSharedCopy(t *testing.T) {
	v := newEnv(t)
	st := &shares{}
	v.Rebuild(t, func(d *flows.Deps) { d.Shares = st })
	it := v.Submit(t, "/remind standup", remindForm("2024-11-14", "16:30"))
	id := ID(it.ID)
	ctx := context.Background()
	v.Clock.Advance(30 * time.Minute)
	v.RunDue(t)
	r := reminderOf(t, v, it)
	own := []flows.Share{
		{MessageID: r.MessageID, ChatID: "oc_x", Lang: flows.LocaleEnUS, By: userID},
		{MessageID: r.Posts[0].MessageID, ChatID: "oc_x", Lang: flows.LocaleEnUS, By: userID},
	}
	if n, err := v.E.RecordShares(ctx, "remind", id, own); err != nil || n != 0 {
		t.Fatalf("botd's own cards recorded as shares: %d %v", n, err)
	}
	if n, err := v.E.RecordShares(ctx, "remind", id, []flows.Share{{MessageID: "om_copy", ChatID: "oc_x", Lang: flows.LocaleEnUS, By: userID}}); err != nil || n != 1 {
		t.Fatalf("record: %d %v", n, err)
	}
	ans, err := v.E.HandleAction(ctx, flows.Action{OperatorID: userID, MessageID: "om_copy", ChatID: "oc_x", Tag: "button",
		Value: remindCancelButton.Value(id, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ans.Card.(*card.V1); !ok || ans.Toast.Type != flows.ToastInfo { // a one-off that fired: "already sent"
		t.Fatalf("click on the copy: %T %+v", ans.Card, ans.Toast)
	}
}
