package webhook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/redis/go-redis/v9"

	"github.com/botd/botd/internal/card"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/flowtest"
	"github.com/botd/botd/internal/requestid"
	"github.com/botd/botd/internal/state"
	"github.com/botd/botd/internal/state/statetest"
)

// filteringFlows is fakeFlows that, like the engine, acts on commands only
// (MessageFilter), and counts how often it was asked.
type filteringFlows struct {
	fakeFlows
	asked atomic.Int64
}

func (f *filteringFlows) Acts(m flows.Message) bool {
	f.asked.Add(1)
	_, ok := flows.ParseCommand(m.Text, m.Mentions, "ou_bot")
	return ok
}

// countingClaims is fakeClaims that counts every call, Claim, Keep and
// Release alike.
type countingClaims struct {
	*fakeClaims
	calls atomic.Int64
}

func (c *countingClaims) Claim(ctx context.Context, ttl time.Duration, keys ...string) (string, bool, error) {
	c.calls.Add(1)
	return c.fakeClaims.Claim(ctx, ttl, keys...)
}

func (c *countingClaims) Keep(ctx context.Context, ttl time.Duration, keys ...string) error {
	c.calls.Add(1)
	return c.fakeClaims.Keep(ctx, ttl, keys...)
}

func (c *countingClaims) Release(ctx context.Context, keys ...string) error {
	c.calls.Add(1)
	return c.fakeClaims.Release(ctx, keys...)
}

// A message the flows do not act on (chatter) is answered 200 without a
// claim and without reaching the flows; a command is still claimed under
// its event_id and message_id and handed over exactly once, however often
// it is delivered.
func TestChatterIsNotClaimed(t *testing.T) {
	f := &filteringFlows{}
	claims := &countingClaims{fakeClaims: newFakeClaims()}
	h, err := New(Config{AppID: testAppID, VerificationToken: testToken, EncryptKey: testKey}, f, claims, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	hs := newHarnessWith(t, h)

	for i, text := range []string{"lunch at 12?", "好的，我下午看一下", "/path/to/config is missing", "/ typo", "@_user_2 see you"} {
		id := "ev_chat_" + string(rune('a'+i))
		got := hs.send(t, sealed(t, v2(t, eventMessageReceive, id, textMessage("om_chat_"+string(rune('a'+i)), text))))
		if got.status != http.StatusOK || string(got.body) != "{}" {
			t.Fatalf("%q: answer %d %s", text, got.status, got.body)
		}
	}
	if n := claims.calls.Load(); n != 0 {
		t.Fatalf("chatter made %d claim calls, want none: %v", n, claims.held())
	}
	if msgs, _ := f.handled(); len(msgs) != 0 {
		t.Fatalf("chatter reached the flows: %+v", msgs)
	}
	if f.asked.Load() != 5 {
		t.Fatalf("the flows were asked %d times, want 5", f.asked.Load())
	}

	// A command: claimed once, handed over once, whatever the redeliveries.
	for _, id := range []string{"ev_cmd_1", "ev_cmd_1", "ev_cmd_2"} {
		got := hs.send(t, sealed(t, v2(t, eventMessageReceive, id, textMessage("om_cmd", "@_user_1 /todo Buy milk"))))
		if got.status != http.StatusOK {
			t.Fatalf("%s: status %d", id, got.status)
		}
	}
	if msgs, _ := f.handled(); len(msgs) != 1 || msgs[0].EventID != "ev_cmd_1" {
		t.Fatalf("commands handed over: %+v, want ev_cmd_1 once", msgs)
	}
	if held := claims.held(); !slices.Equal(held, []string{"event:ev_cmd_1", "message:om_cmd"}) {
		t.Fatalf("claims = %v", held)
	}
	if !claims.kept["event:ev_cmd_1"] || !claims.kept["message:om_cmd"] {
		t.Fatalf("the command's claims were not kept: %v", claims.kept)
	}
}

// newHarnessWith serves h over real HTTP, as newHarness does.
func newHarnessWith(t *testing.T, h *Handler) *harness {
	t.Helper()
	r := chi.NewRouter()
	r.Use(requestid.Middleware)
	h.Routes(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return &harness{srv: srv}
}

// testFlow is the smallest flow the engine takes: /todo, whose form is
// never rendered here.
type testFlow struct{}

func (testFlow) Name() string                                          { return "todo" }
func (testFlow) Describe(string) string                                { return "a test flow" }
func (testFlow) Start(*flows.Interaction, flows.Command, time.Time)    {}
func (testFlow) Form(*flows.Interaction, flows.FieldErrors) *card.Card { return nil }

// redisCounter counts the commands a go-redis client sends, pipelines
// included.
type redisCounter struct{ n atomic.Int64 }

func (c *redisCounter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *redisCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmd)
	}
}
func (c *redisCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.n.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

// With the real engine and the real claims on Redis: plain chatter is
// acknowledged without a single Redis command, and a command is claimed
// exactly once (one form job, claims kept in Redis), its redeliveries
// answered as duplicates.
func TestChatterTouchesNoRedis(t *testing.T) {
	rdb := statetest.Client(t)
	counter := &redisCounter{}
	rdb.AddHook(counter)
	env := flowtest.New(t, testFlow{})
	h, err := New(Config{AppID: testAppID, VerificationToken: testToken, EncryptKey: testKey},
		env.E, state.New(rdb, 0, nil), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	hs := newHarnessWith(t, h)

	chatter := []map[string]any{
		textMessage("om_c1", "lunch at 12?"),
		textMessage("om_c2", "@_user_2 can you check the build?"),
		textMessage("om_c3", "/path/to/file is missing"),
		message("om_c4", "post", mustJSONString(map[string]any{"content": [][]map[string]string{{{"tag": "text", "text": "see the doc"}}}})),
	}
	for i, ev := range chatter {
		got := hs.send(t, sealed(t, v2(t, eventMessageReceive, "ev_c"+string(rune('1'+i)), ev)))
		if got.status != http.StatusOK || string(got.body) != "{}" {
			t.Fatalf("chatter %d: answer %d %s", i, got.status, got.body)
		}
	}
	if n := counter.n.Load(); n != 0 {
		t.Fatalf("chatter sent %d Redis commands, want none", n)
	}
	if jobs := env.Jobs.List(); len(jobs) != 0 {
		t.Fatalf("chatter started %v", jobs)
	}

	for _, id := range []string{"ev_t1", "ev_t1", "ev_t2"} {
		got := hs.send(t, sealed(t, v2(t, eventMessageReceive, id, textMessage("om_todo", "@_user_1 /todo Buy milk"))))
		if got.status != http.StatusOK || string(got.body) != "{}" {
			t.Fatalf("%s: answer %d %s", id, got.status, got.body)
		}
	}
	if counter.n.Load() == 0 {
		t.Fatal("the command was not claimed in Redis")
	}
	jobs := env.Jobs.List()
	if len(jobs) != 1 || jobs[0].Kind != flows.JobSendForm {
		t.Fatalf("jobs = %v, want one send_form", jobs)
	}
	// Claims kept: later redeliveries are duplicates for ClaimTTL.
	for _, k := range []string{eventKey("ev_t1"), messageKey("om_todo")} {
		if taken, handled, err := state.New(rdb, 0, nil).Claim(context.Background(), time.Second, k); err != nil || taken != k || !handled {
			t.Errorf("claim %s: taken %q handled %v err %v, want kept", k, taken, handled, err)
		}
	}
}

// Over the long connection too: chatter is acknowledged without a claim,
// a command is claimed and handed over once.
func TestDeliverChatterIsNotClaimed(t *testing.T) {
	f := &filteringFlows{}
	claims := &countingClaims{fakeClaims: newFakeClaims()}
	h, err := New(Config{AppID: testAppID, LongConnection: true}, f, claims, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"ev_1", "ev_2"} {
		if _, err := h.Deliver(context.Background(), v2(t, eventMessageReceive, id, textMessage("om_"+id, "see you at 12")), "req"); err != nil {
			t.Fatalf("chatter refused: %v", err)
		}
	}
	if n := claims.calls.Load(); n != 0 {
		t.Fatalf("chatter made %d claim calls, want none", n)
	}
	for range 2 {
		if _, err := h.Deliver(context.Background(), v2(t, eventMessageReceive, "ev_cmd", textMessage("om_cmd", "/todo x")), "req"); err != nil {
			t.Fatalf("command refused: %v", err)
		}
	}
	if msgs, _ := f.handled(); len(msgs) != 1 {
		t.Fatalf("command handed over %d times, want once", len(msgs))
	}
	if held := claims.held(); !slices.Equal(held, []string{"event:ev_cmd", "message:om_cmd"}) {
		t.Fatalf("claims = %v", held)
	}
}
