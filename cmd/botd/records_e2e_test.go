package main

import (
	"context"
	"encoding/json"
	"github.com/botd/botd/internal/app"
	"github.com/botd/botd/internal/app/apptest"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/botd/botd/internal/clock"
	"github.com/botd/botd/internal/feishusim"
	"github.com/botd/botd/internal/state"
	"github.com/botd/botd/internal/state/statetest"
)

// clockWorld is the e2e world with botd's clock under the test's control:
// time is moved forward, never slept through.
type clockWorld struct {
	*world
	clock *clock.Offset
	apps  []*app.App
}

// newClockWorld starts replicas botd processes (Apps) on one Redis and one
// simulator, all on one adjustable clock. admins are BOTD_ADMINS.
func newClockWorld(t *testing.T, replicas int, admins ...string) *clockWorld {
	t.Helper()
	sim, simSrv := newTestSim(t)
	redisURL := statetest.URL(t)
	if redisURL == "" {
		// One in-process Redis shared by every replica, as a real one would be.
		redisURL = "redis://" + miniredis.RunT(t).Addr() + "/0"
	}
	cw := &clockWorld{clock: &clock.Offset{}}
	for range replicas {
		cfg := Default()
		cfg.Addr = "127.0.0.1:0"
		cfg.AppID, cfg.AppSecret = testAppID, testSecret
		cfg.VerificationToken, cfg.EncryptKey = testToken, testKey
		cfg.OpenBaseURL = simSrv.URL
		cfg.RedisURL = Secret(redisURL)
		cfg.Admins = admins
		cfg.RateLimits = "off"
		cfg.FairUse = FairUse{} // one member sets many reminders in a row here
		bot := apptest.Start(t, cfg.App(), app.Options{Now: cw.clock.Now})
		cw.apps = append(cw.apps, bot)
	}
	base := "http://" + cw.apps[0].Addr()
	cw.world = &world{sim: sim, bot: cw.apps[0], platform: &feishusim.Platform{
		EventURL: base + "/webhook/event", CardURL: base + "/webhook/card",
		AppID: testAppID, TenantKey: testTenant, VerificationToken: testToken, EncryptKey: testKey,
		Client: &http.Client{Timeout: 5 * time.Second},
	}}
	return cw
}

// advance moves botd's clock and wakes every scheduler.
func (w *clockWorld) advance(d time.Duration) {
	w.clock.Advance(d)
	for _, a := range w.apps {
		a.Nudge()
	}
}

// store is the test's view of botd's records.
func (w *clockWorld) store() *state.Store { return state.New(w.apps[0].RedisClient(), 0, nil) }

// clickMessage clicks a button on a group message as it now stands.
func (w *clockWorld) clickMessage(t *testing.T, operator string, m feishusim.Message, button string) answer {
	t.Helper()
	return w.click(t, operator, json.RawMessage(m.Content), button, nil)
}

// creates counts message creates the platform posted, and those it
// answered as duplicates of an earlier uuid.
func (w *clockWorld) creates() (posted, duplicates int) {
	for _, c := range w.calls("/open-apis/im/v1/messages") {
		if c.Method != http.MethodPost || c.Code != 0 {
			continue
		}
		if c.Duplicate {
			duplicates++
		} else {
			posted++
		}
	}
	return posted, duplicates
}

// readable undoes the HTML escaping json.Marshal applies to card content.
func readable(s string) string {
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(s)
}

// The e2e flow of /remind: the prefilled form, the submit, the group card,
// then botd's clock moves forward and the reminder fires once, mentioning
// the people chosen; Done updates the fired card for everyone.
func TestRemindEndToEnd(t *testing.T) {
	w := newClockWorld(t, 1)
	w.sendText(t, alice, "/remind in 30m stretch")
	form := w.formFor(t, alice, 1)
	if !strings.Contains(string(form.Card), `"default_value":"stretch"`) {
		t.Fatalf("form not prefilled: %s", form.Card)
	}
	sh, _ := time.LoadLocation("Asia/Shanghai")
	due := w.clock.Now().In(sh).Add(30 * time.Minute).Truncate(time.Minute).Add(time.Minute)
	a := w.click(t, alice, form.Card, "submit_btn", map[string]any{
		"what": "stretch", "date": due.Format("2006-01-02 -0700"), "time": due.Format("15:04 -0700"),
		"repeat": "once", "notify": "people", "people": []any{bob, carol},
	})
	if a.Toast == nil || a.Toast.Type != "success" {
		t.Fatalf("submit: %+v", a.Toast)
	}
	eventually(t, "the set card", func() bool { return len(w.sim.Messages()) == 1 })
	if set := w.sim.Messages()[0].Content; !strings.Contains(set, "Cancel reminder") || !strings.Contains(set, "stretch") {
		t.Fatalf("set card: %s", set)
	}

	w.advance(20 * time.Minute)
	settle()
	if n := len(w.sim.Messages()); n != 1 {
		t.Fatalf("%d messages 10 minutes before the due time", n)
	}
	w.advance(11 * time.Minute)
	eventually(t, "the reminder", func() bool { return len(w.sim.Messages()) == 2 })
	settle()
	msgs := w.sim.Messages()
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want the set card and one reminder", len(msgs))
	}
	fired := msgs[1]
	for _, want := range []string{"<at id=" + bob + "></at>", "<at id=" + carol + "></at>", "stretch", "remind_done_btn", "remind_snooze10_btn"} {
		if !strings.Contains(readable(fired.Content), want) {
			t.Errorf("fired card lacks %q: %s", want, fired.Content)
		}
	}
	if strings.Contains(fired.Content, "Sent late") {
		t.Error("an on-time reminder is marked late")
	}

	if a := w.clickMessage(t, bob, fired, "remind_done_btn"); a.Toast == nil || a.Toast.Type != "success" || a.Card == nil {
		t.Fatalf("done: %+v", a)
	}
	eventually(t, "the fired card PATCHed", func() bool {
		m := w.sim.Messages()[1]
		return m.Updates >= 1 && strings.Contains(m.Content, "Done by")
	})
	// The set card of a one-off says it was sent.
	eventually(t, "the set card PATCHed", func() bool { return strings.Contains(w.sim.Messages()[0].Content, "Sent at") })
}

// Cancel before the due time: nothing fires, the set card says who
// cancelled; a member who neither set it nor is an admin is refused.
func TestRemindCancelEndToEnd(t *testing.T) {
	w := newClockWorld(t, 1)
	w.sendText(t, alice, "/remind in 5m tea")
	form := w.formFor(t, alice, 1)
	sh, _ := time.LoadLocation("Asia/Shanghai")
	due := w.clock.Now().In(sh).Add(6 * time.Minute)
	w.click(t, alice, form.Card, "submit_btn", map[string]any{
		"what": "tea", "date": due.Format("2006-01-02 -0700"), "time": due.Format("15:04 -0700"), "repeat": "daily",
	})
	eventually(t, "the set card", func() bool { return len(w.sim.Messages()) == 1 })
	set := w.sim.Messages()[0]
	if a := w.clickMessage(t, carol, set, "remind_cancel_btn"); a.Toast == nil || a.Toast.Type != "error" {
		t.Fatalf("carol's cancel: %+v", a.Toast)
	}
	if a := w.clickMessage(t, alice, set, "remind_cancel_btn"); a.Toast == nil || a.Toast.Type != "success" {
		t.Fatalf("alice's cancel: %+v", a.Toast)
	}
	eventually(t, "the set card PATCHed", func() bool { return strings.Contains(w.sim.Messages()[0].Content, "Cancelled by") })
	w.advance(10 * time.Minute)
	settle()
	if n := len(w.sim.Messages()); n != 1 {
		t.Fatalf("%d messages after cancel, want the set card only", n)
	}
}

// Two replicas on one Redis and one clock: twenty reminders due at the same
// minute fire exactly once each, whichever replica takes them.
func TestTwoReplicasFireOnce(t *testing.T) {
	w := newClockWorld(t, 2)
	const n = 20
	sh, _ := time.LoadLocation("Asia/Shanghai")
	due := w.clock.Now().In(sh).Add(10 * time.Minute)
	for i := range n {
		w.sendText(t, alice, "/remind standup")
		form := w.formFor(t, alice, i+1)
		w.click(t, alice, form.Card, "submit_btn", map[string]any{
			"what": "standup", "date": due.Format("2006-01-02 -0700"), "time": due.Format("15:04 -0700"), "notify": "group",
		})
	}
	eventually(t, "the set cards", func() bool { return len(w.sim.Messages()) == n })
	w.advance(11 * time.Minute)
	eventually(t, "the reminders", func() bool { return len(w.sim.Messages()) == 2*n })
	settle()
	posted, dups := w.creates()
	if posted != 2*n {
		t.Fatalf("%d posts, want %d set cards and %d reminders", posted, n, n)
	}
	t.Logf("duplicate post attempts answered by the uuid: %d", dups)
	for _, m := range w.sim.Messages()[n:] {
		if !strings.Contains(readable(m.Content), "<at id=all></at>") {
			t.Fatalf("reminder does not mention the group: %s", m.Content)
		}
	}
}

// The todo card: a stranger's Mark done is refused; the assignee's is
// answered with the new card and PATCHed for everyone; many clicks at once
// end in one state, which the last PATCH shows.
func TestTodoLifecycleEndToEnd(t *testing.T) {
	w := newClockWorld(t, 1)
	w.sendText(t, alice, "/todo Buy milk @_user_2", feishusim.Mention{Key: "@_user_2", OpenID: bob, Name: "Bob"})
	form := w.formFor(t, alice, 1)
	w.click(t, alice, form.Card, "submit_btn", map[string]any{"title": "Buy milk", "assignee": bob})
	eventually(t, "the todo card", func() bool { return len(w.sim.Messages()) == 1 })
	todo := w.sim.Messages()[0]

	if a := w.clickMessage(t, carol, todo, "todo_done_btn"); a.Toast == nil || a.Toast.Type != "error" || a.Card != nil {
		t.Fatalf("carol's done: %+v", a)
	}
	a := w.clickMessage(t, bob, todo, "todo_done_btn")
	if a.Toast == nil || a.Toast.Type != "success" || a.Card == nil || !strings.Contains(string(a.Card.Data), "Done by") {
		t.Fatalf("bob's done: %+v", a)
	}
	eventually(t, "the PATCH", func() bool { return strings.Contains(w.sim.Messages()[0].Content, "todo_reopen_btn") })

	value, _ := feishusim.ButtonValue(json.RawMessage(todo.Content), "todo_done_btn")
	id, _ := value["todo"].(string)
	reopen := map[string]any{"flow": "todo", "action": "todo_reopen", "todo": id}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, op := value, bob
			if i%2 == 0 {
				v, op = reopen, alice
			}
			res, err := w.platform.ClickButton(context.Background(), feishusim.ActionOpts{
				OperatorOpenID: op, ChatID: chatID, Value: v, Name: "b", Tag: "button"})
			if err != nil || res.Status != http.StatusOK {
				t.Errorf("click %d: %v %d", i, err, res.Status)
			}
		}()
	}
	wg.Wait()
	rec, err := w.store().Record(context.Background(), "todo", id)
	if err != nil {
		t.Fatal(err)
	}
	var final struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(rec.Data, &final); err != nil {
		t.Fatal(err)
	}
	wantButton := "todo_done_btn"
	if final.Status == "done" {
		wantButton = "todo_reopen_btn"
	}
	eventually(t, "the last PATCH to show the final state "+string(final.Status), func() bool {
		return strings.Contains(w.sim.Messages()[0].Content, wantButton)
	})
	settle()
	if c := w.sim.Messages()[0].Content; !strings.Contains(c, wantButton) {
		t.Fatalf("the card shows another state than %s: %s", final.Status, c)
	}
}

// /todo list in the group: the open todos, newest first.
func TestTodoListEndToEnd(t *testing.T) {
	w := newClockWorld(t, 1)
	for i, title := range []string{"First", "Second"} {
		w.sendText(t, alice, "/todo "+title)
		form := w.formFor(t, alice, i+1)
		w.click(t, alice, form.Card, "submit_btn", map[string]any{"title": title})
		eventually(t, "the todo card", func() bool { return len(w.sim.Messages()) == i+1 })
	}
	w.sendText(t, carol, "/todo list")
	list := string(w.formFor(t, carol, 1).Card)
	if i, j := strings.Index(list, "Second"), strings.Index(list, "First"); i < 0 || j < 0 || i > j {
		t.Fatalf("list not newest first: %s", list)
	}
}
