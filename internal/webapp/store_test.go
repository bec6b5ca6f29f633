package webapp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"go.uber.org/zap/zaptest"

	"github.com/botd/botd/internal/ephemeral"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/todo"
	"github.com/botd/botd/internal/state"
	"github.com/botd/botd/internal/state/statetest"
	"github.com/botd/botd/internal/tenant"
)

// storeOpen is a store app's platform for the web app: a code "TENANT:OPEN_ID"
// logs that member of that tenant in; a ticket is the tenant's.
type storeOpen struct {
	mu      sync.Mutex
	tickets []string // the tenant of each ticket fetched
}

func (o *storeOpen) UserFromCode(_ context.Context, code string) (*ephemeral.WebUser, error) {
	t, id, _ := strings.Cut(code, ":")
	return &ephemeral.WebUser{TenantKey: t, OpenID: id, Name: id}, nil
}

func (o *storeOpen) JSAPITicket(ctx context.Context) (*ephemeral.JSAPITicket, error) {
	key, err := tenant.Require(ctx)
	if err != nil {
		return nil, err
	}
	o.mu.Lock()
	o.tickets = append(o.tickets, key)
	o.mu.Unlock()
	return &ephemeral.JSAPITicket{Ticket: "ticket-" + key, ExpireIn: 2 * time.Hour}, nil
}

// A store app's web app: two tenants' members with the same open_id each
// see their own tenant's items only; a session cookie moved to another
// tenant finds nothing; the page is signed with its member's tenant's
// ticket, after login.
func TestStoreAppSessionsAreTheTenants(t *testing.T) {
	rdb := statetest.Client(t)
	clock := &testClock{now: time.Now()}
	store := state.New(rdb, 0, clock.Now, state.WithTenants(true))
	open := &storeOpen{}
	r := chi.NewRouter()
	New(Config{AppID: testAppID, StoreApp: true, Now: clock.Now},
		Deps{Open: open, Cache: state.NewCache(rdb, state.WithTenants(true)), Records: store}, zaptest.NewLogger(t)).Routes(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	rp := &replica{p: &platform{clock: clock, rdb: rdb}, srv: srv, store: store}

	for _, key := range []string{"tenant_a", "tenant_b"} {
		td := todo.Todo{ID: "td_" + key, TenantKey: key, ChatID: "oc_same", Title: key + "'s", CreatorID: alice, Status: todo.Open}
		td.CreatedAt, td.Version = clock.Now(), 1
		b, _ := json.Marshal(td)
		if err := store.CreateRecord(tenant.With(t.Context(), key), flows.StoredRecord{Kind: todo.Kind, ID: td.ID, Data: b, Index: td.Indexes()}); err != nil {
			t.Fatal(err)
		}
	}

	page := url.QueryEscape(srv.URL + "/app/")
	a := rp.do(t, http.MethodGet, "/app/api/jssdk?url="+page, nil, nil)
	if a.status != http.StatusUnauthorized || a.body["appId"] != testAppID {
		t.Fatalf("jssdk before login: %d %s; want 401 with the app id", a.status, a.raw)
	}

	cookies := map[string]string{}
	for _, key := range []string{"tenant_a", "tenant_b"} {
		a := rp.do(t, http.MethodPost, "/app/api/session", map[string]string{"code": key + ":" + alice}, map[string]string{"Origin": srv.URL})
		c := sessionCookieOf(t, a)
		if a.status != http.StatusOK || c == nil || !strings.HasPrefix(c.Value, key+".") {
			t.Fatalf("login in %s: %d %s", key, a.status, a.raw)
		}
		cookies[key] = SessionCookie + "=" + c.Value
	}
	for key, cookie := range cookies {
		if got := rp.itemIDs(t, cookie, ""); !slices.Equal(got, []string{"td_" + key}) {
			t.Errorf("alice of %s sees %v", key, got)
		}
		other := "td_tenant_b"
		if key == "tenant_b" {
			other = "td_tenant_a"
		}
		if a := rp.do(t, http.MethodGet, "/app/api/items/"+other, nil, map[string]string{"Cookie": cookie}); a.status != http.StatusNotFound {
			t.Errorf("alice of %s reads %s: %d", key, other, a.status)
		}
		a := rp.do(t, http.MethodGet, "/app/api/jssdk?url="+page, nil, map[string]string{"Cookie": cookie})
		if a.status != http.StatusOK {
			t.Errorf("jssdk for %s: %d %s", key, a.status, a.raw)
		}
	}
	open.mu.Lock()
	slices.Sort(open.tickets)
	if fmt.Sprint(open.tickets) != "[tenant_a tenant_b]" {
		t.Errorf("tickets fetched for %v; want one per tenant", open.tickets)
	}
	open.mu.Unlock()

	// tenant_a's session id under tenant_b's name is no session.
	moved := strings.Replace(cookies["tenant_a"], "tenant_a.", "tenant_b.", 1)
	for _, c := range []string{moved, SessionCookie + "=" + strings.TrimPrefix(cookies["tenant_a"], SessionCookie+"=tenant_a.")} {
		if a := rp.do(t, http.MethodGet, "/app/api/me", nil, map[string]string{"Cookie": c}); a.status != http.StatusUnauthorized {
			t.Errorf("cookie %s: %d, want 401", c, a.status)
		}
	}
}
