package state

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/botd/botd/internal/flows"
)

var _ flows.DueSet = (*Store)(nil)

// Schedule implements flows.DueSet.
func (s *Store) Schedule(ctx context.Context, member string, at time.Time) error {
	if err := s.rdb.ZAdd(ctx, DueKey, redis.Z{Score: float64(at.UnixMilli()), Member: member}).Err(); err != nil {
		return fmt.Errorf("state: schedule %s: %w", member, err)
	}
	return nil
}

// Unschedule implements flows.DueSet.
func (s *Store) Unschedule(ctx context.Context, members ...string) error {
	if len(members) == 0 {
		return nil
	}
	args := make([]any, len(members))
	for i, m := range members {
		args[i] = m
	}
	if err := s.rdb.ZRem(ctx, DueKey, args...).Err(); err != nil {
		return fmt.Errorf("state: unschedule %v: %w", members, err)
	}
	return nil
}

// Due returns up to limit members due at now, earliest first; the
// scheduler (internal/schedule) reads them, enqueues their jobs and then
// Unschedules them.
func (s *Store) Due(ctx context.Context, now time.Time, limit int) ([]string, error) {
	members, err := s.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{
		Key: DueKey, Start: "-inf", Stop: fmt.Sprint(now.UnixMilli()), ByScore: true, Count: int64(limit),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("state: read due set: %w", err)
	}
	return members, nil
}
