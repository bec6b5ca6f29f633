package webapp

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/botd/botd/internal/feishusim"
	"github.com/botd/botd/internal/flows/remind"
	"github.com/botd/botd/internal/flows/todo"
)

// groupCard is a shared JSON 2.0 card as the todo's group card in the
// simulator, to be PATCHed by the card job.
const groupCard = `{"schema":"2.0","config":{"update_multi":true},"header":{"title":{"tag":"plain_text","content":"todo"}},"body":{"elements":[]}}`

// world adds the chats the tests use: alice, bob and carol in "Team A";
// alice and bob in "Team B"; and a todo of alice's assigned to bob with its
// group card in Team A, and a reminder of alice's for bob.
func (rp *replica) world(t *testing.T) (todoID, reminderID string) {
	t.Helper()
	sim := rp.p.sim
	sim.AddChat(feishusim.Chat{ID: "oc_teama", Name: "Team A", Members: []string{alice, bob, carol}, BotIsMember: true})
	sim.AddChat(feishusim.Chat{ID: "oc_teamb", Name: "Team B", Members: []string{alice, bob}, BotIsMember: true})
	msg := sim.AddMessage(feishusim.Message{ChatID: "oc_teama", MsgType: "interactive", Content: groupCard})
	rp.seedTodo(t, todo.Todo{ID: "td_milk", TenantKey: simTenant, ChatID: "oc_teama", Title: "Buy milk", CreatorID: alice,
		Assignee: bob, Due: "2024-11-15", Locale: "en_us", Timezone: "Asia/Shanghai", MessageID: msg})
	rp.seedReminder(t, remind.Reminder{ID: "rm_standup", TenantKey: simTenant, ChatID: "oc_teama", What: "standup", CreatorID: alice,
		Notify: remind.NotifyPeople, People: []string{bob}, Locale: "zh_cn", Repeat: remind.RepeatOnce})
	return "td_milk", "rm_standup"
}

type actionAnswer struct {
	Item  Item  `json:"item"`
	Toast toast `json:"toast"`
}

func (rp *replica) act(t *testing.T, cookie, path, action string, hdr map[string]string) (answer, actionAnswer) {
	t.Helper()
	h := map[string]string{"Cookie": cookie, "Origin": rp.srv.URL}
	for k, v := range hdr {
		h[k] = v
	}
	a := rp.do(t, http.MethodPost, path, map[string]string{"action": action}, h)
	var out actionAnswer
	if a.status == http.StatusOK {
		if err := json.Unmarshal([]byte(a.raw), &out); err != nil {
			t.Fatal(err)
		}
	}
	return a, out
}

func TestMe(t *testing.T) {
	p := newPlatform(t)
	rp := p.replica(t, Config{})
	if a := rp.do(t, http.MethodGet, "/app/api/me", nil, nil); a.status != http.StatusUnauthorized {
		t.Fatalf("me without a session: %d", a.status)
	}
	cookie := rp.login(t, alice)
	a := rp.do(t, http.MethodGet, "/app/api/me", nil, map[string]string{"Cookie": cookie})
	if a.status != http.StatusOK || a.body["open_id"] != alice || a.body["tenant_key"] != simTenant || a.body["name"] != "alice" {
		t.Fatalf("me: %d %s", a.status, a.raw)
	}
}

// Items carry their chat's name, what the member may press, and who closed
// them.
func TestItemsCarryChatNameAndActions(t *testing.T) {
	p := newPlatform(t)
	rp := p.replica(t, Config{})
	todoID, remID := rp.world(t)
	cookie := rp.login(t, bob)
	a := rp.do(t, http.MethodGet, "/app/api/items", nil, map[string]string{"Cookie": cookie})
	var out struct {
		Items []Item `json:"items"`
	}
	if err := json.Unmarshal([]byte(a.raw), &out); err != nil || len(out.Items) != 2 {
		t.Fatalf("items: %d %s", a.status, a.raw)
	}
	for _, it := range out.Items {
		if it.ChatName != "Team A" {
			t.Errorf("%s: chat_name %q", it.ID, it.ChatName)
		}
		switch it.ID {
		case todoID:
			if !slices.Equal(it.Actions, []string{"done"}) || it.Due != "2024-11-15" || !it.ClosedAt.IsZero() {
				t.Errorf("bob's todo: %+v", it)
			}
		case remID:
			// Bob is reminded, not the creator: he may snooze once it
			// fired, never cancel.
			if len(it.Actions) != 0 || it.Role != "addressed" {
				t.Errorf("bob's reminder: %+v", it)
			}
		}
	}
	if !strings.Contains(a.raw, `"actions":[]`) {
		t.Errorf("an item without actions must say [] (not null): %s", a.raw)
	}
}

// Mark done from the web app has the group card's rules and effects: the
// todo is done, its group card is PATCHed by the card job, a second press
// is "already done"; the toast is in the member's language.
func TestActionMarksDoneAndUpdatesGroupCard(t *testing.T) {
	p := newPlatform(t)
	rp := p.replica(t, Config{})
	todoID, _ := rp.world(t)
	path := "/app/api/items/" + todoID + "/actions"
	cookie := rp.login(t, bob)

	a, out := rp.act(t, cookie, path, "done", map[string]string{"Accept-Language": "fr-FR, zh-CN;q=0.8, en;q=0.5"})
	if a.status != http.StatusOK || out.Toast.Type != "success" || out.Toast.Text != "已标记完成" {
		t.Fatalf("done: %d %s", a.status, a.raw)
	}
	if it := out.Item; it.Status != "done" || it.Open || !slices.Equal(it.Actions, []string{"reopen"}) || it.ClosedBy != bob ||
		!it.ClosedAt.Equal(p.clock.Now()) || it.ChatName != "Team A" {
		t.Fatalf("item after done: %+v", it)
	}
	if n := len(rp.drain(t)); n != 1 {
		t.Fatalf("%d jobs after done, want the card job", n)
	}
	var group feishusim.Message
	for _, m := range p.sim.Messages() {
		if m.ChatID == "oc_teama" {
			group = m
		}
	}
	if group.Updates != 1 || !strings.Contains(group.Content, "todo_reopen") || !strings.Contains(group.Content, `"schema":"2.0"`) {
		t.Fatalf("the group card was not updated to done: %+v", group)
	}

	a, out = rp.act(t, cookie, path+"?lang=en", "done", nil)
	if a.status != http.StatusOK || out.Toast.Type != "info" || out.Toast.Text != "Already done" || out.Item.Status != "done" {
		t.Fatalf("done twice: %d %s", a.status, a.raw)
	}
	if n := len(rp.drain(t)); n != 0 {
		t.Fatalf("%d jobs after a press without effect", n)
	}

	// Alice (the creator) reopens.
	a, out = rp.act(t, rp.login(t, alice), path, "reopen", map[string]string{"Accept-Language": "en-GB"})
	if a.status != http.StatusOK || out.Toast.Text != "Reopened" || out.Item.Status != "open" || !out.Item.ClosedAt.IsZero() {
		t.Fatalf("reopen: %d %s", a.status, a.raw)
	}
}

func TestActionRefusals(t *testing.T) {
	p := newPlatform(t)
	rp := p.replica(t, Config{})
	todoID, remID := rp.world(t)
	bobCookie := rp.login(t, bob)
	carolCookie := rp.login(t, carol)
	todoPath := "/app/api/items/" + todoID + "/actions"
	remPath := "/app/api/items/" + remID + "/actions"

	for _, tc := range []struct {
		name   string
		cookie string
		path   string
		body   any
		hdr    map[string]string
		want   int
	}{
		{"no session", "", todoPath, map[string]string{"action": "done"}, nil, http.StatusUnauthorized},
		{"cross-site", bobCookie, todoPath, map[string]string{"action": "done"}, map[string]string{"Origin": "https://evil.example.com"}, http.StatusForbidden},
		{"another member's item", carolCookie, todoPath, map[string]string{"action": "done"}, nil, http.StatusNotFound},
		{"no such item", bobCookie, "/app/api/items/td_nope/actions", map[string]string{"action": "done"}, nil, http.StatusNotFound},
		{"a reminder's action on a todo", bobCookie, todoPath, map[string]string{"action": "cancel"}, nil, http.StatusBadRequest},
		{"a todo's action on a reminder", bobCookie, remPath, map[string]string{"action": "done"}, nil, http.StatusBadRequest},
		{"unknown action", bobCookie, todoPath, map[string]string{"action": "todo_done"}, nil, http.StatusBadRequest},
		{"not JSON", bobCookie, todoPath, "done", nil, http.StatusBadRequest},
		{"too large", bobCookie, todoPath, `{"action":"` + strings.Repeat("x", 8<<10) + `"}`, nil, http.StatusRequestEntityTooLarge},
		{"GET", bobCookie, todoPath, nil, nil, http.StatusMethodNotAllowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := map[string]string{"Cookie": tc.cookie, "Origin": rp.srv.URL}
			for k, v := range tc.hdr {
				hdr[k] = v
			}
			method := http.MethodPost
			if tc.name == "GET" {
				method = http.MethodGet
			}
			if a := rp.do(t, method, tc.path, tc.body, hdr); a.status != tc.want {
				t.Fatalf("%d %s, want %d", a.status, a.raw, tc.want)
			}
		})
	}
	if n := len(rp.drain(t)); n != 0 {
		t.Fatalf("refused requests queued %d jobs", n)
	}

	// The flow's own refusals are 200s with the flow's toast: Bob may not
	// cancel Alice's reminder (he is not offered it, but the server
	// decides), and there is nothing to snooze before it fired.
	a, out := rp.act(t, bobCookie, remPath, "cancel", map[string]string{"Accept-Language": "en"})
	if a.status != http.StatusOK || out.Toast.Type != "error" || out.Item.Status != "active" {
		t.Fatalf("bob cancels: %d %s", a.status, a.raw)
	}
	a, out = rp.act(t, bobCookie, remPath, "snooze", map[string]string{"Accept-Language": "zh"})
	if a.status != http.StatusOK || out.Toast.Type != "info" || !strings.Contains(out.Toast.Text, "无需推迟") {
		t.Fatalf("snooze before it fired: %d %s", a.status, a.raw)
	}
	// A member who left the chat is refused like a click on the card.
	if err := p.sim.RemoveMember("oc_teama", bob); err != nil {
		t.Fatal(err)
	}
	rp.p.clock.Advance(time.Minute)
	a, out = rp.act(t, bobCookie, todoPath, "done", nil)
	if a.status != http.StatusOK || out.Toast.Type != "error" || out.Item.Status != "open" {
		t.Fatalf("a member who left: %d %s", a.status, a.raw)
	}
}

func TestReminderCancel(t *testing.T) {
	p := newPlatform(t)
	rp := p.replica(t, Config{})
	_, remID := rp.world(t)
	a, out := rp.act(t, rp.login(t, alice), "/app/api/items/"+remID+"/actions", "cancel", nil)
	if a.status != http.StatusOK || out.Toast.Type != "success" || out.Item.Status != "cancelled" || out.Item.ClosedBy != alice ||
		len(out.Item.Actions) != 0 || out.Item.Due != "" {
		t.Fatalf("cancel: %d %s", a.status, a.raw)
	}
}
