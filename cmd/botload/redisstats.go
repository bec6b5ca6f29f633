package main

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// redisCalls is Redis's own count of the commands it ran, by name (INFO
// commandstats), so a benchmark can say how many commands an event cost.
// Commands a script runs are counted too, under their own names, and so is
// everything else that touches the server during the round (botd's job
// polling, heartbeats, the scheduler): the figure is an upper bound per
// event, exact only when the server is botload's alone.
type redisCalls map[string]int64

// redisStats reads INFO commandstats from the -redis server.
type redisStats struct{ c *redis.Client }

func newRedisStats(raw string) (*redisStats, error) {
	if raw == "" {
		return nil, nil
	}
	opts, err := redis.ParseURL(raw)
	if err != nil {
		return nil, fmt.Errorf("-redis: not a valid redis:// URL")
	}
	opts.PoolSize = 1
	return &redisStats{c: redis.NewClient(opts)}, nil
}

func (r *redisStats) close() {
	if r != nil {
		_ = r.c.Close()
	}
}

// snapshot returns the calls so far by command, or nil when there is no
// server to ask or it does not answer (the figure is then left out).
func (r *redisStats) snapshot(ctx context.Context) redisCalls {
	if r == nil {
		return nil
	}
	s, err := r.c.Info(ctx, "commandstats").Result()
	if err != nil {
		return nil
	}
	return parseCommandStats(s)
}

// parseCommandStats reads lines such as
// "cmdstat_evalsha:calls=12,usec=34,usec_per_call=2.83,...".
func parseCommandStats(s string) redisCalls {
	out := redisCalls{}
	for _, line := range strings.Split(s, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !strings.HasPrefix(name, "cmdstat_") {
			continue
		}
		for _, kv := range strings.Split(rest, ",") {
			if v, ok := strings.CutPrefix(kv, "calls="); ok {
				if n, err := strconv.ParseInt(v, 10, 64); err == nil {
					out[strings.TrimPrefix(name, "cmdstat_")] = n
				}
			}
		}
	}
	return out
}

// redisCost is what a round cost Redis, per acknowledged event.
type redisCost struct {
	Commands float64            `json:"commands_per_event"` // every command, those inside scripts included
	Scripts  float64            `json:"scripts_per_event"`  // EVAL and EVALSHA calls: one round trip each
	Top      map[string]float64 `json:"top,omitempty"`      // the most frequent commands, per event
}

// costPerEvent divides the difference of two snapshots by events. It
// returns nil when either snapshot is missing or there were no events.
func costPerEvent(before, after redisCalls, events int) *redisCost {
	if before == nil || after == nil || events <= 0 {
		return nil
	}
	type kv struct {
		name string
		n    int64
	}
	var diffs []kv
	var total int64
	for name, n := range after {
		if d := n - before[name]; d > 0 && name != "info" {
			diffs = append(diffs, kv{name, d})
			total += d
		}
	}
	sort.Slice(diffs, func(i, j int) bool {
		if diffs[i].n != diffs[j].n {
			return diffs[i].n > diffs[j].n
		}
		return diffs[i].name < diffs[j].name
	})
	per := func(n int64) float64 { return float64(n) / float64(events) }
	c := &redisCost{Commands: per(total), Top: map[string]float64{}}
	for _, d := range diffs {
		if d.name == "evalsha" || d.name == "eval" || d.name == "evalsha_ro" || d.name == "eval_ro" {
			c.Scripts += per(d.n)
		}
	}
	for _, d := range diffs[:min(len(diffs), 8)] {
		c.Top[d.name] = per(d.n)
	}
	return c
}

// String is the cost in one line: "3.2 commands (1.0 scripts): evalsha 1.0, hset 1.0, ...".
func (c *redisCost) String() string {
	if c == nil {
		return "not measured"
	}
	names := make([]string, 0, len(c.Top))
	for n := range c.Top {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if c.Top[names[i]] != c.Top[names[j]] {
			return c.Top[names[i]] > c.Top[names[j]]
		}
		return names[i] < names[j]
	})
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s %.2f", n, c.Top[n])
	}
	return fmt.Sprintf("%.2f commands (%.2f scripts) per event: %s", c.Commands, c.Scripts, strings.Join(parts, ", "))
}
