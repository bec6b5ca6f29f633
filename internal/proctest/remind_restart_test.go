package proctest

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/botd/botd/internal/feishusim"
)

// TestRemindSurvivesRestart sets a reminder a few seconds ahead, kills botd
// (SIGKILL) before it is due, and starts it again after the due time: the
// reminder lives in Redis, not in the dead process, so the new one fires
// it, exactly once.
//
// The binary runs on the wall clock and the form takes minutes, so the due
// time is the next minute boundary at least 8 s away: the test takes up to
// about a minute and a quarter. Firing more than two minutes late, and the
// card's "late" marking, are covered with a controlled clock in
// internal/flows and cmd/botd, where no test waits for real minutes.
func TestRemindSurvivesRestart(t *testing.T) {
	w := newWorld(t, worldOpts{chats: 1, users: 2})
	p := w.start("botd")
	plat := w.platform(p, p)
	ctx := context.Background()
	chat, user := w.chats[0], w.users[0]

	res, err := plat.SendText(ctx, feishusim.MessageOpts{ChatID: chat, ChatType: "group", SenderOpenID: user,
		Text: "/remind restart drill"})
	if err != nil || res.Status != http.StatusOK {
		t.Fatalf("command: %v %d", err, res.Status)
	}
	var form feishusim.Ephemeral
	waitFor(t, 15*time.Second, "the form", func() bool {
		for _, e := range w.sim.Ephemerals() {
			if e.OpenID == user {
				form = e
				return true
			}
		}
		return false
	})

	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(sh)
	due := now.Truncate(time.Minute).Add(time.Minute)
	if due.Sub(now) < 8*time.Second {
		due = due.Add(time.Minute)
	}
	value, ok := feishusim.ButtonValue(form.Card, "submit_btn")
	if !ok {
		t.Fatalf("no submit button: %s", form.Card)
	}
	res, err = plat.ClickButton(ctx, feishusim.ActionOpts{OperatorOpenID: user, ChatID: chat, Value: value,
		Name: "submit_btn", Timezone: "Asia/Shanghai", FormValue: map[string]any{
			"what": "restart drill", "date": due.Format("2006-01-02 -0700"), "time": due.Format("15:04 -0700"),
			"repeat": "once", "notify": "sender"}})
	if err != nil || res.Status != http.StatusOK || !strings.Contains(string(res.Body), "success") {
		t.Fatalf("submit: %v %d %s", err, res.Status, res.Body)
	}
	waitFor(t, 15*time.Second, "the set card", func() bool { return len(w.sim.Messages()) == 1 })

	p.Kill()
	if !sleep(ctx, time.Until(due)+2*time.Second) {
		t.Fatal("interrupted")
	}
	if n := len(w.sim.Messages()); n != 1 {
		t.Fatalf("%d messages while no botd ran", n)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	waitFor(t, 20*time.Second, "the reminder", func() bool { return len(w.sim.Messages()) >= 2 })
	t.Logf("reminder fired; settled %s after the last start", time.Since(started).Round(time.Millisecond))
	sleep(ctx, 2*time.Second) // anything more would come now
	msgs := w.sim.Messages()
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want the set card and one reminder", len(msgs))
	}
	fired := msgs[1].Content
	if !strings.Contains(fired, "restart drill") || !strings.Contains(fired, user) {
		t.Fatalf("reminder: %s", fired)
	}
	if strings.Contains(fired, "Sent late") {
		t.Error("a reminder a few seconds late is marked late")
	}
	dups := 0
	for _, c := range w.sim.Calls() {
		if c.Path == "/open-apis/im/v1/messages" && c.Duplicate {
			dups++
		}
	}
	if dups != 0 {
		t.Errorf("%d duplicate posts: the reminder was fired more than once", dups)
	}
}

// waitFor polls cond every 50 ms until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
