package state

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/botd/botd/internal/flows"
)

// The due set is every scheduled occurrence, scored by its due time. Every
// replica reads it every 500 ms (internal/schedule), and every reminder set,
// snoozed, fired or cancelled writes it: on one key, all of that is one
// master's on a cluster, whatever the number of masters. So on a cluster
// it is dueShards keys, a member's shard chosen by a hash of the member (so
// that its Schedule and Unschedule meet), and Due reads every shard in one
// pipeline, which the cluster client sends to each master at once. Shard 0
// is the one-server key (DueKey), so a single server keeps its old key.
//
// Sixteen shards spread over three to sixteen masters, and a read of all
// sixteen costs each master a few ZRANGEBYSCOREs with a LIMIT every 500 ms
// per replica: O(log n) each, nothing next to a reminder storm's writes.
const dueShards = 16

var _ flows.DueSet = (*Store)(nil)

// shards is the number of due-set keys on this store's Redis.
func (s *Store) shards() int {
	if s.cluster {
		return dueShards
	}
	return 1
}

// dueShard is member's shard among n.
func dueShard(member string, n int) int {
	if n == 1 {
		return 0
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(member))
	return int(h.Sum32() % uint32(n))
}

// Schedule implements flows.DueSet. A store app's member is qualified by
// ctx's tenant ("TENANT/MEMBER", keys.go): one due set serves every
// tenant, so that the scheduler reads the same few keys however many there
// are, and hands each member back with its tenant (internal/schedule).
func (s *Store) Schedule(ctx context.Context, member string, at time.Time) error {
	q, err := s.member(ctx, member)
	if err != nil {
		return fmt.Errorf("state: schedule %s: %w", member, err)
	}
	key := s.keys.due(dueShard(q, s.shards()))
	if err := s.rdb.ZAdd(ctx, key, redis.Z{Score: float64(at.UnixMilli()), Member: q}).Err(); err != nil {
		return fmt.Errorf("state: schedule %s: %w", member, err)
	}
	return nil
}

// Unschedule implements flows.DueSet: members are bare, as Schedule took
// them, and a store app's are ctx's tenant's.
func (s *Store) Unschedule(ctx context.Context, members ...string) error {
	if len(members) == 0 {
		return nil
	}
	n := s.shards()
	byShard := map[int][]any{}
	for _, m := range members {
		m, err := s.member(ctx, m)
		if err != nil {
			return fmt.Errorf("state: unschedule %v: %w", members, err)
		}
		i := dueShard(m, n) // m qualified: its shard is the one Schedule chose
		byShard[i] = append(byShard[i], m)
	}
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, ms := range byShard {
			p.ZRem(ctx, s.keys.due(i), ms...)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("state: unschedule %v: %w", members, err)
	}
	return nil
}

// Due returns up to limit members due at now, earliest first; the
// scheduler (internal/schedule) reads them, enqueues their jobs and then
// Unschedules them. It reads every tenant's: a store app's members come
// qualified "TENANT/MEMBER" (tenant.Split), and need no tenant in ctx.
func (s *Store) Due(ctx context.Context, now time.Time, limit int) ([]string, error) {
	n := s.shards()
	cmds := make([]*redis.ZSliceCmd, n)
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range n {
			cmds[i] = p.ZRangeArgsWithScores(ctx, redis.ZRangeArgs{
				Key: s.keys.due(i), Start: "-inf", Stop: strconv.FormatInt(now.UnixMilli(), 10), ByScore: true, Count: int64(limit),
			})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("state: read due set: %w", err)
	}
	var all []redis.Z
	var strays []redis.Z
	for i, c := range cmds {
		for _, z := range c.Val() {
			if i == 0 && n > 1 && dueShard(z.Member.(string), n) != 0 {
				// Read again from its own shard next time, where a later
				// schedule of it may have put it already.
				strays = append(strays, z)
				continue
			}
			all = append(all, z)
		}
	}
	if len(strays) > 0 {
		if err := s.rehome(ctx, strays); err != nil {
			return nil, err
		}
	}
	slices.SortStableFunc(all, func(a, b redis.Z) int {
		switch {
		case a.Score < b.Score:
			return -1
		case a.Score > b.Score:
			return 1
		}
		return 0
	})
	out := make([]string, 0, min(limit, len(all)))
	for _, z := range all[:min(limit, len(all))] {
		out = append(out, z.Member.(string))
	}
	return out, nil
}

// rehome moves members found in shard 0 of a cluster's due set that
// belong to another shard: a due set copied over from one server, whose
// members all sit in shard 0, where Unschedule would never find them. Each
// joins its own shard unless it is there already (a later Schedule wins),
// then leaves shard 0.
func (s *Store) rehome(ctx context.Context, zs []redis.Z) error {
	n := s.shards()
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, z := range zs {
			p.ZAddNX(ctx, s.keys.due(dueShard(z.Member.(string), n)), z)
		}
		return nil
	})
	if err == nil {
		members := make([]any, len(zs))
		for i, z := range zs {
			members[i] = z.Member
		}
		err = s.rdb.ZRem(ctx, s.keys.due(0), members...).Err()
	}
	if err != nil {
		return fmt.Errorf("state: move due members to their shards: %w", err)
	}
	return nil
}
