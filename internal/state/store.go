// Package state keeps botd's state in Redis: interactions (with a version for
// compare-and-set updates), claims that de-duplicate webhook deliveries, and a
// small cache shared by replicas (the tenant access token).
package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	scope
	ttl time.Duration
	now func() time.Time
	// cluster is true on a Redis Cluster: records take the cross-slot
	// steps of records.go, and the due set is sharded (due.go).
	cluster bool
	grace   time.Duration // inFlightGrace; tests shorten it
}

// New returns a Store on rdb, under rdb's key prefix if it has one
// (WithKeyPrefix). ttl <= 0 means DefaultInteractionTTL; now nil means
// time.Now. WithTenants(true) makes it a store app's (tenants.go).
func New(rdb redis.UniversalClient, ttl time.Duration, now func() time.Time, opts ...Option) *Store {
	if ttl <= 0 {
		ttl = DefaultInteractionTTL
	}
	if now == nil {
		now = time.Now
	}
	return &Store{rdb: rdb, scope: newScope(rdb, opts), ttl: ttl, now: now, cluster: clustered(rdb), grace: inFlightGrace}
}

var _ flows.Store = (*Store)(nil)

// createCmd stores a new interaction unless the key exists.
//
// KEYS[1] interaction key
// ARGV[1] JSON  ARGV[2] TTL in ms
// Returns 1 when created, 0 when the key exists.
var createCmd = redis.NewScript(`
if redis.call("EXISTS", KEYS[1]) == 1 then return 0 end
redis.call("HSET", KEYS[1], "v", 1, "d", ARGV[1])
redis.call("PEXPIRE", KEYS[1], ARGV[2])
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
	k, err := s.space(ctx)
	if err != nil {
		return fmt.Errorf("state: create interaction %s: %w", it.ID, err)
	}
	data, err := json.Marshal(&saved)
	if err != nil {
		return fmt.Errorf("state: create interaction %s: %w", it.ID, err)
	}
	n, err := createCmd.Run(ctx, s.rdb, []string{k.interaction(it.ID)}, data, s.ttl.Milliseconds()).Int()
	if err != nil {
		return fmt.Errorf("state: create interaction %s: %w", it.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("state: create interaction %s: %w", it.ID, flows.ErrExists)
	}
	// The command's first interaction is recorded after the interaction
	// exists, never before: its key is the message's, in another slot than
	// the interaction's on a cluster, and a crash between the two steps
	// must not leave it naming an interaction that is not there (the
	// redelivery would then show that one's form, which is nothing). A
	// crash after the first step leaves an interaction nobody queued a job
	// for, which expires, and no record: the redelivery starts the one
	// that counts.
	if it.SourceMessageID != "" {
		if err := s.rdb.SetNX(ctx, k.command(it.SourceMessageID), it.ID, s.ttl).Err(); err != nil {
			return fmt.Errorf("state: record interaction %s as the first of message %s: %w", it.ID, it.SourceMessageID, err)
		}
	}
	*it = saved
	return nil
}

var _ flows.CommandIndex = (*Store)(nil)

// FirstInteraction implements flows.CommandIndex: "" when the message
// started none (or it expired).
func (s *Store) FirstInteraction(ctx context.Context, messageID string) (string, error) {
	k, err := s.space(ctx)
	if err != nil {
		return "", fmt.Errorf("state: first interaction of %s: %w", messageID, err)
	}
	id, err := s.rdb.Get(ctx, k.command(messageID)).Result()
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
	k, err := s.space(ctx)
	if err != nil {
		return nil, fmt.Errorf("state: load interaction %s: %w", id, err)
	}
	vals, err := s.rdb.HMGet(ctx, k.interaction(id), "v", "d").Result()
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
	k, err := s.space(ctx)
	if err != nil {
		return fmt.Errorf("state: update interaction %s: %w", it.ID, err)
	}
	data, err := json.Marshal(&saved)
	if err != nil {
		return fmt.Errorf("state: update interaction %s: %w", it.ID, err)
	}
	n, err := updateCmd.Run(ctx, s.rdb, []string{k.interaction(it.ID)}, it.Version, data, s.ttl.Milliseconds()).Int()
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

// claimCmd takes one claim key unless it is taken. A claim holds "lease"
// while its delivery is being handled and "kept" once it was.
//
// KEYS[1] the claim key
// ARGV[1] TTL in ms
// Returns the value found (the key was taken), or false after taking it.
var claimCmd = redis.NewScript(`
local v = redis.call("GET", KEYS[1])
if v then return v end
redis.call("SET", KEYS[1], "lease", "PX", ARGV[1])
return false`)

// Claim takes every key for ttl, or none, in one round trip. It returns the
// first key that was already taken ("" when this caller now owns them all)
// and whether that key's delivery was handled (kept) rather than still
// being handled, or abandoned by a process that died.
//
// The keys are one delivery's event id, message id, …: each is looked up
// alone by a later delivery, so each has its own slot on a cluster, and no
// one script can take them all. Each is taken by a script of its own, all
// in one pipeline; when any was taken already, those this call took are
// given back before it returns. A racing delivery may see one of them
// leased for that moment, and is answered "in hand elsewhere" (try again),
// as it would be while this one was at work; a crash in that moment leaves
// a lease that lapses before the platform retries.
func (s *Store) Claim(ctx context.Context, ttl time.Duration, keys ...string) (taken string, handled bool, err error) {
	ks, err := s.space(ctx)
	if err != nil {
		return "", false, fmt.Errorf("state: claim %v: %w", keys, err)
	}
	cmds := make([]*redis.Cmd, len(keys))
	// Eval, not EvalSha: in a pipeline, go-redis cannot fall back on a
	// server that has not cached the script yet (a restart, a new master).
	_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error { // each command's own error is read below
		for i, key := range keys {
			cmds[i] = claimCmd.Eval(ctx, p, []string{ks.claim(key)}, ttl.Milliseconds())
		}
		return nil
	})
	var mine []string
	for i, c := range cmds {
		v, cerr := c.Text()
		switch {
		case errors.Is(cerr, redis.Nil):
			mine = append(mine, keys[i])
		case cerr != nil:
			err = cerr
		case taken == "":
			taken, handled = keys[i], v == "kept"
		}
	}
	if err == nil && taken == "" {
		return "", false, nil
	}
	if len(mine) > 0 {
		if rerr := s.Release(context.WithoutCancel(ctx), mine...); rerr != nil && err == nil {
			err = rerr
		}
	}
	if err != nil {
		return "", false, fmt.Errorf("state: claim %v: %w", keys, err)
	}
	return taken, handled, nil
}

// Keep marks the claims handled and sets their time to live to ttl: they
// now guard against the delivery's redeliveries for that long.
//
// It is the last write before botd acknowledges a delivery: on a Redis that
// fails over (Sentinel), it returns once a replica has it and everything
// the delivery wrote before (barrier), or the wait has timed out.
func (s *Store) Keep(ctx context.Context, ttl time.Duration, keys ...string) error {
	ks, err := s.space(ctx)
	if err != nil {
		return fmt.Errorf("state: keep %v: %w", keys, err)
	}
	err = barrier(ctx, s.rdb, func(p redis.Pipeliner) {
		for _, k := range keys {
			p.SetXX(ctx, ks.claim(k), "kept", ttl)
		}
	})
	if err != nil {
		return fmt.Errorf("state: keep %v: %w", keys, err)
	}
	return nil
}

// Release drops claims, so that the platform's retry of a delivery whose
// handling failed is processed instead of ignored. One DEL per key: the
// keys are in different slots on a cluster.
func (s *Store) Release(ctx context.Context, keys ...string) error {
	ks, err := s.space(ctx)
	if err != nil {
		return fmt.Errorf("state: release %v: %w", keys, err)
	}
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.Del(ctx, ks.claim(k))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("state: release %v: %w", keys, err)
	}
	return nil
}

// Cache is a small string cache shared by replicas: the tenant access token,
// chat information. Get returns "" on a miss, the shape the Open API
// client's token cache takes.
type Cache struct {
	rdb redis.UniversalClient
	scope
}

// NewCache returns a cache under the botd:cache: prefix (after rdb's key
// prefix, if any). With WithTenants(true) it is a store app's tenants'
// (each one's under its own prefix, keys.go); without, it is the app's
// own, also in a store app (app_ticket, app_access_token).
func NewCache(rdb redis.UniversalClient, opts ...Option) *Cache {
	return &Cache{rdb: rdb, scope: newScope(rdb, opts)}
}

// Set stores value for ttl.
func (c *Cache) Set(ctx context.Context, key, value string, ttl time.Duration) error {
	k, err := c.space(ctx)
	if err != nil {
		return fmt.Errorf("state: cache set: %w", err)
	}
	if err := c.rdb.Set(ctx, k.cache(key), value, ttl).Err(); err != nil {
		return fmt.Errorf("state: cache set: %w", err)
	}
	return nil
}

// Get returns the value, or "" when there is none.
func (c *Cache) Get(ctx context.Context, key string) (string, error) {
	k, err := c.space(ctx)
	if err != nil {
		return "", fmt.Errorf("state: cache get: %w", err)
	}
	v, err := c.rdb.Get(ctx, k.cache(key)).Result()
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
	k, err := c.space(ctx)
	if err != nil {
		return fmt.Errorf("state: cache delete: %w", err)
	}
	if err := c.rdb.Del(ctx, k.cache(key)).Err(); err != nil {
		return fmt.Errorf("state: cache delete: %w", err)
	}
	return nil
}
