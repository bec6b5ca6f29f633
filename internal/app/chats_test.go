package app

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/botd/botd/internal/ephemeral"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/state"
	"github.com/botd/botd/internal/state/statetest"
)

type fakeLookup struct {
	calls int
	chat  *ephemeral.Chat
	err   error
}

func (f *fakeLookup) Chat(context.Context, string) (*ephemeral.Chat, error) {
	f.calls++
	return f.chat, f.err
}

// The chat's kind and admins are read once and shared through Redis for
// the TTL; failures are not cached; a chat the bot left is ErrChatGone.
func TestChatDirectory(t *testing.T) {
	ctx := context.Background()
	rdb := statetest.Client(t)
	open := &fakeLookup{chat: &ephemeral.Chat{Mode: "topic", OwnerID: "ou_o", ManagerIDs: []string{"ou_m"}, Status: "normal"}}
	d := &chatDirectory{open: open, cache: state.NewCache(rdb), ttl: time.Minute, log: zaptest.NewLogger(t)}
	other := &chatDirectory{open: open, cache: state.NewCache(rdb), ttl: time.Minute, log: zaptest.NewLogger(t)}

	for _, dir := range []*chatDirectory{d, other, d} { // another replica shares the cache
		ch, err := dir.ChatInfo(ctx, "oc_1")
		if err != nil || ch.Mode != "topic" || ch.OwnerID != "ou_o" || len(ch.ManagerIDs) != 1 {
			t.Fatalf("ChatInfo = %+v, %v", ch, err)
		}
	}
	if open.calls != 1 {
		t.Errorf("%d lookups, want 1", open.calls)
	}
	if ttl := rdb.TTL(ctx, statetest.Key(rdb, "botd:cache:chat:oc_1")).Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("cache TTL %v", ttl)
	}

	open.err = &ephemeral.APIError{Op: "chat.get", HTTPStatus: 400, Code: 232011}
	if _, err := d.ChatInfo(ctx, "oc_2"); !errors.Is(err, flows.ErrChatGone) {
		t.Errorf("bot not in chat: %v, want ErrChatGone", err)
	}
	open.err = errors.New("network down")
	if _, err := d.ChatInfo(ctx, "oc_3"); err == nil || errors.Is(err, flows.ErrChatGone) {
		t.Errorf("network failure: %v", err)
	}
}

// A failed lookup is cached briefly, in memory and for the other replicas,
// so that a burst of commands during an outage (or in a chat the bot has
// left) makes one call: the same failure is answered meanwhile. Then the
// platform is asked again.
func TestChatDirectoryCachesFailures(t *testing.T) {
	ctx := context.Background()
	rdb := statetest.Client(t)
	now := time.Now()
	clock := func() time.Time { return now }
	open := &fakeLookup{err: errors.New("network down")}
	d := &chatDirectory{open: open, cache: state.NewCache(rdb), ttl: time.Minute, log: zaptest.NewLogger(t), now: clock}
	other := &chatDirectory{open: open, cache: state.NewCache(rdb), ttl: time.Minute, log: zaptest.NewLogger(t), now: clock}

	for i, dir := range []*chatDirectory{d, d, other, d} {
		if _, err := dir.ChatInfo(ctx, "oc_down"); err == nil || errors.Is(err, flows.ErrChatGone) {
			t.Fatalf("lookup %d: %v, want the failure", i+1, err)
		}
	}
	if open.calls != 1 {
		t.Fatalf("%d calls for 4 lookups during an outage, want 1", open.calls)
	}

	open.err = &ephemeral.APIError{Op: "chat.get", HTTPStatus: 400, Code: 232011}
	for i, dir := range []*chatDirectory{d, other} {
		if _, err := dir.ChatInfo(ctx, "oc_left"); !errors.Is(err, flows.ErrChatGone) {
			t.Fatalf("lookup %d of a chat the bot left: %v, want ErrChatGone", i+1, err)
		}
	}
	if open.calls != 2 {
		t.Fatalf("%d calls, want 2", open.calls)
	}

	// The outage passes; after chatFailTTL the platform is asked again.
	open.err, open.chat = nil, &ephemeral.Chat{Mode: "group", Status: "normal"}
	now = now.Add(chatFailTTL + time.Second)
	if ch, err := other.ChatInfo(ctx, "oc_down"); err != nil || ch.Mode != "group" {
		t.Fatalf("after the outage: %+v, %v", ch, err)
	}
	if _, err := d.ChatInfo(ctx, "oc_left"); !errors.Is(err, flows.ErrChatGone) {
		t.Fatalf("a gone chat is remembered longer: %v", err)
	}
	if open.calls != 3 {
		t.Fatalf("%d calls, want 3", open.calls)
	}
}

// A hot chat is answered from memory for a few seconds, without a Redis
// round trip on every command.
func TestChatDirectoryMemory(t *testing.T) {
	ctx := context.Background()
	rdb := statetest.Client(t)
	open := &fakeLookup{chat: &ephemeral.Chat{Mode: "group", OwnerID: "ou_o", Status: "normal"}}
	d := &chatDirectory{open: open, cache: state.NewCache(rdb), ttl: time.Minute, log: zaptest.NewLogger(t)}
	if _, err := d.ChatInfo(ctx, "oc_hot"); err != nil {
		t.Fatal(err)
	}
	rdb.Del(ctx, statetest.Key(rdb, "botd:cache:chat:oc_hot")) // only memory has it now
	ch, err := d.ChatInfo(ctx, "oc_hot")
	if err != nil || ch.OwnerID != "ou_o" {
		t.Fatalf("ChatInfo from memory = %+v, %v", ch, err)
	}
	if open.calls != 1 {
		t.Fatalf("%d lookups, want 1 (the second answered from memory)", open.calls)
	}
}
