package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/botd/botd/internal/ephemeral"
	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/ratelimit"
	"github.com/botd/botd/internal/tenant"
)

// chatInfoTTL is how long a chat's mode, owner and managers are trusted.
// Short, because a new manager expects to be one at once; long enough that
// a burst of commands and clicks in one chat makes one Open API call.
const chatInfoTTL = 60 * time.Second

// Failed lookups are remembered too, briefly, so that a burst of commands
// during an outage (or in a chat the bot has left) makes one call, not one
// each: a few seconds for a failure that may pass, longer for a chat that
// is gone.
const (
	chatFailTTL = 5 * time.Second
	chatGoneTTL = 30 * time.Second
)

// chatLookup is the part of the Open API client chatDirectory calls.
type chatLookup interface {
	Chat(ctx context.Context, chatID string) (*ephemeral.Chat, error)
}

// stringCache is a cache shared by replicas (state.Cache on Redis).
type stringCache interface {
	Get(ctx context.Context, key string) (string, error)
	Set(ctx context.Context, key, value string, ttl time.Duration) error
}

// chatDirectory is flows.ChatInfoSource: GET chat, paced like every Open
// API call (open is pacedLookups in production) and cached in Redis so
// that every replica shares one answer. A failure is cached as well, for
// chatFailTTL (chatGoneTTL when the chat is gone), and answered as the
// same failure meanwhile: the engine falls back, as it does for the call
// that failed.
type chatDirectory struct {
	open  chatLookup
	cache stringCache
	ttl   time.Duration
	log   *zap.Logger
	now   func() time.Time // default time.Now

	// local keeps answers in memory for a few seconds in front of Redis:
	// every command looks its chat up inside the webhook request, and a busy
	// chat would otherwise cost a Redis round trip per message. Keyed by
	// tenant and chat (localKey): a store app's tenants may share chat ids.
	mu    sync.Mutex
	local map[string]localChat
}

// localKey is chatID's key in local: "TENANT/CHAT" when ctx carries a
// tenant (a store app's; the Redis cache is scoped by state itself).
func localKey(ctx context.Context, chatID string) string {
	if key, ok := tenant.From(ctx); ok {
		return tenant.Qualify(key, chatID)
	}
	return chatID
}

type localChat struct {
	info    flows.ChatInfo
	failed  string // failGone or failError: a cached failure, not info
	expires time.Time
}

// Values of a cached failure ("chatfail:{id}" holds "{kind}:{until_ms}").
const (
	failGone  = "gone"
	failError = "error"
)

// errRecentFailure answers a lookup while an earlier failure is cached.
var errRecentFailure = errors.New("the last lookup failed moments ago; not asking again yet")

// Bounds of the in-memory layer: short enough that a new manager is one
// within seconds; small enough never to matter for memory.
const (
	localChatTTL = 5 * time.Second
	localChatMax = 10000
)

func (d *chatDirectory) clock() time.Time {
	if d.now != nil {
		return d.now()
	}
	return time.Now()
}

func (d *chatDirectory) fromMemory(ctx context.Context, chatID string) (localChat, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.local[localKey(ctx, chatID)]
	if !ok || d.clock().After(c.expires) {
		return localChat{}, false
	}
	return c, true
}

func (d *chatDirectory) remember(ctx context.Context, chatID string, c localChat, ttl time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.local == nil || len(d.local) >= localChatMax {
		d.local = make(map[string]localChat) // crude but bounded: start over
	}
	c.expires = d.clock().Add(min(localChatTTL, ttl))
	d.local[localKey(ctx, chatID)] = c
}

// failure turns a cached failure into the error a lookup returns.
func failure(chatID, kind string) error {
	if kind == failGone {
		return fmt.Errorf("chat %s: %w (cached)", chatID, flows.ErrChatGone)
	}
	return fmt.Errorf("chat %s: %w", chatID, errRecentFailure)
}

var _ flows.ChatInfoSource = (*chatDirectory)(nil)

// ChatInfo returns the chat's kind and admins. A chat the bot is not in (or
// that is gone) comes back as an error wrapping flows.ErrChatGone.
func (d *chatDirectory) ChatInfo(ctx context.Context, chatID string) (*flows.ChatInfo, error) {
	if c, ok := d.fromMemory(ctx, chatID); ok {
		if c.failed != "" {
			return nil, failure(chatID, c.failed)
		}
		info := c.info
		return &info, nil
	}
	if ch, ok := d.fromCache(ctx, chatID); ok {
		return ch, nil
	}
	if kind, ok := d.cachedFailure(ctx, chatID); ok {
		return nil, failure(chatID, kind)
	}
	c, err := d.open.Chat(ctx, chatID)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return nil, fmt.Errorf("chat %s: %w", chatID, err) // the caller left: nothing to remember
		}
		kind, ttl := failError, chatFailTTL
		if ephemeral.IsChatGone(err) {
			kind, ttl = failGone, chatGoneTTL
			err = fmt.Errorf("%w: %w", flows.ErrChatGone, err)
		}
		d.rememberFailure(ctx, chatID, kind, ttl)
		return nil, fmt.Errorf("chat %s: %w", chatID, err)
	}
	ch := &flows.ChatInfo{Mode: c.Mode, Name: c.Name, OwnerID: c.OwnerID, ManagerIDs: c.ManagerIDs, Status: c.Status}
	d.remember(ctx, chatID, localChat{info: *ch}, d.ttl)
	if raw, err := json.Marshal(ch); err == nil {
		if err := d.cache.Set(ctx, "chat:"+chatID, string(raw), d.ttl); err != nil {
			d.log.Warn("cannot cache chat info", zap.String("chat_id", chatID), zap.Error(err))
		}
	}
	return ch, nil
}

// fromCache reads the chat from Redis.
func (d *chatDirectory) fromCache(ctx context.Context, chatID string) (*flows.ChatInfo, bool) {
	raw, err := d.cache.Get(ctx, "chat:"+chatID)
	if err != nil {
		d.log.Warn("chat cache unavailable; asking the platform", zap.String("chat_id", chatID), zap.Error(err))
		return nil, false
	}
	if raw == "" {
		return nil, false
	}
	var ch flows.ChatInfo
	if err := json.Unmarshal([]byte(raw), &ch); err != nil {
		return nil, false
	}
	d.remember(ctx, chatID, localChat{info: ch}, d.ttl)
	return &ch, true
}

// cachedFailure reads a failure another lookup (maybe on another replica)
// remembered. Its end is in the value: the in-process store's keys do not
// expire by themselves.
func (d *chatDirectory) cachedFailure(ctx context.Context, chatID string) (string, bool) {
	raw, err := d.cache.Get(ctx, "chatfail:"+chatID)
	if err != nil || raw == "" {
		return "", false
	}
	kind, ms, _ := strings.Cut(raw, ":")
	until, err := strconv.ParseInt(ms, 10, 64)
	left := time.UnixMilli(until).Sub(d.clock())
	if err != nil || left <= 0 || (kind != failGone && kind != failError) {
		return "", false
	}
	d.remember(ctx, chatID, localChat{failed: kind}, left)
	return kind, true
}

func (d *chatDirectory) rememberFailure(ctx context.Context, chatID, kind string, ttl time.Duration) {
	d.remember(ctx, chatID, localChat{failed: kind}, ttl)
	until := d.clock().Add(ttl).UnixMilli()
	if err := d.cache.Set(ctx, "chatfail:"+chatID, kind+":"+strconv.FormatInt(until, 10), ttl); err != nil {
		d.log.Warn("cannot cache a failed chat lookup", zap.String("chat_id", chatID), zap.Error(err))
	}
}

// pacedLookups is the Open API client's chat and member lookups, paced
// like every other Open API call (ratelimit.Limiter.Do): a burst of
// commands in many chats must not become a burst of lookups the platform
// refuses.
type pacedLookups struct {
	open *ephemeral.Client
	l    *ratelimit.Limiter
}

func (p pacedLookups) Chat(ctx context.Context, chatID string) (*ephemeral.Chat, error) {
	var c *ephemeral.Chat
	err := p.l.Do(ctx, p.l.Limits().ChatGet(), func(ctx context.Context) error {
		var err error
		c, err = p.open.Chat(ctx, chatID)
		return err
	})
	return c, err
}

func (p pacedLookups) ChatMembers(ctx context.Context, chatID, pageToken string) (*ephemeral.MemberPage, error) {
	var page *ephemeral.MemberPage
	err := p.l.Do(ctx, p.l.Limits().ChatMembers(), func(ctx context.Context) error {
		var err error
		page, err = p.open.ChatMembers(ctx, chatID, pageToken)
		return err
	})
	return page, err
}
