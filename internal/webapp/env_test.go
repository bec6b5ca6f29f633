package webapp

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap/zaptest"

	"github.com/botd/botd/internal/ephemeral"
	"github.com/botd/botd/internal/feishusim"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/remind"
	"github.com/botd/botd/internal/flows/todo"
	"github.com/botd/botd/internal/state"
	"github.com/botd/botd/internal/state/statetest"
)

// These tests run the web app over real HTTP against the strict simulator
// (internal/feishusim) and a Redis (statetest).

const (
	testAppID  = "cli_webapptest000000"
	testSecret = "webapp-secret"
	alice      = "ou_alice000000000000000000000000"
	bob        = "ou_bob00000000000000000000000000"
	carol      = "ou_carol0000000000000000000000000"
	simTenant  = "sim_tenant"
)

type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// platform is the simulator, its clock (botd's too) and a Redis: what
// several botd replicas share.
type platform struct {
	sim   *feishusim.Server
	url   string
	clock *testClock
	rdb   redis.UniversalClient
}

func newPlatform(t *testing.T) *platform {
	t.Helper()
	clock := &testClock{now: time.Now()}
	sim := feishusim.New(feishusim.Options{AppID: testAppID, AppSecret: testSecret, Clock: clock.Now, TenantKey: simTenant})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	for _, id := range []string{alice, bob, carol} {
		sim.AddUser(feishusim.User{OpenID: id, Name: strings.TrimRight(id[3:], "0")})
	}
	return &platform{sim: sim, url: srv.URL, clock: clock, rdb: statetest.Client(t)}
}

// replica is one botd's web app on the shared platform, with the flow
// engine behind it (todo and remind) posting to the simulator.
type replica struct {
	p      *platform
	srv    *httptest.Server
	store  *state.Store
	engine *flows.Engine
	jobs   *jobQueue
}

// jobQueue keeps what the engine enqueues; drain runs it, as the job
// workers would.
type jobQueue struct {
	mu   sync.Mutex
	jobs []queuedJob
}

type queuedJob struct {
	kind flows.JobKind
	id   string
}

func (q *jobQueue) Enqueue(_ context.Context, kind flows.JobKind, id string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.jobs = append(q.jobs, queuedJob{kind, id})
	return nil
}

func (q *jobQueue) EnqueueAfter(ctx context.Context, kind flows.JobKind, id string, _ time.Duration) error {
	return q.Enqueue(ctx, kind, id)
}

// drain runs every queued job, and those they queue, and returns the kinds run.
func (rp *replica) drain(t *testing.T) []flows.JobKind {
	t.Helper()
	var ran []flows.JobKind
	for {
		rp.jobs.mu.Lock()
		if len(rp.jobs.jobs) == 0 {
			rp.jobs.mu.Unlock()
			return ran
		}
		j := rp.jobs.jobs[0]
		rp.jobs.jobs = rp.jobs.jobs[1:]
		rp.jobs.mu.Unlock()
		if err := rp.engine.RunJob(t.Context(), j.kind, j.id); err != nil {
			t.Fatalf("job %s %s: %v", j.kind, j.id, err)
		}
		ran = append(ran, j.kind)
	}
}

// simMembers is the engine's member source: the simulator's member lists.
type simMembers struct{ sim *feishusim.Server }

func (m simMembers) IsMember(_ context.Context, chatID, openID string) (bool, error) {
	ch, ok := m.sim.Chat(chatID)
	return ok && slices.Contains(ch.Members, openID), nil
}

// simChats is the engine's chat directory, read from the simulator over
// the Open API (app.chatDirectory without its cache).
type simChats struct{ open *ephemeral.Client }

func (c simChats) ChatInfo(ctx context.Context, chatID string) (*flows.ChatInfo, error) {
	ch, err := c.open.Chat(ctx, chatID)
	if err != nil {
		return nil, err
	}
	return &flows.ChatInfo{Mode: ch.Mode, Name: ch.Name, OwnerID: ch.OwnerID, ManagerIDs: ch.ManagerIDs, Status: ch.Status}, nil
}

func (p *platform) replica(t *testing.T, cfg Config) *replica {
	t.Helper()
	open, err := ephemeral.New(ephemeral.Config{AppID: testAppID, AppSecret: testSecret, BaseURL: p.url,
		TokenCache: state.NewCache(p.rdb), Now: p.clock.Now}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(open.Close)
	store := state.New(p.rdb, 0, p.clock.Now)
	q := &jobQueue{}
	chats := simChats{open: open}
	engine := flows.New(flows.Deps{Store: store, Records: store, Due: store, Sender: open, Jobs: q, Clock: p.clock.Now,
		Chats: chats, Members: simMembers{p.sim}, Shares: store, Logger: zaptest.NewLogger(t)}, todo.Flow{}, remind.Flow{})
	cfg.AppID, cfg.Now = testAppID, p.clock.Now
	r := chi.NewRouter()
	New(cfg, Deps{Open: open, Cache: state.NewCache(p.rdb), Records: store, Engine: engine, Chats: chats}, zaptest.NewLogger(t)).Routes(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return &replica{p: p, srv: srv, store: store, engine: engine, jobs: q}
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// do sends a request to the replica; body is JSON-encoded unless a string.
func (rp *replica) do(t *testing.T, method, path string, body any, hdr map[string]string) answer {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, rp.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := rp.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

// login runs POST /app/api/session with a fresh code for openID and
// returns the session cookie header.
func (rp *replica) login(t *testing.T, openID string) string {
	t.Helper()
	code, err := rp.p.sim.IssueAuthCode(openID)
	if err != nil {
		t.Fatal(err)
	}
	a := rp.do(t, http.MethodPost, "/app/api/session", map[string]string{"code": code}, map[string]string{"Origin": rp.srv.URL})
	if a.status != http.StatusOK || a.body["open_id"] != openID {
		t.Fatalf("login %s: %d %s", openID, a.status, a.raw)
	}
	c := sessionCookieOf(t, a)
	if c == nil {
		t.Fatalf("login %s: no session cookie", openID)
	}
	return SessionCookie + "=" + c.Value
}

func sessionCookieOf(t *testing.T, a answer) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: a.header}).Cookies() {
		if c.Name == SessionCookie {
			return c
		}
	}
	return nil
}
