package state

import (
	"context"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/botd/botd/internal/flows"
)

var _ flows.Outbox = (*Store)(nil)

// beginCmd marks an effect started unless it is done, and flags a restart of
// an effect that was started and never completed.
//
// KEYS[1] outbox hash  KEYS[2] ambiguous zset
// ARGV[1] effect  ARGV[2] now (ms)  ARGV[3] TTL (ms)  ARGV[4] ambiguous member
// Returns the previous value of the field, or false.
var beginCmd = redis.NewScript(`
local prev = redis.call("HGET", KEYS[1], ARGV[1])
if prev and string.sub(prev, 1, 5) == "done:" then return prev end
if prev then
  redis.call("ZADD", KEYS[2], ARGV[2], ARGV[4])
  redis.call("ZREMRANGEBYSCORE", KEYS[2], "-inf", tonumber(ARGV[2]) - tonumber(ARGV[3]))
end
redis.call("HSET", KEYS[1], ARGV[1], "started:" .. ARGV[2])
redis.call("PEXPIRE", KEYS[1], ARGV[3])
return prev`)

// Begin implements flows.Outbox.
func (s *Store) Begin(ctx context.Context, interactionID, effect string) (flows.OutboxEntry, error) {
	now := s.now().UnixMilli()
	prev, err := beginCmd.Run(ctx, s.rdb, []string{outboxKey(interactionID), AmbiguousKey},
		effect, now, s.ttl.Milliseconds(), effect+":"+interactionID).Text()
	switch {
	case err == redis.Nil:
		return flows.OutboxEntry{}, nil
	case err != nil:
		return flows.OutboxEntry{}, fmt.Errorf("state: outbox begin %s %s: %w", effect, interactionID, err)
	}
	if result, ok := strings.CutPrefix(prev, "done:"); ok {
		return flows.OutboxEntry{State: flows.OutboxDone, Result: result}, nil
	}
	return flows.OutboxEntry{State: flows.OutboxStarted}, nil
}

var _ flows.OutboxReader = (*Store)(nil)

// Entry implements flows.OutboxReader.
func (s *Store) Entry(ctx context.Context, interactionID, effect string) (flows.OutboxEntry, error) {
	v, err := s.rdb.HGet(ctx, outboxKey(interactionID), effect).Result()
	switch {
	case err == redis.Nil:
		return flows.OutboxEntry{}, nil
	case err != nil:
		return flows.OutboxEntry{}, fmt.Errorf("state: outbox read %s %s: %w", effect, interactionID, err)
	}
	if result, ok := strings.CutPrefix(v, "done:"); ok {
		return flows.OutboxEntry{State: flows.OutboxDone, Result: result}, nil
	}
	return flows.OutboxEntry{State: flows.OutboxStarted}, nil
}

// Complete implements flows.Outbox.
func (s *Store) Complete(ctx context.Context, interactionID, effect, result string) error {
	// Begin set the hash's TTL a moment ago: one HSET is enough.
	if err := s.rdb.HSet(ctx, outboxKey(interactionID), effect, "done:"+result).Err(); err != nil {
		return fmt.Errorf("state: outbox complete %s %s: %w", effect, interactionID, err)
	}
	return nil
}

// Abort implements flows.Outbox.
func (s *Store) Abort(ctx context.Context, interactionID, effect string) error {
	if err := s.rdb.HDel(ctx, outboxKey(interactionID), effect).Err(); err != nil {
		return fmt.Errorf("state: outbox abort %s %s: %w", effect, interactionID, err)
	}
	return nil
}

// flagCmd flags an effect that was started and never completed.
//
// KEYS[1] outbox hash  KEYS[2] ambiguous zset
// ARGV[1] effect  ARGV[2] now (ms)  ARGV[3] ambiguous member
// Returns 1 when flagged, 0 otherwise.
var flagCmd = redis.NewScript(`
local v = redis.call("HGET", KEYS[1], ARGV[1])
if not v or string.sub(v, 1, 8) ~= "started:" then return 0 end
redis.call("ZADD", KEYS[2], ARGV[2], ARGV[3])
return 1`)

// FlagIfStarted implements flows.Outbox.
func (s *Store) FlagIfStarted(ctx context.Context, interactionID, effect string) (bool, error) {
	n, err := flagCmd.Run(ctx, s.rdb, []string{outboxKey(interactionID), AmbiguousKey},
		effect, s.now().UnixMilli(), effect+":"+interactionID).Int()
	if err != nil {
		return false, fmt.Errorf("state: outbox flag %s %s: %w", effect, interactionID, err)
	}
	return n == 1, nil
}
