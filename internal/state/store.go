// Package state keeps botd's state in Redis: interactions (with a version for
// compare-and-set updates), claims that de-duplicate webhook deliveries, and a
// small cache shared by replicas (the tenant access token).
package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/botd/botd/internal/flows"
)

// DefaultInteractionTTL is how long an interaction is kept after its last
// update. A form left open longer than this answers "expired"; a finished one
// is kept this long so that a late double submit is still recognised.
const DefaultInteractionTTL = 7 * 24 * time.Hour

// Store implements flows.Store and webhook claims on Redis.
type Store struct {
	rdb redis.UniversalClient
	ttl time.Duration
	now func() time.Time
}

// New returns a Store. ttl <= 0 means DefaultInteractionTTL; now nil means time.Now.
func New(rdb redis.UniversalClient, ttl time.Duration, now func() time.Time) *Store {
	if ttl <= 0 {
		ttl = DefaultInteractionTTL
	}
	if now == nil {
		now = time.Now
	}
	return &Store{rdb: rdb, ttl: ttl, now: now}
}

var _ flows.Store = (*Store)(nil)

// createCmd stores a new interaction unless the key exists, and records it
// as its command's first interaction unless one is recorded already.
//
// KEYS[1] interaction key  KEYS[2] the command's key (absent for none)
// ARGV[1] JSON  ARGV[2] TTL in ms  ARGV[3] interaction id
// Returns 1 when created, 0 when the key exists.
var createCmd = redis.NewScript(`
if redis.call("EXISTS", KEYS[1]) == 1 then return 0 end
redis.call("HSET", KEYS[1], "v", 1, "d", ARGV[1])
redis.call("PEXPIRE", KEYS[1], ARGV[2])
if KEYS[2] then redis.call("SET", KEYS[2], ARGV[3], "NX", "PX", ARGV[2]) end
return 1`)

// updateCmd replaces an interaction if its version is still the expected one.
//
// KEYS[1] interaction key
// ARGV[1] expected version  ARGV[2] new JSON (holding expected+1)  ARGV[3] TTL in ms
// Returns 1 when updated, 0 on a version mismatch, -1 when the key is gone.
var updateCmd = redis.NewScript(`
local v = redis.call("HGET", KEYS[1], "v")
if not v then return -1 end
if v ~= ARGV[1] then return 0 end
redis.call("HSET", KEYS[1], "v", tonumber(ARGV[1]) + 1, "d", ARGV[2])
redis.call("PEXPIRE", KEYS[1], ARGV[3])
return 1`)

// CreateInteraction saves it with Version 1; flows.ErrExists if the ID is taken.
func (s *Store) CreateInteraction(ctx context.Context, it *flows.Interaction) error {
	now := s.now()
	saved := *it
	saved.Version = 1
	saved.CreatedAt, saved.UpdatedAt = now, now
	data, err := json.Marshal(&saved)
	if err != nil {
		return fmt.Errorf("state: create interaction %s: %w", it.ID, err)
	}
	keys := []string{interactionKey(it.ID)}
	if it.SourceMessageID != "" {
		keys = append(keys, commandKey(it.SourceMessageID))
	}
	n, err := createCmd.Run(ctx, s.rdb, keys, data, s.ttl.Milliseconds(), it.ID).Int()
	if err != nil {
		return fmt.Errorf("state: create interaction %s: %w", it.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("state: create interaction %s: %w", it.ID, flows.ErrExists)
	}
	*it = saved
	return nil
}

var _ flows.CommandIndex = (*Store)(nil)

// FirstInteraction implements flows.CommandIndex: "" when the message
// started none (or it expired).
func (s *Store) FirstInteraction(ctx context.Context, messageID string) (string, error) {
	id, err := s.rdb.Get(ctx, commandKey(messageID)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("state: first interaction of %s: %w", messageID, err)
	}
	return id, nil
}

// Interaction loads one interaction; flows.ErrNotFound when unknown or expired.
func (s *Store) Interaction(ctx context.Context, id string) (*flows.Interaction, error) {
	vals, err := s.rdb.HMGet(ctx, interactionKey(id), "v", "d").Result()
	if err != nil {
		return nil, fmt.Errorf("state: load interaction %s: %w", id, err)
	}
	data, ok := vals[1].(string)
	if !ok {
		return nil, fmt.Errorf("state: load interaction %s: %w", id, flows.ErrNotFound)
	}
	var it flows.Interaction
	if err := json.Unmarshal([]byte(data), &it); err != nil {
		return nil, fmt.Errorf("state: decode interaction %s: %w", id, err)
	}
	// The hash field is the source of truth for the version: the JSON copy
	// is written by the same script, but reading "v" keeps them from drifting.
	if v, ok := vals[0].(string); ok {
		_, _ = fmt.Sscan(v, &it.Version)
	}
	return &it, nil
}

// UpdateInteraction saves it if nobody updated it since it was read, then
// increments it.Version. flows.ErrConflict if someone did, flows.ErrNotFound
// if it expired.
func (s *Store) UpdateInteraction(ctx context.Context, it *flows.Interaction) error {
	saved := *it
	saved.Version = it.Version + 1
	saved.UpdatedAt = s.now()
	data, err := json.Marshal(&saved)
	if err != nil {
		return fmt.Errorf("state: update interaction %s: %w", it.ID, err)
	}
	n, err := updateCmd.Run(ctx, s.rdb, []string{interactionKey(it.ID)}, it.Version, data, s.ttl.Milliseconds()).Int()
	if err != nil {
		return fmt.Errorf("state: update interaction %s: %w", it.ID, err)
	}
	switch n {
	case 1:
		*it = saved
		return nil
	case 0:
		return fmt.Errorf("state: update interaction %s at version %d: %w", it.ID, it.Version, flows.ErrConflict)
	default:
		return fmt.Errorf("state: update interaction %s: %w", it.ID, flows.ErrNotFound)
	}
}

// claimCmd takes every key or none. A claim holds "lease" while its
// delivery is being handled and "kept" once it was.
//
// KEYS    the claim keys
// ARGV[1] TTL in ms
// Returns {first key already taken, its value}, or {"", ""} after taking
// them all.
var claimCmd = redis.NewScript(`
for _, k in ipairs(KEYS) do
  local v = redis.call("GET", k)
  if v then return {k, v} end
end
for _, k in ipairs(KEYS) do
  redis.call("SET", k, "lease", "PX", ARGV[1])
end
return {"", ""}`)

// Claim takes every key for ttl, or none, in one round trip. It returns the
// first key that was already taken ("" when this caller now owns them all)
// and whether that key's delivery was handled (kept) rather than still
// being handled, or abandoned by a process that died.
func (s *Store) Claim(ctx context.Context, ttl time.Duration, keys ...string) (taken string, handled bool, err error) {
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = claimKey(k)
	}
	res, err := claimCmd.Run(ctx, s.rdb, full, ttl.Milliseconds()).StringSlice()
	if err != nil || len(res) != 2 {
		return "", false, fmt.Errorf("state: claim %v: %v %w", keys, res, err)
	}
	return strings.TrimPrefix(res[0], claimKey("")), res[1] == "kept", nil
}

// Keep marks the claims handled and sets their time to live to ttl: they
// now guard against the delivery's redeliveries for that long.
func (s *Store) Keep(ctx context.Context, ttl time.Duration, keys ...string) error {
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.SetXX(ctx, claimKey(k), "kept", ttl)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("state: keep %v: %w", keys, err)
	}
	return nil
}

// Release drops claims, so that the platform's retry of a delivery whose
// handling failed is processed instead of ignored.
func (s *Store) Release(ctx context.Context, keys ...string) error {
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = claimKey(k)
	}
	if err := s.rdb.Del(ctx, full...).Err(); err != nil {
		return fmt.Errorf("state: release %v: %w", keys, err)
	}
	return nil
}

// Cache is a small string cache shared by replicas: the tenant access token,
// chat information. Get returns "" on a miss, the shape the Open API
// client's token cache takes.
type Cache struct{ rdb redis.UniversalClient }

// NewCache returns a cache under the botd:cache: prefix.
func NewCache(rdb redis.UniversalClient) *Cache { return &Cache{rdb: rdb} }

// Set stores value for ttl.
func (c *Cache) Set(ctx context.Context, key, value string, ttl time.Duration) error {
	if err := c.rdb.Set(ctx, cacheKey(key), value, ttl).Err(); err != nil {
		return fmt.Errorf("state: cache set: %w", err)
	}
	return nil
}

// Get returns the value, or "" when there is none.
func (c *Cache) Get(ctx context.Context, key string) (string, error) {
	v, err := c.rdb.Get(ctx, cacheKey(key)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("state: cache get: %w", err)
	}
	return v, nil
}

// Delete drops a cached value (a token the platform said is invalid).
func (c *Cache) Delete(ctx context.Context, key string) error {
	if err := c.rdb.Del(ctx, cacheKey(key)).Err(); err != nil {
		return fmt.Errorf("state: cache delete: %w", err)
	}
	return nil
}
