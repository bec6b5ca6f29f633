package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/botd/botd/internal/app"
	"github.com/botd/botd/internal/app/apptest"
	"github.com/botd/botd/internal/clock"
	"github.com/botd/botd/internal/feishusim"
	"github.com/botd/botd/internal/state"
	"github.com/botd/botd/internal/state/statetest"
)

// The two tenants of the store app's test: the same chat, the same people,
// the same message ids.
const (
	tenantA = "tenant_aaaa1111"
	tenantB = "tenant_bbbb2222"
)

// storeWorld is botd running as a store app (BOTD_APP_TYPE=store) against
// a simulator hosting two tenants, on a clock the test moves.
type storeWorld struct {
	sim   *feishusim.Server
	bot   *app.App
	clock *clock.Offset
	// platform delivers events of no tenant (the app's own); pf, a
	// tenant's.
	platform *feishusim.Platform
	pf       map[string]*feishusim.Platform
}

func newStoreWorld(t *testing.T) *storeWorld {
	t.Helper()
	redisURL := statetest.URL(t)
	if redisURL == "" {
		t.Skip("needs a real Redis: set " + statetest.EnvURL)
	}
	// AppTicketDelay < 0: the simulator holds the app_ticket botd asks for
	// at start until the test pushes it: it arrives late.
	sim := feishusim.New(feishusim.Options{AppID: testAppID, AppSecret: testSecret, BotOpenID: "ou_bot",
		AppType: feishusim.AppTypeStore, AppTicketDelay: -1})
	t.Cleanup(sim.Close)
	simSrv := httptest.NewServer(sim)
	t.Cleanup(simSrv.Close)
	for _, key := range []string{tenantA, tenantB} {
		ten := sim.Tenant(key)
		for _, u := range []feishusim.User{{OpenID: alice, Name: "Alice"}, {OpenID: bob, Name: "Bob"}, {OpenID: carol, Name: "Carol"}} {
			ten.AddUser(u)
		}
		ten.AddChat(feishusim.Chat{ID: chatID, Mode: "group", Name: "Team " + key, OwnerID: alice,
			Members: []string{alice, bob, carol}, BotIsMember: true})
	}

	w := &storeWorld{sim: sim, clock: &clock.Offset{}, pf: map[string]*feishusim.Platform{}}
	cfg := Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.AppID, cfg.AppSecret = testAppID, testSecret
	cfg.VerificationToken, cfg.EncryptKey = testToken, testKey
	cfg.OpenBaseURL = simSrv.URL
	cfg.RedisURL = Secret(redisURL)
	cfg.AppType = app.AppTypeStore
	cfg.FairUse = FairUse{}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	// The simulator must know where to push before botd asks for a ticket
	// at start: the platform is set up on the listener botd will get.
	w.bot = apptest.Start(t, cfg.App(), app.Options{Now: w.clock.Now})
	base := "http://" + w.bot.Addr()
	w.platform = &feishusim.Platform{
		EventURL: base + "/webhook/event", CardURL: base + "/webhook/card",
		AppID: testAppID, VerificationToken: testToken, EncryptKey: testKey,
		Client: &http.Client{Timeout: 5 * time.Second},
	}
	sim.SetPlatform(w.platform)
	for _, key := range []string{tenantA, tenantB} {
		w.pf[key] = w.platform.ForTenant(key)
	}
	return w
}

// send delivers text from sender in the tenant's chat, as message n: the
// same event and message ids in both tenants, which are two deliveries,
// not one delivered twice.
func (w *storeWorld) send(t *testing.T, key string, n int, sender, text string) {
	t.Helper()
	res, err := w.pf[key].SendText(context.Background(), feishusim.MessageOpts{
		ChatID: chatID, ChatType: "group", SenderOpenID: sender, Text: text,
		EventID: fmt.Sprintf("%032x", n), MessageID: fmt.Sprintf("om_same_%d", n),
	})
	if err != nil || res.Status != http.StatusOK {
		t.Fatalf("%s: %s: %v %d %s", key, text, err, res.Status, res.Body)
	}
}

// forms are the tenant's ephemeral cards to viewer.
func (w *storeWorld) forms(key, viewer string) []feishusim.Ephemeral {
	var out []feishusim.Ephemeral
	for _, e := range w.sim.Tenant(key).Ephemerals() {
		if e.OpenID == viewer {
			out = append(out, e)
		}
	}
	return out
}

func (w *storeWorld) formFor(t *testing.T, key, viewer string, n int) feishusim.Ephemeral {
	t.Helper()
	eventually(t, key+"'s form "+string(rune('0'+n)), func() bool { return len(w.forms(key, viewer)) >= n })
	return w.forms(key, viewer)[n-1]
}

// click presses button of card as operator of the tenant whose platform
// delivers it.
func (w *storeWorld) click(t *testing.T, by, operator string, card json.RawMessage, button string, form map[string]any) answer {
	t.Helper()
	value, ok := feishusim.ButtonValue(card, button)
	if !ok {
		t.Fatalf("no button %q in card %s", button, card)
	}
	res, err := w.pf[by].ClickButton(context.Background(), feishusim.ActionOpts{
		OperatorOpenID: operator, ChatID: chatID, Value: value, FormValue: form,
		Name: button, Tag: "button", Timezone: "Asia/Shanghai",
	})
	if err != nil || res.Status != http.StatusOK {
		t.Fatalf("click %s by %s of %s: %v %d %s", button, operator, by, err, res.Status, res.Body)
	}
	var a answer
	if err := json.Unmarshal(res.Body, &a); err != nil {
		t.Fatalf("callback answer is not JSON: %s", res.Body)
	}
	return a
}

// keys lists botd's keys matching pattern (after "botd:").
func (w *storeWorld) keys(t *testing.T, pattern string) []string {
	t.Helper()
	return statetest.Keys(t, w.bot.RedisClient(), "botd:"+pattern)
}

// Two tenants with the same chat and user ids run /todo and /remind side
// by side on one store app: the app_ticket arrives late, which delays their
// work without losing any; each tenant's forms and cards go to its own
// chat only; a click from one tenant on the other's form or card finds
// nothing; each has its own records and keys; removing one tenant deletes
// its keys and schedules and leaves the other's.
func TestStoreAppTwoTenants(t *testing.T) {
	w := newStoreWorld(t)
	ctx := context.Background()

	// 1. Commands before the app_ticket: accepted, and waiting.
	for _, key := range []string{tenantA, tenantB} {
		w.send(t, key, 1, alice, "/todo Buy milk")
	}
	settle()
	if n := len(w.sim.Ephemerals()); n != 0 {
		t.Fatalf("%d forms sent before any app_ticket", n)
	}
	if resends, _ := w.sim.AppTicketStats(); resends == 0 {
		t.Error("botd did not ask for an app_ticket at start")
	}
	time.Sleep(2 * time.Second) // a few deferrals of the send_form jobs
	if n := len(w.sim.Ephemerals()); n != 0 {
		t.Fatalf("%d forms sent before any app_ticket", n)
	}

	// 2. The ticket arrives: the waiting work goes out, once per tenant.
	if res, err := w.sim.PushAppTicket(ctx); err != nil || res.Status != http.StatusOK {
		t.Fatalf("app_ticket push: %v %d %s", err, res.Status, res.Body)
	}
	formA := w.formFor(t, tenantA, alice, 1)
	formB := w.formFor(t, tenantB, alice, 1)
	if formA.ChatID != chatID || formB.ChatID != chatID || formA.Tenant != tenantA || formB.Tenant != tenantB {
		t.Fatalf("forms: %+v / %+v", formA, formB)
	}

	// 3. Tenant B's alice presses Submit on tenant A's alice's form: it is
	// nowhere in B, and nothing happens in either.
	if a := w.click(t, tenantB, alice, formA.Card, "submit_btn", map[string]any{"title": "Hijack"}); a.Toast == nil || a.Toast.Type != "error" {
		t.Fatalf("B's submit on A's form: %+v", a.Toast)
	}
	for key, title := range map[string]string{tenantA: "A's milk", tenantB: "B's bread"} {
		form := formA
		if key == tenantB {
			form = formB
		}
		if a := w.click(t, key, alice, form.Card, "submit_btn", map[string]any{"title": title, "assignee": bob}); a.Toast == nil || a.Toast.Type != "success" {
			t.Fatalf("%s submit: %+v", key, a.Toast)
		}
	}
	for key, title := range map[string]string{tenantA: "A's milk", tenantB: "B's bread"} {
		eventually(t, key+"'s todo card", func() bool { return len(w.sim.Tenant(key).Messages()) == 1 })
		m := w.sim.Tenant(key).Messages()[0]
		if m.ChatID != chatID || !strings.Contains(m.Content, title) || strings.Contains(m.Content, "Hijack") {
			t.Fatalf("%s's card: %s", key, m.Content)
		}
	}
	settle()
	if n := len(w.sim.Messages()); n != 2 {
		t.Fatalf("%d group posts in all, want one per tenant", n)
	}

	// 4. Tenant B's bob presses Mark done on tenant A's card: not found in
	// B; A's card stays open. A's bob can.
	cardA := w.sim.Tenant(tenantA).Messages()[0]
	if a := w.click(t, tenantB, bob, json.RawMessage(cardA.Content), "todo_done_btn", nil); a.Toast == nil || a.Toast.Type != "error" {
		t.Fatalf("B's done on A's card: %+v", a)
	}
	settle()
	if m := w.sim.Tenant(tenantA).Messages()[0]; m.Updates != 0 || !strings.Contains(m.Content, "todo_done_btn") {
		t.Fatalf("A's card changed by B's click: %d updates", m.Updates)
	}
	if a := w.click(t, tenantA, bob, json.RawMessage(cardA.Content), "todo_done_btn", nil); a.Toast == nil || a.Toast.Type != "success" {
		t.Fatalf("A's own done: %+v", a)
	}
	eventually(t, "A's card PATCHed", func() bool { return w.sim.Tenant(tenantA).Messages()[0].Updates >= 1 })
	if m := w.sim.Tenant(tenantB).Messages()[0]; m.Updates != 0 {
		t.Fatalf("B's card changed by A's click: %d updates", m.Updates)
	}

	// 5. /remind side by side: one due in 30 minutes, one in 3 hours, in
	// each tenant; moving the clock 31 minutes fires each tenant's first,
	// once, in its own chat.
	sh, _ := time.LoadLocation("Asia/Shanghai")
	for i, in := range []time.Duration{30 * time.Minute, 3 * time.Hour} {
		due := w.clock.Now().In(sh).Add(in).Truncate(time.Minute).Add(time.Minute)
		for _, key := range []string{tenantA, tenantB} {
			w.send(t, key, 2+i, carol, "/remind in 30m stretch "+key)
			form := w.formFor(t, key, carol, i+1)
			a := w.click(t, key, carol, form.Card, "submit_btn", map[string]any{
				"what": "stretch " + key, "date": due.Format("2006-01-02 -0700"), "time": due.Format("15:04 -0700"),
				"repeat": "once", "notify": "group",
			})
			if a.Toast == nil || a.Toast.Type != "success" {
				t.Fatalf("%s remind submit: %+v", key, a.Toast)
			}
			eventually(t, key+"'s set card", func() bool { return len(w.sim.Tenant(key).Messages()) == 2+i })
		}
	}
	w.clock.Advance(31 * time.Minute)
	w.bot.Nudge()
	for _, key := range []string{tenantA, tenantB} {
		eventually(t, key+"'s reminder", func() bool { return len(w.sim.Tenant(key).Messages()) == 4 })
	}
	settle()
	for _, key := range []string{tenantA, tenantB} {
		msgs := w.sim.Tenant(key).Messages()
		if len(msgs) != 4 {
			t.Fatalf("%s: %d messages, want the todo, two set cards and one reminder", key, len(msgs))
		}
		for _, m := range msgs {
			other := tenantB
			if key == tenantB {
				other = tenantA
			}
			if m.ChatID != chatID || strings.Contains(m.Content, other) {
				t.Errorf("%s's chat got %s", key, m.Content)
			}
		}
		if !strings.Contains(msgs[3].Content, "stretch "+key) {
			t.Errorf("%s's reminder: %s", key, msgs[3].Content)
		}
	}

	// 6. Each tenant's records and keys are its own; nothing of theirs is
	// under a key without a tenant.
	for _, key := range []string{tenantA, tenantB} {
		if n := len(w.keys(t, "t:"+key+":todo:*")); n != 1 {
			t.Errorf("%s has %d todo records, want 1", key, n)
		}
		if n := len(w.keys(t, "t:"+key+":rem:*")); n != 2 {
			t.Errorf("%s has %d reminder records, want 2", key, n)
		}
	}
	for _, pattern := range []string{"itx:*", "todo:*", "rem:*", "claim:*", "cmd:*", "outbox:itx*", "members:*", "fair:*", "todos:*", "rems:*"} {
		if keys := w.keys(t, pattern); len(keys) != 0 {
			t.Errorf("unscoped keys %s: %v", pattern, keys)
		}
	}
	rdb := w.bot.RedisClient()
	// Jobs held back for the ticket made no call: no effect is in doubt.
	if amb, err := rdb.ZRange(ctx, statetest.Key(rdb, state.AmbiguousKey), 0, -1).Result(); err != nil || len(amb) != 0 {
		t.Errorf("ambiguous effects %v, %v; want none", amb, err)
	}
	due := dueMembers(t, rdb)
	if len(due) != 2 || !slices.ContainsFunc(due, prefixed(tenantA+"/rem:")) || !slices.ContainsFunc(due, prefixed(tenantB+"/rem:")) {
		t.Fatalf("due set %v; want each tenant's later reminder", due)
	}

	// 7. Tenant A removes the app: its keys and schedules go; B's stay.
	beforeB := w.keys(t, "t:"+tenantB+":*")
	slices.Sort(beforeB)
	if res, err := w.sim.UninstallTenant(ctx, tenantA); err != nil || res.Status != http.StatusOK {
		t.Fatalf("uninstall: %v %d %s", err, res.Status, res.Body)
	}
	eventually(t, "tenant A's keys deleted", func() bool { return len(w.keys(t, "t:"+tenantA+":*")) == 0 })
	due = dueMembers(t, rdb)
	if len(due) != 1 || !strings.HasPrefix(due[0], tenantB+"/rem:") {
		t.Fatalf("due set after A's removal: %v", due)
	}
	afterB := w.keys(t, "t:"+tenantB+":*")
	slices.Sort(afterB)
	for _, k := range beforeB {
		if !slices.Contains(afterB, k) && !strings.Contains(k, ":claim:") && !strings.Contains(k, ":members:") && !strings.Contains(k, ":cache:") {
			t.Errorf("tenant B lost %s", k) // claims and caches may lapse meanwhile
		}
	}
	// B goes on working.
	w.send(t, tenantB, 9, bob, "/todo After")
	w.formFor(t, tenantB, bob, 1)
}

// dueMembers reads the whole due set (one server: shard 0).
// dueMembers reads the whole due set: one key on one server, its shards
// (botd:due, botd:due:1 …) on a cluster.
func dueMembers(t *testing.T, rdb redis.UniversalClient) []string {
	t.Helper()
	var all []string
	for _, key := range statetest.Keys(t, rdb, "botd:due*") {
		m, err := rdb.ZRange(context.Background(), key, 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, m...)
	}
	return all
}

func prefixed(p string) func(string) bool {
	return func(s string) bool { return strings.HasPrefix(s, p) }
}
