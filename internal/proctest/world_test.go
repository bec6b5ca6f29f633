package proctest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/botd/botd/internal/feishusim"
	"github.com/botd/botd/internal/redisurl"
	"github.com/botd/botd/internal/state"
	"github.com/botd/botd/internal/state/statetest"
)

const (
	appID     = "cli_proctest000001"
	appSecret = "proctest-app-secret"
	verifyTok = "proctest-verification-token"
	encKey    = "proctest-encrypt-key"
	tenantKey = "tenant_proctest"
	botOpenID = "ou_proctest_bot"
)

// world is what botd runs against: the simulator on loopback with a few
// chats whose members are all the users, and a Redis that outlives every
// botd process of the test.
type world struct {
	t        *testing.T
	sim      *feishusim.Server
	simURL   string
	redisURL string
	rdb      redis.UniversalClient // the test's own view of botd's Redis, under its key prefix
	inspect  *asynq.Inspector
	chats    []string
	users    []string
	procs    []*Process
}

type worldOpts struct {
	chats, users      int
	enforceRateLimits bool
	redisURL          string // botd's Redis; default: statetest.URL, else a miniredis
}

func newWorld(t *testing.T, o worldOpts) *world {
	t.Helper()
	w := &world{t: t}
	w.sim = feishusim.New(feishusim.Options{AppID: appID, AppSecret: appSecret, BotOpenID: botOpenID,
		TenantKey: tenantKey, EnforceRateLimits: o.enforceRateLimits})
	srv := httptest.NewServer(w.sim) // 127.0.0.1
	t.Cleanup(srv.Close)
	w.simURL = srv.URL

	for i := range o.users {
		id := fmt.Sprintf("ou_member_%02d", i)
		w.users = append(w.users, id)
		w.sim.AddUser(feishusim.User{OpenID: id, Name: fmt.Sprintf("Member %d", i)})
	}
	for i := range o.chats {
		id := fmt.Sprintf("oc_group_%02d", i)
		w.chats = append(w.chats, id)
		w.sim.AddChat(feishusim.Chat{ID: id, Mode: "group", Name: fmt.Sprintf("Group %d", i),
			OwnerID: w.users[0], Members: w.users, BotIsMember: true})
	}

	w.redisURL = o.redisURL
	if w.redisURL == "" {
		w.redisURL = statetest.URL(t) // fresh data on the real server or cluster, if there is one
	}
	if w.redisURL == "" {
		// In the test process, so that it survives every botd restart; it
		// is a real TCP server, so the children can reach it.
		m := miniredis.RunT(t)
		w.redisURL = "redis://" + m.Addr() + "/0"
		keepTime(t, m)
	}
	u, err := redisurl.Parse(w.redisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := u.NewClient()
	t.Cleanup(func() { _ = rdb.Close() })
	w.rdb = state.WithKeyPrefix(rdb, u.KeyPrefix)
	// On a shared client the inspector owns nothing: it is never closed.
	w.inspect = asynq.NewInspectorFromRedisClient(rdb)
	return w
}

// botd prepares a botd process on this world, with pacing off unless extra
// says otherwise; extra is "KEY=value" pairs that override the defaults.
// Fair use is off: the world's ten members stand for many more, and each
// sends far more commands than a person would.
func (w *world) botd(name string, extra ...string) *Process {
	w.t.Helper()
	env := map[string]string{
		"BOTD_APP_ID":             appID,
		"BOTD_APP_SECRET":         appSecret,
		"BOTD_VERIFICATION_TOKEN": verifyTok,
		"BOTD_ENCRYPT_KEY":        encKey,
		"BOTD_OPEN_BASE_URL":      w.simURL,
		"BOTD_REDIS_URL":          w.redisURL,
		"BOTD_LOG_FORMAT":         "json",
		"BOTD_LOG_LEVEL":          "info",
		"BOTD_RATE_LIMITS":        "off",
	}
	for _, kv := range extra {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	p := NewProcess(w.t, name, env)
	p.UseConfig("fair_use: {member_commands: 0, chat_commands: 0}\n")
	w.procs = append(w.procs, p)
	return p
}

// start prepares and starts a botd process, failing the test if it does
// not come up.
func (w *world) start(name string, extra ...string) *Process {
	w.t.Helper()
	p := w.botd(name, extra...)
	if err := p.Start(); err != nil {
		w.t.Fatal(err)
	}
	return p
}

// platform delivers events to eventsTo and card callbacks to clicksTo, signed
// and encrypted. Its 3 s client timeout is the platform's own deadline.
func (w *world) platform(eventsTo, clicksTo *Process) *feishusim.Platform {
	return &feishusim.Platform{
		EventURL: eventsTo.URL() + "/webhook/event", CardURL: clicksTo.URL() + "/webhook/card",
		AppID: appID, TenantKey: tenantKey, VerificationToken: verifyTok, EncryptKey: encKey,
		Client: &http.Client{Timeout: 3 * time.Second},
	}
}

// ambiguous returns the interactions whose form send botd's outbox flagged
// as possibly repeated: the HTTP call was in flight when its run died, and
// the ephemeral API takes no idempotency key, so the next run sent again
// without knowing whether the first send arrived. That, and only that,
// excuses a second form. The set also lists ambiguous posts and deletes,
// which the uuid and the platform's 18051 make harmless; they are counted.
func (w *world) ambiguous(ctx context.Context) (sends map[string]bool, others int) {
	w.t.Helper()
	members, err := w.rdb.ZRange(ctx, statetest.Key(w.rdb, state.AmbiguousKey), 0, -1).Result()
	if err != nil {
		w.t.Fatalf("read %s: %v", state.AmbiguousKey, err)
	}
	sends = map[string]bool{}
	for _, m := range members {
		if iid, ok := strings.CutPrefix(m, "send_form:"); ok {
			sends[iid] = true
		} else {
			others++
		}
	}
	return sends, others
}

// queueState sums botd's job queues: work still to do (pending, running,
// scheduled or waiting for a retry) and jobs given up (archived).
type queueState struct {
	open, archived int
}

func (w *world) queues() (queueState, error) {
	in := w.inspect
	names, err := in.Queues()
	if err != nil {
		return queueState{}, err
	}
	var s queueState
	for _, q := range w.mine(names) {
		info, err := in.GetQueueInfo(q)
		if err != nil {
			return queueState{}, fmt.Errorf("queue %s: %w", q, err)
		}
		s.open += info.Pending + info.Active + info.Scheduled + info.Retry + info.Aggregating
		s.archived += info.Archived
	}
	return s, nil
}

// mine keeps this world's botd's queues: on a cluster shared by tests,
// asynq lists every test's, each under its key prefix (jobs.New).
func (w *world) mine(queues []string) []string {
	var out []string
	for _, q := range queues {
		if strings.HasPrefix(q, state.KeyPrefix(w.rdb)+"botd:") {
			out = append(out, q)
		}
	}
	return out
}

// archivedJobs describes the jobs botd gave up on, for a failure message.
func (w *world) archivedJobs() string {
	in := w.inspect
	names, _ := in.Queues()
	var b strings.Builder
	for _, q := range w.mine(names) {
		tasks, _ := in.ListArchivedTasks(q, asynq.PageSize(50))
		for _, t := range tasks {
			fmt.Fprintf(&b, "\n  %s %s %s: %s", q, t.Type, t.Payload, t.LastErr)
		}
	}
	return b.String()
}

// keepTime makes m's keys expire with the wall clock, as a real Redis's
// do: miniredis only counts a TTL down when told to. Without it a lease
// botd takes and a crash never releases (a webhook claim's 10 s, a job's
// lease) is held for ever, and the platform's redeliveries of that event
// are refused "in hand elsewhere" until the test gives up.
func keepTime(t *testing.T, m *miniredis.Miniredis) {
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		last := time.Now()
		for {
			select {
			case <-stop:
				return
			case now := <-tick.C:
				m.FastForward(now.Sub(last))
				last = now
			}
		}
	}()
	// Registered after RunT's, so it runs before m is closed.
	t.Cleanup(func() {
		close(stop)
		<-done
	})
}
