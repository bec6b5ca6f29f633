package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/botd/botd/internal/redisurl"
)

// redisCalls is Redis's own count of the commands it ran, by name (INFO
// commandstats), so a benchmark can say how many commands an event cost.
// Commands a script runs are counted too, under their own names, and so is
// everything else that touches the server during the round (botd's job
// polling, heartbeats, the scheduler): the figure is an upper bound per
// event, exact only when the server is botload's alone.
type redisCalls map[string]int64

// redisStats reads INFO from the -redis server, or from every master of
// a cluster (summing them: a cluster's cost is its masters' together).
type redisStats struct {
	c     redis.UniversalClient
	nodes []*redis.Client // the server, or each master, by address
}

// newRedisStats connects to raw (redis:// or redis+cluster://, as
// internal/redisurl reads them); nil for "".
func newRedisStats(ctx context.Context, raw string) (*redisStats, error) {
	if raw == "" {
		return nil, nil
	}
	u, err := redisurl.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("-redis: %w", err)
	}
	r := &redisStats{c: u.NewClient()}
	switch c := r.c.(type) {
	case *redis.Client:
		r.nodes = []*redis.Client{c}
	case *redis.ClusterClient:
		var mu sync.Mutex
		if err := c.ForEachMaster(ctx, func(_ context.Context, n *redis.Client) error {
			mu.Lock()
			defer mu.Unlock()
			r.nodes = append(r.nodes, n)
			return nil
		}); err != nil {
			r.close()
			return nil, fmt.Errorf("-redis: list the cluster's masters: %w", err)
		}
		sort.Slice(r.nodes, func(i, j int) bool { return r.nodes[i].Options().Addr < r.nodes[j].Options().Addr })
	default:
		r.close()
		return nil, errors.New("-redis: want one server or a cluster")
	}
	return r, nil
}

func (r *redisStats) close() {
	if r != nil {
		_ = r.c.Close()
	}
}

// snapshot returns the calls so far by command, summed over the masters,
// or nil when there is no server to ask or one does not answer (the
// figure is then left out).
func (r *redisStats) snapshot(ctx context.Context) redisCalls {
	nodes := r.snapshotNodes(ctx)
	if nodes == nil {
		return nil
	}
	out := redisCalls{}
	for _, n := range nodes {
		for name, c := range n {
			out[name] += c
		}
	}
	return out
}

// snapshotNodes is snapshot per master, in r.nodes' order.
func (r *redisStats) snapshotNodes(ctx context.Context) []redisCalls {
	if r == nil {
		return nil
	}
	out := make([]redisCalls, len(r.nodes))
	for i, n := range r.nodes {
		s, err := n.Info(ctx, "commandstats").Result()
		if err != nil {
			return nil
		}
		out[i] = parseCommandStats(s)
	}
	return out
}

// addrs are the masters' addresses, in r.nodes' order.
func (r *redisStats) addrs() []string {
	out := make([]string, len(r.nodes))
	for i, n := range r.nodes {
		out[i] = n.Options().Addr
	}
	return out
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

// nodeReading is every master's commands and CPU at one moment (nil when
// -redis is one server or a master did not answer).
type nodeReading struct {
	calls []redisCalls
	usage []serverUsage
}

func readNodes(ctx context.Context, r *redisStats) nodeReading {
	if r == nil || len(r.nodes) < 2 {
		return nodeReading{}
	}
	calls := r.snapshotNodes(ctx)
	usage, ok := r.usageNodes(ctx)
	if calls == nil || !ok {
		return nodeReading{}
	}
	return nodeReading{calls: calls, usage: usage}
}

// nodeCost is one cluster master's share of the work per event.
type nodeCost struct {
	Addr     string  `json:"addr"`
	Commands float64 `json:"commands_per_event"`
	Scripts  float64 `json:"scripts_per_event"`
	CPUUS    float64 `json:"cpu_us_per_event"`
}

// nodeSums adds up, per master, what the rounds cost.
type nodeSums struct {
	addrs            []string
	commands, script []int64
	cpu              []float64
	broken           bool // a round's reading is missing: no figures
}

func newNodeSums(r *redisStats) *nodeSums {
	if r == nil || len(r.nodes) < 2 {
		return nil
	}
	n := len(r.nodes)
	return &nodeSums{addrs: r.addrs(), commands: make([]int64, n), script: make([]int64, n), cpu: make([]float64, n)}
}

func (s *nodeSums) add(before, after nodeReading) {
	if s == nil {
		return
	}
	if len(before.calls) != len(s.addrs) || len(after.calls) != len(s.addrs) {
		s.broken = true
		return
	}
	for i := range s.addrs {
		for name, c := range after.calls[i] {
			if d := c - before.calls[i][name]; d > 0 && name != "info" {
				s.commands[i] += d
				if name == "evalsha" || name == "eval" || name == "evalsha_ro" || name == "eval_ro" {
					s.script[i] += d
				}
			}
		}
		s.cpu[i] += after.usage[i].CPUSeconds - before.usage[i].CPUSeconds
	}
}

func (s *nodeSums) perEvent(events int) []nodeCost {
	if s == nil || s.broken || events <= 0 {
		return nil
	}
	out := make([]nodeCost, len(s.addrs))
	for i, a := range s.addrs {
		out[i] = nodeCost{Addr: a, Commands: float64(s.commands[i]) / float64(events),
			Scripts: float64(s.script[i]) / float64(events), CPUUS: s.cpu[i] * 1e6 / float64(events)}
	}
	return out
}
