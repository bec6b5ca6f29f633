package webapp

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/remind"
	"github.com/botd/botd/internal/flows/todo"
)

// seed stores records as the flows do: through their record type's JSON
// and indexes.
func (rp *replica) seedTodo(t *testing.T, td todo.Todo) {
	t.Helper()
	td.CreatedAt, td.Version = rp.p.clock.Now(), 1
	if td.Status == "" {
		td.Status = todo.Open
	}
	b, _ := json.Marshal(td)
	if err := rp.store.CreateRecord(t.Context(), flows.StoredRecord{Kind: todo.Kind, ID: td.ID, Data: b, Index: td.Indexes()}); err != nil {
		t.Fatal(err)
	}
	rp.p.clock.Advance(time.Second)
}

func (rp *replica) seedReminder(t *testing.T, rm remind.Reminder) {
	t.Helper()
	rm.CreatedAt, rm.Version = rp.p.clock.Now(), 1
	if rm.Status == "" {
		rm.Status = remind.Active
	}
	rm.Timezone, rm.NextDue = "Asia/Shanghai", rp.p.clock.Now().Add(time.Hour)
	b, _ := json.Marshal(rm)
	if err := rp.store.CreateRecord(t.Context(), flows.StoredRecord{Kind: remind.Kind, ID: rm.ID, Data: b, Index: rm.Indexes()}); err != nil {
		t.Fatal(err)
	}
	rp.p.clock.Advance(time.Second)
}

func (rp *replica) itemIDs(t *testing.T, cookie, query string) []string {
	t.Helper()
	a := rp.do(t, http.MethodGet, "/app/api/items"+query, nil, map[string]string{"Cookie": cookie})
	if a.status != http.StatusOK {
		t.Fatalf("items%s: %d %s", query, a.status, a.raw)
	}
	var out struct {
		Items []Item `json:"items"`
	}
	if err := json.Unmarshal([]byte(a.raw), &out); err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, it := range out.Items {
		if it.ID == "" || it.Title == "" || it.ChatID == "" || (it.Kind != KindTodo && it.Kind != KindReminder) {
			t.Fatalf("item without id, kind, title or chat_id: %+v", it)
		}
		ids = append(ids, it.ID)
	}
	slices.Sort(ids)
	return ids
}

func TestItemsOnlyTheMembers(t *testing.T) {
	p := newPlatform(t)
	rp := p.replica(t, Config{})
	rp.seedTodo(t, todo.Todo{ID: "td_alice_made", TenantKey: simTenant, ChatID: "oc_a", Title: "made by alice", CreatorID: alice, Assignee: bob})
	rp.seedTodo(t, todo.Todo{ID: "td_alice_does", TenantKey: simTenant, ChatID: "oc_b", Title: "for alice", CreatorID: carol, Assignee: alice, Status: todo.Done})
	rp.seedTodo(t, todo.Todo{ID: "td_carol_only", TenantKey: simTenant, ChatID: "oc_a", Title: "carol's", CreatorID: carol})
	rp.seedTodo(t, todo.Todo{ID: "td_other_tenant", TenantKey: "other", ChatID: "oc_x", Title: "same open_id, other tenant", CreatorID: alice})
	rp.seedReminder(t, remind.Reminder{ID: "rm_alice_set", TenantKey: simTenant, ChatID: "oc_a", What: "standup", CreatorID: alice, Notify: remind.NotifySender})
	rp.seedReminder(t, remind.Reminder{ID: "rm_for_alice", TenantKey: simTenant, ChatID: "oc_b", What: "call", CreatorID: carol, Notify: remind.NotifyPeople, People: []string{bob, alice}})
	rp.seedReminder(t, remind.Reminder{ID: "rm_group", TenantKey: simTenant, ChatID: "oc_a", What: "lunch", CreatorID: carol, Notify: remind.NotifyGroup, Status: remind.Cancelled})

	if a := rp.do(t, http.MethodGet, "/app/api/items", nil, nil); a.status != http.StatusUnauthorized {
		t.Fatalf("items without a session: %d", a.status)
	}

	aliceCookie := rp.login(t, alice)
	want := []string{"rm_alice_set", "rm_for_alice", "td_alice_does", "td_alice_made"}
	if got := rp.itemIDs(t, aliceCookie, ""); !slices.Equal(got, want) {
		t.Fatalf("alice's items %v, want %v", got, want)
	}
	for q, want := range map[string][]string{
		"?kind=todo":                {"td_alice_does", "td_alice_made"},
		"?kind=reminder":            {"rm_alice_set", "rm_for_alice"},
		"?state=done":               {"td_alice_does"},
		"?kind=todo&state=open":     {"td_alice_made"},
		"?kind=reminder&state=done": {},
	} {
		if got := rp.itemIDs(t, aliceCookie, q); !slices.Equal(got, want) {
			t.Errorf("alice's items%s %v, want %v", q, got, want)
		}
	}
	if a := rp.do(t, http.MethodGet, "/app/api/items?kind=all", nil, map[string]string{"Cookie": aliceCookie}); a.status != http.StatusBadRequest {
		t.Errorf("bad filter: %d", a.status)
	}

	// Another member's item, or one of another tenant, is a 404 like none.
	for _, id := range []string{"td_carol_only", "td_other_tenant", "rm_group", "td_nope", "x", "td_%2Fx", "td_a%20b"} {
		if a := rp.do(t, http.MethodGet, "/app/api/items/"+id, nil, map[string]string{"Cookie": aliceCookie}); a.status != http.StatusNotFound {
			t.Errorf("alice gets %s: %d %s, want 404", id, a.status, a.raw)
		}
	}
	a := rp.do(t, http.MethodGet, "/app/api/items/td_alice_does", nil, map[string]string{"Cookie": aliceCookie})
	if a.status != http.StatusOK || a.body["role"] != "assignee" || a.body["status"] != "done" {
		t.Fatalf("alice's own item: %d %s", a.status, a.raw)
	}

	bobCookie := rp.login(t, bob)
	if got := rp.itemIDs(t, bobCookie, ""); !slices.Equal(got, []string{"rm_for_alice", "td_alice_made"}) {
		t.Fatalf("bob's items %v", got)
	}
}
