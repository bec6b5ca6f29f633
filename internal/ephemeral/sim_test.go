package ephemeral

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/botd/botd/internal/feishusim"
)

// These tests run the client against internal/feishusim, the strict
// simulator of the Open API subset botd uses.

const (
	simGroup = "oc_simgroup"
	simTopic = "oc_simtopic"
	simNoBot = "oc_simnobot"
	simSmall = "oc_simsmall" // the bot and alice only
	alice    = "ou_alice"
	bob      = "ou_bob"
)

// simClock is a settable clock for the simulator.
type simClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *simClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type simEnv struct {
	sim   *feishusim.Server
	clock *simClock
	c     *Client
	url   string
}

func newSim(t *testing.T, opts feishusim.Options) *simEnv {
	t.Helper()
	clock := &simClock{now: time.Now()}
	opts.AppID, opts.AppSecret = testAppID, testAppSecret
	if opts.Clock == nil {
		opts.Clock = clock.Now
	}
	sim := feishusim.New(opts)
	sim.AddChat(feishusim.Chat{ID: simGroup, Mode: "group", Name: "Team", OwnerID: alice,
		Managers: []string{bob}, Members: []string{alice, bob}, BotIsMember: true})
	sim.AddChat(feishusim.Chat{ID: simTopic, Mode: "topic", Members: []string{alice}, BotIsMember: true})
	sim.AddChat(feishusim.Chat{ID: simNoBot, Mode: "group", Members: []string{alice}})
	sim.AddChat(feishusim.Chat{ID: simSmall, Mode: "group", Members: []string{alice}, BotIsMember: true})
	sim.AddUser(feishusim.User{OpenID: alice, UserID: "u_alice", Email: "alice@example.com", Name: "Alice"})
	sim.AddUser(feishusim.User{OpenID: bob, UserID: "u_bob", Email: "bob@example.com", Name: "Bob"})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)

	c, err := New(Config{AppID: testAppID, AppSecret: testAppSecret, BaseURL: srv.URL, Timeout: 2 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &simEnv{sim: sim, clock: clock, c: c, url: srv.URL}
}

func TestSimSendPrecedence(t *testing.T) {
	tests := []struct {
		name     string
		to       Recipient
		wantUser string
		wantFrom string
	}{
		{"open id beats the rest", Recipient{OpenID: alice, UserID: "u_bob", Email: "bob@example.com"}, alice, "open_id"},
		{"user id beats email", Recipient{UserID: "u_alice", Email: "bob@example.com"}, alice, "user_id"},
		{"email alone", Recipient{Email: "bob@example.com"}, bob, "email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newSim(t, feishusim.Options{})
			id, err := env.c.SendEphemeralTo(context.Background(), simGroup, tt.to, testCard)
			if err != nil {
				t.Fatal(err)
			}
			eph := env.sim.Ephemerals()
			if len(eph) != 1 || eph[0].MessageID != id {
				t.Fatalf("ephemerals = %+v, want one with id %q", eph, id)
			}
			if eph[0].OpenID != tt.wantUser || eph[0].ResolvedFrom != tt.wantFrom {
				t.Errorf("viewer = %s from %s, want %s from %s", eph[0].OpenID, eph[0].ResolvedFrom, tt.wantUser, tt.wantFrom)
			}
			// Only the winning field went over the wire.
			var body map[string]any
			if err := json.Unmarshal(lastCall(t, env.sim, "/open-apis/ephemeral/v1/send").Body, &body); err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{"open_id", "user_id", "email"} {
				if _, sent := body[f]; sent != (f == tt.wantFrom) {
					t.Errorf("field %s sent = %v", f, sent)
				}
			}
		})
	}
}

func TestSimDeleteTwice(t *testing.T) {
	env := newSim(t, feishusim.Options{})
	ctx := context.Background()
	id, err := env.c.SendEphemeral(ctx, simGroup, alice, testCard)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := env.c.DeleteEphemeral(ctx, id); err != nil {
			t.Fatalf("delete #%d = %v", i+1, err)
		}
	}
	if eph := env.sim.Ephemerals(); !eph[0].Deleted {
		t.Error("card not deleted")
	}
	if c := lastCall(t, env.sim, "/open-apis/ephemeral/v1/delete"); c.Code != feishusim.CodeEphemeralDeleted {
		t.Errorf("second delete answered code %d, want 18051 (treated as success)", c.Code)
	}
}

func TestSimPostSameUUIDTwice(t *testing.T) {
	env := newSim(t, feishusim.Options{})
	ctx := context.Background()
	id1, err := env.c.PostCard(ctx, simGroup, testCard, "todo-itx_1")
	if err != nil {
		t.Fatal(err)
	}
	id2, err := env.c.PostCard(ctx, simGroup, testCard, "todo-itx_1")
	if err != nil {
		t.Fatal(err)
	}
	if msgs := env.sim.Messages(); len(msgs) != 1 {
		t.Fatalf("%d messages posted, want 1", len(msgs))
	}
	if id1 != id2 {
		t.Errorf("ids %q and %q differ for one uuid", id1, id2)
	}
}

func TestSimPostAndPatch(t *testing.T) {
	env := newSim(t, feishusim.Options{})
	ctx := context.Background()
	id, err := env.c.PostCard(ctx, simGroup, testCard, "")
	if err != nil {
		t.Fatal(err)
	}
	updated := map[string]any{"schema": "2.0", "body": map[string]any{"elements": []any{
		map[string]any{"tag": "markdown", "content": "done"},
	}}}
	if err := env.c.UpdateCard(ctx, id, updated); err != nil {
		t.Fatal(err)
	}
	m := env.sim.Messages()[0]
	var got any
	if err := json.Unmarshal([]byte(m.Content), &got); err != nil {
		t.Fatal(err)
	}
	if m.Updates != 1 || !reflect.DeepEqual(got, jsonRoundTrip(t, updated)) {
		t.Errorf("message after patch = %+v", m)
	}
}

func TestSimChatAndBot(t *testing.T) {
	env := newSim(t, feishusim.Options{})
	ctx := context.Background()

	ch, err := env.c.Chat(ctx, simGroup)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Mode != ChatModeGroup || ch.OwnerID != alice || !reflect.DeepEqual(ch.ManagerIDs, []string{bob}) ||
		ch.Name != "Team" || !ch.SupportsEphemeral() {
		t.Errorf("Chat(group) = %+v", ch)
	}
	topic, err := env.c.Chat(ctx, simTopic)
	if err != nil {
		t.Fatal(err)
	}
	if topic.Mode != ChatModeTopic || topic.SupportsEphemeral() {
		t.Errorf("Chat(topic) = %+v", topic)
	}
	if _, err := env.c.Chat(ctx, "oc_unknown"); err == nil || Retryable(err) {
		t.Errorf("Chat(unknown) = %v, want a permanent error", err)
	}

	id, err := env.c.BotOpenID(ctx)
	if err != nil || id != env.sim.Options().BotOpenID {
		t.Errorf("BotOpenID = %q, %v; want %q", id, err, env.sim.Options().BotOpenID)
	}
}

func TestSimTemplateCardEphemeral(t *testing.T) {
	env := newSim(t, feishusim.Options{})
	card := TemplateCard{ID: "AAqigYkzabcef", VersionName: "1.0.0", Variables: map[string]any{"title": "Buy milk"}}
	if _, err := env.c.SendEphemeral(context.Background(), simGroup, alice, card); err != nil {
		t.Fatal(err)
	}
	var got any
	if err := json.Unmarshal(env.sim.Ephemerals()[0].Card, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"type": "template", "data": map[string]any{
		"template_id": "AAqigYkzabcef", "template_version_name": "1.0.0",
		"template_variable": map[string]any{"title": "Buy milk"},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("card = %v, want %v", got, want)
	}
}

func TestSimRefusals(t *testing.T) {
	env := newSim(t, feishusim.Options{})
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
		code int
	}{
		{"bot not in chat", func() error { _, err := env.c.SendEphemeral(ctx, simNoBot, alice, testCard); return err }, feishusim.CodeBotNotInChat},
		{"user not in chat", func() error { _, err := env.c.SendEphemeral(ctx, simSmall, bob, testCard); return err }, feishusim.CodeUserNotInChat},
		{"topic group", func() error { _, err := env.c.SendEphemeral(ctx, simTopic, alice, testCard); return err }, 0},
		{"post bot not in chat", func() error { _, err := env.c.PostCard(ctx, simNoBot, testCard, ""); return err }, feishusim.CodeMsgBotNotInChat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			apiErr, ok := errors.AsType[*APIError](err)
			if !ok {
				t.Fatalf("err = %v, want *APIError", err)
			}
			if tt.code != 0 && apiErr.Code != tt.code {
				t.Errorf("code = %d, want %d", apiErr.Code, tt.code)
			}
			if apiErr.Retryable() {
				t.Errorf("%v reported retryable", err)
			}
		})
	}
}

// TestSimExpiredTokenIsReplaced lets the platform expire the cached token:
// the client is told 99991663, drops it and succeeds with a new one.
func TestSimExpiredTokenIsReplaced(t *testing.T) {
	env := newSim(t, feishusim.Options{})
	ctx := context.Background()
	if _, err := env.c.SendEphemeral(ctx, simGroup, alice, testCard); err != nil {
		t.Fatal(err)
	}
	env.clock.Advance(3 * time.Hour) // past the token's 2 h life; the client's cache still holds it
	if _, err := env.c.SendEphemeral(ctx, simGroup, alice, testCard); err != nil {
		t.Fatalf("send after expiry = %v", err)
	}
	var codes []int
	for _, c := range env.sim.Calls() {
		if c.Path == "/open-apis/ephemeral/v1/send" {
			codes = append(codes, c.Code)
		}
	}
	if !reflect.DeepEqual(codes, []int{0, feishusim.CodeTokenInvalid, 0}) {
		t.Errorf("send codes = %v, want [0 99991663 0]", codes)
	}
}

func TestSimRateLimit(t *testing.T) {
	env := newSim(t, feishusim.Options{EnforceRateLimits: true}) // the clock stands still: one window
	ctx := context.Background()
	var err error
	for range 100 {
		if _, err = env.c.SendEphemeral(ctx, simGroup, alice, testCard); err != nil {
			break
		}
	}
	apiErr, ok := errors.AsType[*APIError](err)
	if !ok || apiErr.HTTPStatus != http.StatusTooManyRequests || !apiErr.Retryable() || apiErr.RetryAfter <= 0 {
		t.Fatalf("err = %#v, want a retryable 429 with RetryAfter", err)
	}
}

func TestSimWrongSecret(t *testing.T) {
	env := newSim(t, feishusim.Options{})
	bad, err := New(Config{AppID: testAppID, AppSecret: "nope", BaseURL: env.url}, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = bad.Ready(context.Background())
	if apiErr, ok := errors.AsType[*APIError](err); !ok || apiErr.Code != feishusim.CodeAppSecretInvalid || Retryable(err) {
		t.Errorf("Ready = %v, want permanent code 10014", err)
	}
}

func lastCall(t *testing.T, sim *feishusim.Server, path string) feishusim.Call {
	t.Helper()
	calls := sim.Calls()
	for i := len(calls) - 1; i >= 0; i-- {
		if calls[i].Path == path {
			return calls[i]
		}
	}
	t.Fatalf("no call to %s", path)
	return feishusim.Call{}
}

// SendToUser reaches the user's one-to-one chat with the bot (by open_id),
// where the form goes from chats without ephemeral cards; the card can then
// be updated in place, and a uuid keeps a retry from sending twice.
func TestSimSendToUser(t *testing.T) {
	env := newSim(t, feishusim.Options{})
	ctx := context.Background()
	id, err := env.c.SendToUser(ctx, alice, testCard, "itx_1-form")
	if err != nil {
		t.Fatal(err)
	}
	again, err := env.c.SendToUser(ctx, alice, testCard, "itx_1-form")
	if err != nil || again != id {
		t.Fatalf("retry: %q, %v; want %q", again, err, id)
	}
	chat, ok := env.sim.P2PChat(alice)
	msgs := env.sim.Messages()
	if !ok || len(msgs) != 1 || msgs[0].ChatID != chat.ID {
		t.Fatalf("messages %+v, p2p chat %+v", msgs, chat)
	}
	if err := env.c.UpdateCard(ctx, id, testCard); err != nil {
		t.Fatalf("update the p2p form: %v", err)
	}
	if _, err := env.c.SendToUser(ctx, "", testCard, ""); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("empty open_id: %v", err)
	}
}
