package state

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/botd/botd/internal/flows"
)

var _ flows.Outbox = (*Store)(nil)

// beginCmd marks an effect started unless it is done.
//
// KEYS[1] outbox hash
// ARGV[1] effect  ARGV[2] now (ms)  ARGV[3] TTL (ms)
// Returns the previous value of the field, or false.
var beginCmd = redis.NewScript(`
local prev = redis.call("HGET", KEYS[1], ARGV[1])
if prev and string.sub(prev, 1, 5) == "done:" then return prev end
redis.call("HSET", KEYS[1], ARGV[1], "started:" .. ARGV[2])
redis.call("PEXPIRE", KEYS[1], ARGV[3])
return prev`)

// Begin implements flows.Outbox. A restart of an effect that was started
// and never completed is flagged in the ambiguous set after the script:
// that set is one key for every interaction, in a slot of its own on a
// cluster, so it cannot be in the interaction's script. A crash between
// the two loses nothing: the effect is still "started", so the next run's
// Begin flags it again.
func (s *Store) Begin(ctx context.Context, interactionID, effect string) (flows.OutboxEntry, error) {
	k, err := s.space(ctx)
	if err != nil {
		return flows.OutboxEntry{}, fmt.Errorf("state: outbox begin %s %s: %w", effect, interactionID, err)
	}
	now := s.now().UnixMilli()
	// The mark must outlive a failover before the effect happens (barrier):
	// a run after one must find it, or it would repeat the effect unflagged.
	var cmd *redis.Cmd
	err = barrier(ctx, s.rdb, func(p redis.Pipeliner) {
		cmd = beginCmd.Eval(ctx, p, []string{k.outbox(interactionID)}, effect, now, s.ttl.Milliseconds())
	})
	var prev string
	if err == nil {
		prev, err = cmd.Text()
	}
	switch {
	case err == redis.Nil:
		return flows.OutboxEntry{}, nil
	case err != nil:
		return flows.OutboxEntry{}, fmt.Errorf("state: outbox begin %s %s: %w", effect, interactionID, err)
	}
	if result, ok := strings.CutPrefix(prev, "done:"); ok {
		return flows.OutboxEntry{State: flows.OutboxDone, Result: result}, nil
	}
	if err := s.flag(ctx, interactionID, effect, now, true); err != nil {
		return flows.OutboxEntry{}, fmt.Errorf("state: outbox begin %s %s: %w", effect, interactionID, err)
	}
	return flows.OutboxEntry{State: flows.OutboxStarted}, nil
}

// flag adds the effect to the ambiguous set, trimming it to the
// interactions' lifetime when trim is set. The set is every tenant's: a
// store app's member is "TENANT/EFFECT:ID".
func (s *Store) flag(ctx context.Context, interactionID, effect string, now int64, trim bool) error {
	member, err := s.member(ctx, effect+":"+interactionID)
	if err != nil {
		return fmt.Errorf("flag ambiguous: %w", err)
	}
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAdd(ctx, s.keys.ambiguous(), redis.Z{Score: float64(now), Member: member})
		if trim {
			p.ZRemRangeByScore(ctx, s.keys.ambiguous(), "-inf", strconv.FormatInt(now-s.ttl.Milliseconds(), 10))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("flag ambiguous: %w", err)
	}
	return nil
}

var _ flows.OutboxReader = (*Store)(nil)

// Entry implements flows.OutboxReader.
func (s *Store) Entry(ctx context.Context, interactionID, effect string) (flows.OutboxEntry, error) {
	k, err := s.space(ctx)
	if err != nil {
		return flows.OutboxEntry{}, fmt.Errorf("state: outbox read %s %s: %w", effect, interactionID, err)
	}
	v, err := s.rdb.HGet(ctx, k.outbox(interactionID), effect).Result()
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
	// Begin set the hash's TTL a moment ago: one HSET is enough. Past a
	// failover, a run that finds it done does not repeat the effect
	// (barrier).
	k, err := s.space(ctx)
	if err != nil {
		return fmt.Errorf("state: outbox complete %s %s: %w", effect, interactionID, err)
	}
	err = barrier(ctx, s.rdb, func(p redis.Pipeliner) {
		p.HSet(ctx, k.outbox(interactionID), effect, "done:"+result)
	})
	if err != nil {
		return fmt.Errorf("state: outbox complete %s %s: %w", effect, interactionID, err)
	}
	return nil
}

// Abort implements flows.Outbox.
func (s *Store) Abort(ctx context.Context, interactionID, effect string) error {
	k, err := s.space(ctx)
	if err != nil {
		return fmt.Errorf("state: outbox abort %s %s: %w", effect, interactionID, err)
	}
	if err := s.rdb.HDel(ctx, k.outbox(interactionID), effect).Err(); err != nil {
		return fmt.Errorf("state: outbox abort %s %s: %w", effect, interactionID, err)
	}
	return nil
}

// FlagIfStarted implements flows.Outbox. The check and the flag are two
// steps, the set being in another slot than the outbox on a cluster: an
// effect completed in between is flagged all the same, which only asks an
// operator to look at one effect that turned out fine.
func (s *Store) FlagIfStarted(ctx context.Context, interactionID, effect string) (bool, error) {
	k, err := s.space(ctx)
	if err != nil {
		return false, fmt.Errorf("state: outbox flag %s %s: %w", effect, interactionID, err)
	}
	v, err := s.rdb.HGet(ctx, k.outbox(interactionID), effect).Result()
	switch {
	case err == redis.Nil:
		return false, nil
	case err != nil:
		return false, fmt.Errorf("state: outbox flag %s %s: %w", effect, interactionID, err)
	case !strings.HasPrefix(v, "started:"):
		return false, nil
	}
	if err := s.flag(ctx, interactionID, effect, s.now().UnixMilli(), false); err != nil {
		return false, fmt.Errorf("state: outbox flag %s %s: %w", effect, interactionID, err)
	}
	return true, nil
}
