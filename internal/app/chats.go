package app

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/botd/botd/internal/ephemeral"
	"github.com/botd/botd/internal/flows"
)

// chatInfoTTL is how long a chat's mode, owner and managers are trusted.
// Short, because a new manager expects to be one at once; long enough that
// a burst of commands and clicks in one chat makes one Open API call.
const chatInfoTTL = 60 * time.Second

// chatLookup is the part of the Open API client chatDirectory calls.
type chatLookup interface {
	Chat(ctx context.Context, chatID string) (*ephemeral.Chat, error)
}

// stringCache is a cache shared by replicas (state.Cache on Redis).
type stringCache interface {
	Get(ctx context.Context, key string) (string, error)
	Set(ctx context.Context, key, value string, ttl time.Duration) error
}

// chatDirectory is flows.ChatInfoSource: GET chat, cached in Redis so that
// every replica shares one answer. Failures are not cached: the engine
// falls back for this call and the next one asks again.
type chatDirectory struct {
	open  chatLookup
	cache stringCache
	ttl   time.Duration
	log   *zap.Logger

	// local keeps answers in memory for a few seconds in front of Redis:
	// every command looks its chat up inside the webhook request, and a busy
	// chat would otherwise cost a Redis round trip per message.
	mu    sync.Mutex
	local map[string]localChat
}

type localChat struct {
	info    flows.ChatInfo
	expires time.Time
}

// Bounds of the in-memory layer: short enough that a new manager is one
// within seconds; small enough never to matter for memory.
const (
	localChatTTL = 5 * time.Second
	localChatMax = 10000
)

func (d *chatDirectory) fromMemory(chatID string) (*flows.ChatInfo, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.local[chatID]
	if !ok || time.Now().After(c.expires) {
		return nil, false
	}
	info := c.info
	return &info, true
}

func (d *chatDirectory) remember(chatID string, info flows.ChatInfo) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.local == nil || len(d.local) >= localChatMax {
		d.local = make(map[string]localChat) // crude but bounded: start over
	}
	d.local[chatID] = localChat{info: info, expires: time.Now().Add(min(localChatTTL, d.ttl))}
}

var _ flows.ChatInfoSource = (*chatDirectory)(nil)

// ChatInfo returns the chat's kind and admins. A chat the bot is not in (or
// that is gone) comes back as an error wrapping flows.ErrChatGone.
func (d *chatDirectory) ChatInfo(ctx context.Context, chatID string) (*flows.ChatInfo, error) {
	if ch, ok := d.fromMemory(chatID); ok {
		return ch, nil
	}
	key := "chat:" + chatID
	if raw, err := d.cache.Get(ctx, key); err != nil {
		d.log.Warn("chat cache unavailable; asking the platform", zap.String("chat_id", chatID), zap.Error(err))
	} else if raw != "" {
		var ch flows.ChatInfo
		if err := json.Unmarshal([]byte(raw), &ch); err == nil {
			d.remember(chatID, ch)
			return &ch, nil
		}
	}
	c, err := d.open.Chat(ctx, chatID)
	if err != nil {
		if ephemeral.IsChatGone(err) {
			return nil, fmt.Errorf("chat %s: %w: %w", chatID, flows.ErrChatGone, err)
		}
		return nil, fmt.Errorf("chat %s: %w", chatID, err)
	}
	ch := &flows.ChatInfo{Mode: c.Mode, OwnerID: c.OwnerID, ManagerIDs: c.ManagerIDs, Status: c.Status}
	d.remember(chatID, *ch)
	if raw, err := json.Marshal(ch); err == nil {
		if err := d.cache.Set(ctx, key, string(raw), d.ttl); err != nil {
			d.log.Warn("cannot cache chat info", zap.String("chat_id", chatID), zap.Error(err))
		}
	}
	return ch, nil
}
