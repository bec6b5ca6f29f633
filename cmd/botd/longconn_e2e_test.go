package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/botd/botd/internal/app"
	"github.com/botd/botd/internal/app/apptest"
	"github.com/botd/botd/internal/clock"
	"github.com/botd/botd/internal/feishusim"
	"github.com/botd/botd/internal/state/statetest"
)

// newLongConnWorld is the e2e world with botd in websocket mode
// (BOTD_EVENT_MODE=websocket): replicas botd Apps on one Redis, one clock
// and one simulator, each holding a long connection to it; the platform
// delivers over those connections, plain JSON to one of them at random.
// botd has no verification token and no encrypt key: the long connection
// needs neither. The simulator pings every second, so a silent connection
// is noticed within 7 s.
func newLongConnWorld(t *testing.T, replicas int, edit func(*Config)) *clockWorld {
	t.Helper()
	sim := feishusim.New(feishusim.Options{AppID: testAppID, AppSecret: testSecret, BotOpenID: "ou_bot",
		LongConn: feishusim.LongConnOptions{PingInterval: time.Second}})
	simSrv := httptest.NewServer(sim)
	t.Cleanup(func() {
		sim.LongConn().Close()
		simSrv.Close()
	})
	for _, u := range []feishusim.User{{OpenID: alice, Name: "Alice"}, {OpenID: bob, Name: "Bob"}, {OpenID: carol, Name: "Carol"}} {
		sim.AddUser(u)
	}
	sim.AddChat(feishusim.Chat{ID: chatID, Mode: "group", Name: "Team", OwnerID: alice,
		Members: []string{alice, bob, carol}, BotIsMember: true})

	redisURL := statetest.URL(t)
	if redisURL == "" {
		redisURL = "redis://" + miniredis.RunT(t).Addr() + "/0"
	}
	cw := &clockWorld{clock: &clock.Offset{}}
	for range replicas {
		cfg := Default()
		cfg.Addr = "127.0.0.1:0"
		cfg.EventMode = app.EventModeWebSocket
		cfg.AppID, cfg.AppSecret = testAppID, testSecret
		cfg.OpenBaseURL = simSrv.URL
		cfg.RedisURL = Secret(redisURL)
		cfg.RateLimits = "off"
		cfg.FairUse = FairUse{}
		if edit != nil {
			edit(&cfg)
		}
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		cw.apps = append(cw.apps, apptest.Start(t, cfg.App(), app.Options{Now: cw.clock.Now}))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := sim.LongConn().WaitConns(ctx, replicas); err != nil {
		t.Fatal(err)
	}
	cw.world = &world{sim: sim, bot: cw.apps[0],
		platform: &feishusim.Platform{LongConn: sim.LongConn(), AppID: testAppID, TenantKey: testTenant}}
	return cw
}

// get fetches a path from botd and returns the status and body.
func get(t *testing.T, base, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The spine of the product over the long connection: /todo, one form for
// the sender, submit, one group post and one delete; the callback's toast
// came back on its frame. Both deliveries were acknowledged.
func TestLongConnTodoEndToEnd(t *testing.T) {
	w := newLongConnWorld(t, 1, nil)
	res := w.sendText(t, alice, "@_user_1 /todo Buy milk @_user_2",
		feishusim.Mention{Key: "@_user_1", OpenID: "ou_bot", Name: "botd"},
		feishusim.Mention{Key: "@_user_2", OpenID: bob, Name: "Bob"})
	if res.Status != http.StatusOK {
		t.Fatalf("event acknowledged with %d", res.Status)
	}
	form := w.formFor(t, alice, 1)
	if !strings.Contains(string(form.Card), "Buy milk") {
		t.Fatalf("form not prefilled: %s", form.Card)
	}
	a := w.click(t, alice, form.Card, "submit_btn", map[string]any{"title": "Buy milk", "assignee": bob, "due_date": tomorrow()})
	if a.Toast == nil || a.Toast.Type != "success" {
		t.Fatalf("submit answer: %+v", a)
	}
	eventually(t, "group post and form deletion", func() bool {
		return len(w.sim.Messages()) == 1 && len(w.calls("/open-apis/ephemeral/v1/delete")) == 1
	})
	settle()
	if n := len(w.calls("/open-apis/ephemeral/v1/send")); n != 1 {
		t.Errorf("%d ephemeral sends, want 1", n)
	}
	if msgs := w.sim.Messages(); len(msgs) != 1 || msgs[0].UUID == "" || !strings.Contains(msgs[0].Content, "Buy milk") {
		t.Errorf("group posts: %+v", msgs)
	}
	if st := w.sim.LongConn().Stats(); st.Acked != 2 || st.Failed != 0 {
		t.Errorf("long connection: %+v, want the event and the callback acknowledged", st)
	}
}

// /remind over the long connection: the form, the submit, the set card,
// the reminder firing on botd's clock, and Done on the fired card.
func TestLongConnRemindEndToEnd(t *testing.T) {
	w := newLongConnWorld(t, 1, nil)
	w.sendText(t, alice, "/remind in 30m stretch")
	form := w.formFor(t, alice, 1)
	sh, _ := time.LoadLocation("Asia/Shanghai")
	due := w.clock.Now().In(sh).Add(30 * time.Minute).Truncate(time.Minute).Add(time.Minute)
	a := w.click(t, alice, form.Card, "submit_btn", map[string]any{
		"what": "stretch", "date": due.Format("2006-01-02 -0700"), "time": due.Format("15:04 -0700"),
		"repeat": "once", "notify": "people", "people": []any{bob},
	})
	if a.Toast == nil || a.Toast.Type != "success" {
		t.Fatalf("submit: %+v", a.Toast)
	}
	eventually(t, "the set card", func() bool { return len(w.sim.Messages()) == 1 })
	w.advance(31 * time.Minute)
	eventually(t, "the reminder", func() bool { return len(w.sim.Messages()) == 2 })
	fired := w.sim.Messages()[1]
	if !strings.Contains(readable(fired.Content), "<at id="+bob+"></at>") {
		t.Fatalf("fired card: %s", fired.Content)
	}
	// The fire job posts the card, then records the occurrence: a click in
	// between (the test clicks the moment the card exists; a member cannot)
	// is refused with nothing changed, so the test presses again.
	var done answer
	eventually(t, "Done on the fired card", func() bool {
		done = w.clickMessage(t, bob, fired, "remind_done_btn")
		return done.Toast != nil && done.Toast.Type == "success"
	})
	if done.Card == nil {
		t.Fatalf("done: %+v", done)
	}
	eventually(t, "the fired card PATCHed", func() bool { return strings.Contains(w.sim.Messages()[1].Content, "Done by") })
}

// In websocket mode the webhook routes do not exist; /healthz, /readyz and
// /metrics stay on HTTP. /readyz is 503 while the connection is down (the
// platform unavailable) and 200 again once botd has reconnected; the
// metrics show the connection and why it was lost.
func TestLongConnHTTPSurfaceAndReadiness(t *testing.T) {
	w := newLongConnWorld(t, 1, nil)
	addr := w.bot.Addr()
	for _, path := range []string{"/webhook/event", "/webhook/card"} {
		resp, err := http.Post("http://"+addr+path, "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("POST %s: %d, want 404 in websocket mode", path, resp.StatusCode)
		}
	}
	if code, _ := get(t, addr, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz: %d", code)
	}
	eventually(t, "ready", func() bool { code, _ := get(t, addr, "/readyz"); return code == http.StatusOK })
	if _, m := get(t, addr, "/metrics"); !strings.Contains(m, "botd_longconn_connected 1") {
		t.Fatalf("metrics while connected:\n%s", grepLines(m, "botd_longconn"))
	}

	// The platform goes away: the connection is cut and the endpoint
	// answers 503 until it is back.
	var down atomic.Bool
	down.Store(true)
	w.sim.SetFault(func(r *http.Request) *feishusim.Fault {
		if down.Load() && r.URL.Path == feishusim.EndpointPath {
			return &feishusim.Fault{Status: http.StatusServiceUnavailable, Code: 1, Msg: "system busy"}
		}
		return nil
	})
	w.sim.LongConn().DropAll()
	eventually(t, "not ready while disconnected", func() bool {
		code, body := get(t, addr, "/readyz")
		return code == http.StatusServiceUnavailable && strings.Contains(body, "long connection")
	})
	eventually(t, "a failed reconnect", func() bool {
		_, m := get(t, addr, "/metrics")
		return strings.Contains(m, `botd_longconn_reconnects_total{reason="unavailable"}`) &&
			!strings.Contains(m, `botd_longconn_reconnects_total{reason="unavailable"} 0`)
	})
	_, m := get(t, addr, "/metrics")
	for _, want := range []string{"botd_longconn_connected 0", `botd_longconn_reconnects_total{reason="closed"} 1`} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q:\n%s", want, grepLines(m, "botd_longconn"))
		}
	}
	down.Store(false)
	eventually(t, "ready again", func() bool { code, _ := get(t, addr, "/readyz"); return code == http.StatusOK })
	if res := w.sendText(t, carol, "/help"); res.Status != http.StatusOK {
		t.Fatalf("after reconnecting: %d", res.Status)
	}
	w.formFor(t, carol, 1)
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// lcFlow is one member's /todo, driven to the end.
type lcFlow struct {
	user, title, eventID, messageID string
}

// lcDriver plays the platform and the members: every event is delivered
// again until a connection acknowledges it (the platform redelivers what
// was not acknowledged, with the same event_id), and a member clicks Submit
// again until botd answers with a toast that is not an error.
type lcDriver struct {
	w            *clockWorld
	redeliveries atomic.Int64
	reclicks     atomic.Int64
}

func (d *lcDriver) retry(ctx context.Context, again *atomic.Int64, try func() error) error {
	for {
		err := try()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w; last: %w", ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
		again.Add(1)
	}
}

// command delivers f's /todo until it is acknowledged.
func (d *lcDriver) command(ctx context.Context, f lcFlow) error {
	opts := feishusim.MessageOpts{ChatID: chatID, ChatType: "group", SenderOpenID: f.user,
		Text: "/todo " + f.title, EventID: f.eventID, MessageID: f.messageID}
	return d.retry(ctx, &d.redeliveries, func() error {
		res, err := d.w.platform.SendText(ctx, opts)
		if err != nil {
			return err
		}
		if res.Status != http.StatusOK {
			return fmt.Errorf("acknowledged with %d", res.Status)
		}
		return nil
	})
}

// submit waits for f's form and submits it until botd confirms.
func (d *lcDriver) submit(ctx context.Context, f lcFlow) error {
	var form feishusim.Ephemeral
	for form.MessageID == "" {
		for _, e := range d.w.sim.Ephemerals() {
			if e.OpenID == f.user && strings.Contains(string(e.Card), f.title) {
				form = e
			}
		}
		if form.MessageID == "" {
			select {
			case <-ctx.Done():
				return fmt.Errorf("no form for %q: %w", f.title, ctx.Err())
			case <-time.After(25 * time.Millisecond):
			}
		}
	}
	value, ok := feishusim.ButtonValue(form.Card, "submit_btn")
	if !ok {
		return fmt.Errorf("no submit button on %s", form.Card)
	}
	return d.retry(ctx, &d.reclicks, func() error {
		res, err := d.w.platform.ClickButton(ctx, feishusim.ActionOpts{OperatorOpenID: f.user, ChatID: chatID,
			MessageID: form.MessageID, Value: value, FormValue: map[string]any{"title": f.title}, Name: "submit_btn"})
		if err != nil {
			return err
		}
		var a answer
		if res.Status != http.StatusOK || json.Unmarshal(res.Body, &a) != nil || a.Toast == nil || a.Toast.Type == "error" {
			return fmt.Errorf("answered %d: %s", res.Status, res.Body)
		}
		return nil
	})
}

// run drives every flow, spreading the commands over spread, and returns
// the first failure.
func (d *lcDriver) run(ctx context.Context, flows []lcFlow, spread time.Duration) error {
	var wg sync.WaitGroup
	errs := make(chan error, 2*len(flows))
	gap := spread / time.Duration(len(flows))
	for i, f := range flows {
		wg.Go(func() {
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Duration(i) * gap):
			}
			if err := d.command(ctx, f); err != nil {
				errs <- fmt.Errorf("%q: command: %w", f.title, err)
				return
			}
			if err := d.submit(ctx, f); err != nil {
				errs <- fmt.Errorf("%q: submit: %w", f.title, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func newFlows(prefix string, n int) []lcFlow {
	users := []string{alice, bob, carol}
	flows := make([]lcFlow, n)
	for i := range flows {
		flows[i] = lcFlow{user: users[i%len(users)], title: fmt.Sprintf("%s %03d", prefix, i),
			eventID: fmt.Sprintf("%016x%016x", time.Now().UnixNano(), i), messageID: fmt.Sprintf("om_%s%03d", prefix, i)}
	}
	return flows
}

// checkExactlyOnce: every flow has exactly one form (sent once), one group
// post and its form deleted, and nothing else was sent.
func checkExactlyOnce(t *testing.T, w *clockWorld, flows []lcFlow) {
	t.Helper()
	eventually(t, "every post and delete", func() bool {
		deleted := 0
		for _, e := range w.sim.Ephemerals() {
			if e.Deleted {
				deleted++
			}
		}
		return len(w.sim.Messages()) >= len(flows) && deleted >= len(flows)
	})
	settle()
	eph, msgs := w.sim.Ephemerals(), w.sim.Messages()
	if len(eph) != len(flows) || len(msgs) != len(flows) {
		t.Errorf("%d forms and %d posts for %d commands, want one each", len(eph), len(msgs), len(flows))
	}
	for _, f := range flows {
		forms, posts := 0, 0
		for _, e := range eph {
			if strings.Contains(string(e.Card), f.title) {
				forms++
				if !e.Deleted {
					t.Errorf("%q: form not deleted", f.title)
				}
			}
		}
		for _, m := range msgs {
			if strings.Contains(m.Content, f.title) {
				posts++
			}
		}
		if forms != 1 || posts != 1 {
			t.Errorf("%q: %d forms and %d posts, want 1 and 1", f.title, forms, posts)
		}
	}
}

// The connection dropped, then gone half-open, in the middle of traffic:
// botd reconnects both times (the drop noticed at once, the silence by the
// read deadline), the platform's redeliveries and the members' repeated
// clicks are absorbed, and every command ends in exactly one form, one post
// and one delete: nothing lost, nothing twice.
func TestLongConnDropAndHalfOpenLoseNothing(t *testing.T) {
	w := newLongConnWorld(t, 1, nil)
	flows := newFlows("chaos", 24)
	d := &lcDriver{w: w}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- d.run(ctx, flows, 6*time.Second) }()

	lc := w.sim.LongConn()
	time.Sleep(1500 * time.Millisecond)
	if lc.DropAll() != 1 {
		t.Fatal("no connection to drop")
	}
	if err := lc.WaitConns(ctx, 1); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	if lc.HalfOpen() != 1 {
		t.Fatal("no connection to silence")
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	checkExactlyOnce(t, w, flows)

	_, m := get(t, w.bot.Addr(), "/metrics")
	for _, want := range []string{`botd_longconn_reconnects_total{reason="closed"} 1`, `botd_longconn_reconnects_total{reason="timeout"} 1`} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q:\n%s", want, grepLines(m, "botd_longconn"))
		}
	}
	if d.redeliveries.Load() == 0 {
		t.Error("no delivery had to be repeated: the chaos missed the traffic")
	}
	t.Logf("%d flows; redeliveries %d, clicks repeated %d; long connection %+v",
		len(flows), d.redeliveries.Load(), d.reclicks.Load(), lc.Stats())
}

// Two replicas, each with its own connection; one of them is shut down in
// the middle of traffic. Its Stop drains and returns in time, the platform
// delivers to the other, and every command ends in exactly one form, one
// post and one delete.
func TestLongConnShutdownDuringTrafficLosesNothing(t *testing.T) {
	w := newLongConnWorld(t, 2, nil)
	flows := newFlows("shutdown", 30)
	d := &lcDriver{w: w}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- d.run(ctx, flows, 4*time.Second) }()

	time.Sleep(1500 * time.Millisecond)
	sctx, scancel := context.WithTimeout(context.Background(), Default().ShutdownTimeout)
	defer scancel()
	if err := w.apps[0].Stop(sctx); err != nil {
		t.Fatalf("stopping a replica during traffic: %v", err)
	}
	// The platform notices the closed connection.
	eventually(t, "one connection left", func() bool { return len(w.sim.LongConn().ConnIDs()) == 1 })
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	checkExactlyOnce(t, w, flows)
	t.Logf("%d flows; redeliveries %d, clicks repeated %d; long connection %+v",
		len(flows), d.redeliveries.Load(), d.reclicks.Load(), w.sim.LongConn().Stats())
}
