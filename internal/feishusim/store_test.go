package feishusim

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/larksuite/oapi-sdk-go/v3/core/httpserverext"
	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher"
	larkapplication "github.com/larksuite/oapi-sdk-go/v3/service/application/v6"
)

const (
	tenantA = "tenant_aaaa"
	tenantB = "tenant_bbbb"

	pathAppToken    = "/open-apis/auth/v3/app_access_token"
	pathStoreToken  = "/open-apis/auth/v3/tenant_access_token"
	pathResend      = "/open-apis/auth/v3/app_ticket/resend"
	pathEphemeral   = "/open-apis/ephemeral/v1/send"
	pathEphDelete   = "/open-apis/ephemeral/v1/delete"
	pathMessages    = "/open-apis/im/v1/messages?receive_id_type=chat_id"
	storeAppID      = "cli_test"
	storeAppSecret  = "secret"
	sameChat        = "oc_same"
	onlyInA         = "oc_only_a"
	defaultTenantID = "sim_tenant"
)

// newStoreEnv is a store app's simulator with two tenants whose worlds use
// the same ids: oc_same holds alice and bob (and the bot) in both, and
// oc_only_a exists in tenant A only. The env holds no token.
func newStoreEnv(t *testing.T, delay time.Duration) *env {
	t.Helper()
	clock := newFakeClock()
	sim := New(Options{AppID: storeAppID, AppSecret: storeAppSecret, Clock: clock.Now, AppType: AppTypeStore, AppTicketDelay: delay})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close)
	for _, key := range []string{tenantA, tenantB} {
		ten := sim.Tenant(key)
		ten.AddUser(User{OpenID: alice, UserID: "u_alice", Email: "alice@example.com", Name: "Alice of " + key})
		ten.AddUser(User{OpenID: bob, UserID: "u_bob", Name: "Bob of " + key})
		ten.AddChat(Chat{ID: sameChat, Name: "Same in " + key, OwnerID: alice, Members: []string{alice, bob}, BotIsMember: true})
	}
	sim.Tenant(tenantA).AddChat(Chat{ID: onlyInA, Name: "A only", Members: []string{alice}, BotIsMember: true})
	return &env{t: t, sim: sim, srv: srv, clock: clock}
}

// storeToken walks the store app's auth with the current ticket: app token,
// then the tenant's token.
func (e *env) storeToken(tenantKey string) string {
	e.t.Helper()
	saved := e.token
	e.token = ""
	defer func() { e.token = saved }()
	r := e.post(pathAppToken, map[string]string{"app_id": storeAppID, "app_secret": storeAppSecret, "app_ticket": e.sim.AppTicket()})
	wantCode(e.t, r, http.StatusOK, 0)
	app, _ := r.Raw["app_access_token"].(string)
	r = e.post(pathStoreToken, map[string]string{"app_access_token": app, "tenant_key": tenantKey})
	wantCode(e.t, r, http.StatusOK, 0)
	tok, _ := r.Raw["tenant_access_token"].(string)
	return tok
}

func TestStoreAuthFlow(t *testing.T) {
	e := newStoreEnv(t, -1)
	ctx := context.Background()
	creds := map[string]string{"app_id": storeAppID, "app_secret": storeAppSecret}
	withTicket := func(ticket string) map[string]string {
		return map[string]string{"app_id": storeAppID, "app_secret": storeAppSecret, "app_ticket": ticket}
	}

	// A store app has no tenant_access_token/internal.
	wantCode(t, e.post(tokenPath, creds), http.StatusBadRequest, CodeAppTypeInvalid)
	// No ticket pushed yet: nothing is a valid ticket.
	wantCode(t, e.post(pathAppToken, withTicket("")), http.StatusBadRequest, CodeAppTicketInvalid)
	wantCode(t, e.post(pathAppToken, withTicket("tk_guess")), http.StatusBadRequest, CodeAppTicketInvalid)

	if _, err := e.sim.PushAppTicket(ctx); err != nil {
		t.Fatal(err)
	}
	first := e.sim.AppTicket()
	wantCode(t, e.post(pathAppToken, map[string]string{"app_id": storeAppID, "app_secret": "guess", "app_ticket": first}), http.StatusBadRequest, CodeAppSecretInvalid)
	r := e.post(pathAppToken, withTicket(first))
	wantCode(t, r, http.StatusOK, 0)
	app, _ := r.Raw["app_access_token"].(string)
	if !strings.HasPrefix(app, "a-") || r.Raw["expire"] != float64(7200) {
		t.Fatalf("app token answer %v", r.Raw)
	}
	if r := e.post(pathAppToken, withTicket(first)); r.Raw["app_access_token"] != app {
		t.Fatalf("a second request within the token's life got %v, want the same token", r.Raw["app_access_token"])
	}

	// A replaced ticket is accepted for an hour, then refused.
	if _, err := e.sim.PushAppTicket(ctx); err != nil {
		t.Fatal(err)
	}
	wantCode(t, e.post(pathAppToken, withTicket(first)), http.StatusOK, 0)
	e.clock.Advance(ticketGrace + time.Second)
	wantCode(t, e.post(pathAppToken, withTicket(first)), http.StatusBadRequest, CodeAppTicketInvalid)
	wantCode(t, e.post(pathAppToken, withTicket(e.sim.AppTicket())), http.StatusOK, 0)

	// Tenant tokens: only for installed tenants, only with a valid app token.
	r = e.post(pathAppToken, withTicket(e.sim.AppTicket()))
	app, _ = r.Raw["app_access_token"].(string)
	wantCode(t, e.post(pathStoreToken, map[string]string{"app_access_token": "a-guess", "tenant_key": tenantA}), http.StatusBadRequest, CodeAppTokenInvalid)
	wantCode(t, e.post(pathStoreToken, map[string]string{"app_access_token": app, "tenant_key": "tenant_unknown"}), http.StatusBadRequest, CodeTenantNotInstalled)
	wantCode(t, e.post(pathStoreToken, map[string]string{"app_access_token": app}), http.StatusBadRequest, CodeFieldValidation)
	ra := e.post(pathStoreToken, map[string]string{"app_access_token": app, "tenant_key": tenantA})
	rb := e.post(pathStoreToken, map[string]string{"app_access_token": app, "tenant_key": tenantB})
	wantCode(t, ra, http.StatusOK, 0)
	wantCode(t, rb, http.StatusOK, 0)
	if ra.Raw["tenant_access_token"] == rb.Raw["tenant_access_token"] {
		t.Fatal("two tenants got the same tenant token")
	}

	// Removing the app from a tenant revokes its tokens and refuses new ones.
	e.token = ra.Raw["tenant_access_token"].(string)
	wantCode(t, e.request(http.MethodGet, "/open-apis/bot/v3/info", nil, nil), http.StatusOK, 0)
	if _, err := e.sim.UninstallTenant(ctx, tenantA); err != nil {
		t.Fatal(err)
	}
	wantCode(t, e.request(http.MethodGet, "/open-apis/bot/v3/info", nil, nil), http.StatusBadRequest, CodeTokenInvalid)
	e.token = ""
	wantCode(t, e.post(pathStoreToken, map[string]string{"app_access_token": app, "tenant_key": tenantA}), http.StatusBadRequest, CodeTenantNotInstalled)
	e.token = rb.Raw["tenant_access_token"].(string)
	wantCode(t, e.request(http.MethodGet, "/open-apis/bot/v3/info", nil, nil), http.StatusOK, 0)
	if _, err := e.sim.InstallTenant(ctx, tenantA); err != nil {
		t.Fatal(err)
	}
	e.token = ""
	wantCode(t, e.post(pathStoreToken, map[string]string{"app_access_token": app, "tenant_key": tenantA}), http.StatusOK, 0)

	// Nothing secret is in the call log.
	for _, c := range e.sim.Calls() {
		body := string(c.Body)
		if strings.Contains(body, first) || strings.Contains(body, app) || strings.Contains(body, "guess\"") && strings.Contains(body, "app_secret") {
			t.Errorf("call %d %s recorded a secret: %s", c.Seq, c.Path, body)
		}
	}
}

func TestSelfBuiltRefusesStoreEndpoints(t *testing.T) {
	e := newEnv(t, false)
	e.token = ""
	creds := map[string]string{"app_id": "cli_test", "app_secret": "secret"}
	wantCode(t, e.post(pathResend, creds), http.StatusBadRequest, CodeAppTypeInvalid)
	wantCode(t, e.post(pathAppToken, map[string]string{"app_id": "cli_test", "app_secret": "secret", "app_ticket": "x"}), http.StatusBadRequest, CodeAppTypeInvalid)
	wantCode(t, e.post(pathStoreToken, map[string]string{"app_access_token": "a-x", "tenant_key": defaultTenantID}), http.StatusBadRequest, CodeAppTokenInvalid)
}

func TestTenantsDoNotSeeEachOther(t *testing.T) {
	e := newStoreEnv(t, -1)
	if _, err := e.sim.PushAppTicket(context.Background()); err != nil {
		t.Fatal(err)
	}
	tokA, tokB := e.storeToken(tenantA), e.storeToken(tenantB)
	as := func(tok string) { e.token = tok }

	// The same chat id and open_id in both tenants: two different chats.
	as(tokA)
	ra := e.sendEphemeral(sameChat, alice, simpleCard("for A"))
	wantCode(t, ra, http.StatusOK, 0)
	as(tokB)
	rb := e.sendEphemeral(sameChat, alice, simpleCard("for B"))
	wantCode(t, rb, http.StatusOK, 0)
	eA, eB := e.sim.Tenant(tenantA).Ephemerals(), e.sim.Tenant(tenantB).Ephemerals()
	if len(eA) != 1 || len(eB) != 1 || eA[0].Tenant != tenantA || eB[0].Tenant != tenantB ||
		!strings.Contains(string(eA[0].Card), "for A") || !strings.Contains(string(eB[0].Card), "for B") {
		t.Fatalf("ephemerals A %+v B %+v", eA, eB)
	}

	// B's token cannot reach A's chat, nor A's cards and messages.
	wantCode(t, e.sendEphemeral(onlyInA, alice, simpleCard("x")), http.StatusBadRequest, CodeBotNotInChat)
	wantCode(t, e.request(http.MethodGet, "/open-apis/im/v1/chats/"+onlyInA, nil, nil), http.StatusBadRequest, CodeChatInvalid)
	wantCode(t, e.request(http.MethodGet, "/open-apis/im/v1/chats/"+onlyInA+"/members", nil, nil), http.StatusBadRequest, CodeChatInvalid)
	wantCode(t, e.request(http.MethodGet, "/open-apis/im/v1/chats/"+onlyInA+"/members/is_in_chat", nil, nil), http.StatusBadRequest, CodeChatInvalid)
	wantCode(t, e.postCard(onlyInA, simpleCard("x"), ""), http.StatusBadRequest, CodeMsgBadParam)
	wantCode(t, e.post(pathEphDelete, map[string]string{"message_id": ra.Data["message_id"].(string)}), http.StatusBadRequest, CodeFieldValidation)

	as(tokA)
	posted := e.postCard(sameChat, simpleCard("A's card"), "same-uuid")
	wantCode(t, posted, http.StatusOK, 0)
	msgA := posted.Data["message_id"].(string)
	if sender := posted.Data["sender"].(map[string]any); sender["tenant_key"] != tenantA {
		t.Fatalf("sender %v, want tenant_key %s", sender, tenantA)
	}
	as(tokB)
	wantCode(t, e.request(http.MethodPatch, "/open-apis/im/v1/messages/"+msgA, map[string]string{"content": mustString(t, simpleCard("B was here"))}, nil),
		http.StatusBadRequest, CodeMsgBadParam)
	// The same uuid in another tenant is another message.
	postedB := e.postCard(sameChat, simpleCard("B's card"), "same-uuid")
	wantCode(t, postedB, http.StatusOK, 0)
	if postedB.Data["message_id"] == msgA {
		t.Fatal("tenant B's send was deduplicated against tenant A's uuid")
	}
	if mA, mB := e.sim.Tenant(tenantA).Messages(), e.sim.Tenant(tenantB).Messages(); len(mA) != 1 || len(mB) != 1 || mA[0].History[0] == mB[0].History[0] {
		t.Fatalf("messages A %+v B %+v", mA, mB)
	}

	// Chat info, members, users and the bot are the tenant's.
	r := e.request(http.MethodGet, "/open-apis/im/v1/chats/"+sameChat, nil, nil)
	wantCode(t, r, http.StatusOK, 0)
	if r.Data["tenant_key"] != tenantB || r.Data["name"] != "Same in "+tenantB {
		t.Fatalf("B's chat: %v", r.Data)
	}
	r = e.request(http.MethodGet, "/open-apis/im/v1/chats/"+sameChat+"/members", nil, nil)
	items := r.Data["items"].([]any)
	if first := items[0].(map[string]any); first["tenant_key"] != tenantB || first["name"] != "Alice of "+tenantB {
		t.Fatalf("B's members: %v", items)
	}
	r = e.request(http.MethodGet, "/open-apis/bot/v3/info", nil, nil)
	botB := r.Raw["bot"].(map[string]any)["open_id"]
	as(tokA)
	r = e.request(http.MethodGet, "/open-apis/bot/v3/info", nil, nil)
	botA := r.Raw["bot"].(map[string]any)["open_id"]
	if botA == botB || botA != e.sim.Tenant(tenantA).BotOpenID() || botB != e.sim.Tenant(tenantB).BotOpenID() {
		t.Fatalf("bot open_ids A %v B %v", botA, botB)
	}
	// A viewer by user_id resolves within the caller's tenant.
	r = e.post(pathEphemeral, map[string]any{"chat_id": sameChat, "user_id": "u_bob", "msg_type": "interactive", "card": simpleCard("by user_id")})
	wantCode(t, r, http.StatusOK, 0)
	if got := e.sim.Tenant(tenantA).Ephemerals(); got[len(got)-1].OpenID != bob {
		t.Fatalf("viewer %q, want bob", got[len(got)-1].OpenID)
	}

	// The default tenant (self-built helpers) is a third, empty world.
	if _, ok := e.sim.Chat(sameChat); ok {
		t.Fatal("the default tenant sees a chat of tenant A/B")
	}
	if got := len(e.sim.Ephemerals()); got != 3 {
		t.Fatalf("Server.Ephemerals lists %d cards across tenants, want 3", got)
	}
}

func mustString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestTenantWebAppIsolated(t *testing.T) {
	e := newStoreEnv(t, -1)
	code, err := e.sim.Tenant(tenantB).IssueAuthCode(alice)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.sim.IssueAuthCode(alice); err == nil {
		t.Fatal("the default tenant has no alice, yet a code was issued")
	}
	e.token = ""
	r := e.post("/open-apis/authen/v2/oauth/token", map[string]string{"grant_type": "authorization_code", "client_id": storeAppID, "client_secret": storeAppSecret, "code": code})
	wantCode(t, r, http.StatusOK, 0)
	e.token = r.Raw["access_token"].(string)
	r = e.request(http.MethodGet, "/open-apis/authen/v1/user_info", nil, nil)
	wantCode(t, r, http.StatusOK, 0)
	if r.Data["tenant_key"] != tenantB || r.Data["name"] != "Alice of "+tenantB {
		t.Fatalf("user_info %v", r.Data)
	}
	for _, c := range e.sim.Calls() {
		if strings.Contains(string(c.Body), `:"`+storeAppSecret+`"`) {
			t.Errorf("call %s recorded the client secret: %s", c.Path, c.Body)
		}
	}
	if chats := e.sim.Tenant(tenantA).UserChats(alice); len(chats) != 2 {
		t.Fatalf("alice of A is in %d chats, want 2", len(chats))
	}
	if chats := e.sim.Tenant(tenantB).UserChats(alice); len(chats) != 1 || chats[0].Tenant != tenantB {
		t.Fatalf("alice of B: %+v", chats)
	}
}

// pushSink is an event URL served by the SDK's own dispatcher, which
// verifies the signature and decrypts like the SDK's users do: it records
// the v1 app events the simulator pushes.
type pushSink struct {
	mu          sync.Mutex
	tickets     []string
	uninstalled []string
	opened      []string
	got         chan struct{}
}

func newPushSink(t *testing.T) (*pushSink, string) {
	t.Helper()
	ps := &pushSink{got: make(chan struct{}, 16)}
	d := dispatcher.NewEventDispatcher("vtoken", "ekey").
		OnAppTicketEvent(func(_ context.Context, ev *dispatcher.AppTicketEvent) error {
			ps.mu.Lock()
			if ev.Token == "vtoken" && ev.Event.AppId == storeAppID && ev.Type == "event_callback" {
				ps.tickets = append(ps.tickets, ev.Event.AppTicket)
			}
			ps.mu.Unlock()
			ps.got <- struct{}{}
			return nil
		}).
		OnP1AppUninstalledV6(func(_ context.Context, ev *larkapplication.P1AppUninstalledV6) error {
			ps.mu.Lock()
			ps.uninstalled = append(ps.uninstalled, ev.Event.TenantKey)
			ps.mu.Unlock()
			ps.got <- struct{}{}
			return nil
		}).
		OnP1AppOpenV6(func(_ context.Context, ev *larkapplication.P1AppOpenV6) error {
			ps.mu.Lock()
			ps.opened = append(ps.opened, ev.Event.TenantKey)
			ps.mu.Unlock()
			ps.got <- struct{}{}
			return nil
		})
	srv := httptest.NewServer(http.HandlerFunc(httpserverext.NewEventHandlerFunc(d)))
	t.Cleanup(srv.Close)
	return ps, srv.URL
}

func (ps *pushSink) wait(t *testing.T, within time.Duration) {
	t.Helper()
	select {
	case <-ps.got:
	case <-time.After(within):
		t.Fatalf("no push within %s", within)
	}
}

func TestResendPushesTicketAfterDelay(t *testing.T) {
	const delay = 150 * time.Millisecond
	e := newStoreEnv(t, delay)
	ps, url := newPushSink(t)
	e.sim.SetPlatform(&Platform{EventURL: url, AppID: storeAppID, VerificationToken: "vtoken", EncryptKey: "ekey"})

	start := time.Now()
	wantCode(t, e.post(pathResend, map[string]string{"app_id": storeAppID, "app_secret": storeAppSecret}), http.StatusOK, 0)
	wantCode(t, e.post(pathResend, map[string]string{"app_id": storeAppID, "app_secret": "guess"}), http.StatusBadRequest, CodeAppSecretInvalid)
	ps.wait(t, 5*time.Second)
	if took := time.Since(start); took < delay {
		t.Fatalf("the ticket arrived after %s, before the %s delay", took, delay)
	}
	ps.mu.Lock()
	tickets := append([]string(nil), ps.tickets...)
	ps.mu.Unlock()
	if len(tickets) != 1 || tickets[0] != e.sim.AppTicket() {
		t.Fatalf("pushed %v, simulator holds %q", tickets, e.sim.AppTicket())
	}
	if resends, pushes := e.sim.AppTicketStats(); resends != 1 || pushes != 1 {
		t.Fatalf("stats: %d resends %d pushes", resends, pushes)
	}
	// The pushed ticket works.
	wantCode(t, e.post(pathAppToken, map[string]string{"app_id": storeAppID, "app_secret": storeAppSecret, "app_ticket": tickets[0]}), http.StatusOK, 0)

	// Held: a resend pushes nothing until the test says so.
	e.sim.SetAppTicketDelay(-1)
	wantCode(t, e.post(pathResend, map[string]string{"app_id": storeAppID, "app_secret": storeAppSecret}), http.StatusOK, 0)
	select {
	case <-ps.got:
		t.Fatal("a held resend pushed a ticket")
	case <-time.After(200 * time.Millisecond):
	}
	if _, err := e.sim.PushAppTicket(context.Background()); err != nil {
		t.Fatal(err)
	}
	ps.wait(t, 5*time.Second)

	// Removal and installation are pushed too, with their tenant.
	if res, err := e.sim.UninstallTenant(context.Background(), tenantB); err != nil || res.Status != http.StatusOK {
		t.Fatalf("uninstall push: %v %+v", err, res)
	}
	ps.wait(t, 5*time.Second)
	if res, err := e.sim.InstallTenant(context.Background(), tenantB); err != nil || res.Status != http.StatusOK {
		t.Fatalf("install push: %v %+v", err, res)
	}
	ps.wait(t, 5*time.Second)
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if len(ps.uninstalled) != 1 || ps.uninstalled[0] != tenantB || len(ps.opened) != 1 || ps.opened[0] != tenantB {
		t.Fatalf("uninstalled %v opened %v", ps.uninstalled, ps.opened)
	}
}

func TestPlatformForTenantAndV1Envelope(t *testing.T) {
	srv, last := captureServer(t)
	p := newPlatform(srv.URL, newFakeClock())
	p.EncryptKey = ""
	pb := p.ForTenant(tenantB)
	ctx := context.Background()
	if _, err := pb.SendText(ctx, MessageOpts{ChatID: "oc_x", SenderOpenID: alice, Text: "/todo x"}); err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Header struct {
			TenantKey string `json:"tenant_key"`
		} `json:"header"`
		Event struct {
			Sender struct {
				TenantKey string `json:"tenant_key"`
			} `json:"sender"`
		} `json:"event"`
	}
	if err := json.Unmarshal(last().body, &ev); err != nil || ev.Header.TenantKey != tenantB || ev.Event.Sender.TenantKey != tenantB {
		t.Fatalf("message of tenant B: %v %s", err, last().body)
	}
	if p.TenantKey != "tenant_1" {
		t.Fatal("ForTenant changed the original")
	}
	if _, err := pb.ClickButton(ctx, ActionOpts{OperatorOpenID: alice, ChatID: "oc_x", MessageID: "om_x"}); err != nil {
		t.Fatal(err)
	}
	var cb struct {
		Header struct {
			TenantKey string `json:"tenant_key"`
		} `json:"header"`
		Event struct {
			Operator struct {
				TenantKey string `json:"tenant_key"`
			} `json:"operator"`
		} `json:"event"`
	}
	if err := json.Unmarshal(last().body, &cb); err != nil || cb.Header.TenantKey != tenantB || cb.Event.Operator.TenantKey != tenantB {
		t.Fatalf("callback of tenant B: %v %s", err, last().body)
	}

	if _, err := p.SendAppTicket(ctx, "tk_1"); err != nil {
		t.Fatal(err)
	}
	var v1 map[string]any
	if err := json.Unmarshal(last().body, &v1); err != nil {
		t.Fatal(err)
	}
	event, _ := v1["event"].(map[string]any)
	if v1["type"] != "event_callback" || v1["token"] != "vtoken" || v1["uuid"] == "" || v1["ts"] == "" || v1["schema"] != nil ||
		event["type"] != "app_ticket" || event["app_id"] != "cli_test" || event["app_ticket"] != "tk_1" {
		t.Fatalf("app_ticket envelope %v", v1)
	}
}

func TestStoreAppHasNoLongConnection(t *testing.T) {
	e := newStoreEnv(t, -1)
	e.token = ""
	r := e.post(EndpointPath, map[string]string{"AppID": storeAppID, "AppSecret": storeAppSecret})
	if r.Status != http.StatusOK || r.Code != CodeLongConnForbidden {
		t.Fatalf("store app endpoint: HTTP %d code %d, want 200 and %d", r.Status, r.Code, CodeLongConnForbidden)
	}
}
