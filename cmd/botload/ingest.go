package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"time"

	"github.com/botd/botd/internal/feishusim"
)

const ephemeralSendPath = "/open-apis/ephemeral/v1/send"

// ingestConfig is the ingest benchmark's shape (see the -h text).
type ingestConfig struct {
	// chatter sends plain group messages that are not commands instead of
	// /todo: what a bot with the all-messages scope mostly receives.
	chatter      bool
	workers      int
	rounds       int
	round        time.Duration
	warmup       time.Duration
	drain        time.Duration
	chats, users int
	maxRate      int // events/s the prepared pool is sized for at most
}

// ingestRound is one round against one server.
type ingestRound struct {
	Round    int     `json:"round"`
	Target   string  `json:"target"` // "bare" or "botd"
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	Seconds  float64 `json:"seconds"`
	PerSec   float64 `json:"per_second"`
	Latency  summary `json:"latency"`
	// botd rounds only.
	Acked         int     `json:"acked,omitempty"`
	CardsSent     int     `json:"cards_sent,omitempty"`      // acked events whose form the simulator recorded
	SentByEnd     int     `json:"sent_by_end,omitempty"`     // acked events whose form was sent before the round ended
	Duplicates    int     `json:"duplicate_cards,omitempty"` // extra forms for one event
	DrainSeconds  float64 `json:"drain_seconds,omitempty"`   // after the round, until its last form was sent
	PoolExhausted bool    `json:"pool_exhausted,omitempty"`
	// Chatter rounds: Open API calls botd made for the round's messages
	// (there should be none), by path.
	Effects map[string]int `json:"effects,omitempty"`
	// Redis commands per acknowledged event over the round (and, for
	// ingest, the drain that follows it).
	Redis *redisCost `json:"redis,omitempty"`
	// CPU per acknowledged event over the same span: botd's (utime +
	// stime from /proc/PID/stat, 10 ms granularity) and the Redis
	// server's (INFO cpu); 0 when not measured.
	CPU cpuCost `json:"cpu_per_event"`
}

// cpuCost is CPU time per event, in microseconds. Everything else the
// process or server did meanwhile is included (botd's idle job polling,
// other clients of a shared Redis).
type cpuCost struct {
	BotdUS  float64 `json:"botd_us"`
	RedisUS float64 `json:"redis_us"`
}

// ingestTotal sums one server's rounds.
type ingestTotal struct {
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	Seconds  float64 `json:"seconds"`
	PerSec   float64 `json:"per_second"`
	Latency  summary `json:"latency"`
}

type ingestResult struct {
	Kind         string      `json:"kind"` // ingest or chatter
	Workers      int         `json:"workers"`
	RoundSeconds float64     `json:"round_seconds"`
	Bare         ingestTotal `json:"bare"`
	Botd         ingestTotal `json:"botd"`
	Ratio        float64     `json:"ratio"` // botd events/s ÷ bare requests/s over all rounds
	RatioMin     float64     `json:"ratio_min"`
	RatioMax     float64     `json:"ratio_max"`
	Acked        int         `json:"acked"`
	CardsSent    int         `json:"cards_sent"`
	SentShare    float64     `json:"sent_share"`
	SentByEnd    int         `json:"sent_by_end"`
	ByEndShare   float64     `json:"sent_by_end_share"` // forms sent by the end of their round ÷ acknowledged
	Duplicates   int         `json:"duplicate_cards"`
	Effects      int         `json:"effects"` // chatter: Open API calls made for the messages (want 0)
	// Memory is botd's resident set when the last round ended, and its peak.
	Memory      *memory `json:"botd_memory,omitempty"`
	MemoryError string  `json:"botd_memory_error,omitempty"`
	// Redis is the cost per event over every botd round.
	Redis *redisCost `json:"redis,omitempty"`
	// CPU is the CPU per event over every botd round, and the range of
	// the rounds' figures.
	CPU    cpuCost `json:"cpu_per_event"`
	CPUMin cpuCost `json:"cpu_per_event_min"`
	CPUMax cpuCost `json:"cpu_per_event_max"`
	// RedisNodes is the cost per event on each master of a cluster (left
	// out for one server): how evenly the work spreads.
	RedisNodes []nodeCost    `json:"redis_nodes,omitempty"`
	Rounds     []ingestRound `json:"rounds"`
}

// runIngest alternates closed-loop rounds between the bare handler and botd
// (bare first in odd rounds, botd first in even ones, so a drift in the
// machine's speed hits both alike) and reports both and their ratio.
func runIngest(ctx context.Context, e env, cfg ingestConfig) (*ingestResult, error) {
	if e.redisURL == "" {
		return nil, errors.New("ingest needs a real Redis on loopback: pass -redis redis://127.0.0.1:PORT/DB")
	}
	w, err := startWorld(ctx, e, worldOpts{chats: cfg.chats, usersPerChat: cfg.users, rateLimits: "off"})
	if err != nil {
		return nil, err
	}
	defer w.close()
	bare, err := startBare(ctx, e.stderr)
	if err != nil {
		return nil, err
	}
	defer bare.stop(5 * time.Second)
	s := newSender(cfg.workers) // to the bare handler, always over HTTP
	defer s.close()
	bs := w.newSender(cfg.workers) // to botd
	defer bs.close()

	rs, err := newRedisStats(ctx, e.redisURL)
	if err != nil {
		return nil, err
	}
	defer rs.close()

	bareURL := endpoint(bare.addr, "/webhook/event")
	bareReqs, err := prepareEvents(w, tag{kind: "bare"}, 1024, cfg.chatter)
	if err != nil {
		return nil, err
	}
	res := &ingestResult{Kind: cfg.kind(), Workers: cfg.workers, RoundSeconds: cfg.round.Seconds(), RatioMin: math.Inf(1)}
	estimate := float64(cfg.maxRate)

	// Round 0 warms both servers (connections, Redis pools, the token) and
	// gives the first estimate of botd's rate; it is not reported.
	if cfg.warmup > 0 {
		closedLoop(ctx, s, bareURL, bareReqs, true, cfg.workers, cfg.warmup)
		r, err := botdRound(ctx, w, bs, nil, nil, cfg, 0, cfg.warmup, estimate)
		if err != nil {
			return nil, fmt.Errorf("warm-up: %w", err)
		}
		estimate = r.PerSec
	}

	var bareLat, botdLat []time.Duration
	var redisBefore, redisAfter redisCalls
	redisEvents := 0
	var cpuSum cpuSeconds
	nodes := newNodeSums(rs)
	for round := 1; round <= cfg.rounds; round++ {
		var pair [2]ingestRound
		for _, target := range roundOrder(round) {
			if target == "bare" {
				lr := closedLoop(ctx, s, bareURL, bareReqs, true, cfg.workers, cfg.round)
				pair[0] = loopRound(round, "bare", lr)
				bareLat = append(bareLat, lr.latencies...)
				continue
			}
			var prof *profiler
			if round == 1 {
				prof = w.prof // one CPU profile per benchmark: the first measured round
			}
			r, err := botdRound(ctx, w, bs, rs, prof, cfg, round, cfg.round, estimate)
			if err != nil {
				return nil, err
			}
			if redisBefore == nil {
				redisBefore = r.redisBefore
			}
			if r.redisAfter != nil {
				redisAfter = r.redisAfter
			}
			redisEvents += r.Acked
			cpuSum.add(r.cpu)
			nodes.add(r.nodesBefore, r.nodesAfter)
			res.CPUMin, res.CPUMax = minCPU(res.CPUMin, r.CPU), maxCPU(res.CPUMax, r.CPU)
			res.Memory, res.MemoryError = r.memory, r.memoryError
			pair[1] = r.ingestRound
			botdLat = append(botdLat, r.latencies...)
			estimate = r.PerSec
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		res.Rounds = append(res.Rounds, pair[:]...)
		if pair[0].PerSec > 0 {
			ratio := pair[1].PerSec / pair[0].PerSec
			res.RatioMin, res.RatioMax = min(res.RatioMin, ratio), max(res.RatioMax, ratio)
		}
	}
	res.total(bareLat, botdLat)
	// The bare rounds between botd's add next to nothing to its Redis.
	res.Redis = costPerEvent(redisBefore, redisAfter, redisEvents)
	res.CPU = cpuSum.perEvent(redisEvents)
	res.RedisNodes = nodes.perEvent(redisEvents)
	w.prof.snapshot(ctx, cfg.kind()+"-heap", "heap")
	w.prof.snapshot(ctx, cfg.kind()+"-allocs", "allocs")
	return res, nil
}

func (cfg ingestConfig) kind() string {
	if cfg.chatter {
		return "chatter"
	}
	return "ingest"
}

func roundOrder(round int) []string {
	if round%2 == 1 {
		return []string{"bare", "botd"}
	}
	return []string{"botd", "bare"}
}

func loopRound(round int, target string, lr loopResult) ingestRound {
	return ingestRound{
		Round: round, Target: target, Requests: lr.requests, Errors: lr.errors,
		Seconds: lr.elapsed.Seconds(), PerSec: float64(lr.requests-lr.errors) / lr.elapsed.Seconds(),
		Latency: summarize(append([]time.Duration(nil), lr.latencies...)), PoolExhausted: lr.exhausted,
	}
}

// total sums the rounds per server. Rates are answered requests over the
// summed round time; percentiles are over every request of every round.
func (res *ingestResult) total(bareLat, botdLat []time.Duration) {
	for _, r := range res.Rounds {
		t := &res.Bare
		if r.Target == "botd" {
			t = &res.Botd
			res.Acked += r.Acked
			res.CardsSent += r.CardsSent
			res.SentByEnd += r.SentByEnd
			res.Duplicates += r.Duplicates
			for _, n := range r.Effects {
				res.Effects += n
			}
		}
		t.Requests += r.Requests
		t.Errors += r.Errors
		t.Seconds += r.Seconds
	}
	for _, t := range []*ingestTotal{&res.Bare, &res.Botd} {
		if t.Seconds > 0 {
			t.PerSec = float64(t.Requests-t.Errors) / t.Seconds
		}
	}
	res.Bare.Latency, res.Botd.Latency = summarize(bareLat), summarize(botdLat)
	if res.Bare.PerSec > 0 {
		res.Ratio = res.Botd.PerSec / res.Bare.PerSec
	}
	if res.Acked > 0 {
		res.SentShare = float64(res.CardsSent) / float64(res.Acked)
		res.ByEndShare = float64(res.SentByEnd) / float64(res.Acked)
	}
	if math.IsInf(res.RatioMin, 1) {
		res.RatioMin = 0
	}
}

// prepareEvents builds n tagged /todo deliveries, or with chatter n plain
// messages, spread over the chats and their members, each with a fresh
// event_id and message_id.
func prepareEvents(w *world, t tag, n int, chatter bool) ([]prepared, error) {
	event := w.todoEvent
	if chatter {
		event = w.chatterEvent
	}
	reqs := make([]prepared, n)
	for i := range reqs {
		var err error
		if reqs[i], err = event(t, i); err != nil {
			return nil, err
		}
	}
	return reqs, nil
}

type botdRoundResult struct {
	ingestRound
	latencies               []time.Duration
	redisBefore, redisAfter redisCalls
	cpu                     cpuSeconds
	nodesBefore, nodesAfter nodeReading
	memory                  *memory
	memoryError             string
}

// botdRound prepares enough events for d at 2.5 × the estimated rate, runs
// the closed loop against botd, then waits (at most cfg.drain) for the queue
// to drain and matches every form the simulator recorded to its event. A
// chatter round instead waits a moment and counts the Open API calls botd
// made (none are expected). rs and prof may be nil.
func botdRound(ctx context.Context, w *world, s *sender, rs *redisStats, prof *profiler, cfg ingestConfig, round int, d time.Duration, estimate float64) (botdRoundResult, error) {
	n := int(math.Ceil(min(max(estimate*2.5, 2000), float64(cfg.maxRate))*d.Seconds())) + cfg.workers
	t := tag{kind: cfg.kind(), round: round}
	reqs, err := prepareEvents(w, t, n, cfg.chatter)
	if err != nil {
		return botdRoundResult{}, err
	}
	w.sim.Reset() // forget the previous round's cards and calls: memory, and a clean match
	sent := watchSends(w.sim)
	defer sent.stop()

	res := botdRoundResult{redisBefore: rs.snapshot(ctx)}
	cpuBefore := takeCPU(ctx, w.botd.pid(), rs)
	res.nodesBefore = readNodes(ctx, rs)
	profiled := prof.cpu(ctx, fmt.Sprintf("%s-r%d-cpu", cfg.kind(), round), d)
	lr := closedLoop(ctx, s, w.event, reqs, false, cfg.workers, d)
	end := time.Now()
	res.memory, res.memoryError = w.memory()
	profiled()
	r := loopRound(round, "botd", lr)
	for _, ok := range lr.acked {
		if ok {
			r.Acked++
		}
	}
	if cfg.chatter {
		// Anything botd would do for a message runs as a job within
		// milliseconds; a second is ample to see it.
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
		r.Effects = openAPICalls(w.sim.Calls())
	} else {
		sent.wait(ctx, r.Acked, cfg.drain, 3*time.Second)
		if last := sent.last(); last.After(end) {
			r.DrainSeconds = last.Sub(end).Seconds()
		}
		first := make([]time.Time, n)
		seen := make([]int, n)
		for _, eph := range w.sim.Ephemerals() {
			if i := t.index(eph.Card); i >= 0 && i < n {
				seen[i]++
				if first[i].IsZero() || eph.SentAt.Before(first[i]) {
					first[i] = eph.SentAt
				}
			}
		}
		for i, c := range seen {
			if c > 0 && lr.acked[i] {
				r.CardsSent++
				if !first[i].After(end) {
					r.SentByEnd++
				}
			}
			if c > 1 {
				r.Duplicates += c - 1
			}
		}
	}
	res.redisAfter = rs.snapshot(ctx)
	res.cpu = takeCPU(ctx, w.botd.pid(), rs).since(cpuBefore)
	res.nodesAfter = readNodes(ctx, rs)
	r.Redis = costPerEvent(res.redisBefore, res.redisAfter, r.Acked)
	r.CPU = res.cpu.perEvent(r.Acked)
	res.ingestRound, res.latencies = r, lr.latencies
	return res, nil
}

// openAPICalls counts the Open API calls in calls by path, leaving out the
// token and the bot's own info, which botd fetches for itself rather than
// for any message. nil when there are none.
func openAPICalls(calls []feishusim.Call) map[string]int {
	var out map[string]int
	for _, c := range calls {
		if strings.Contains(c.Path, "/auth/") || strings.HasSuffix(c.Path, "/bot/v3/info") {
			continue
		}
		if out == nil {
			out = map[string]int{}
		}
		out[c.Method+" "+c.Path]++
	}
	return out
}

// sendWatch counts successful ephemeral sends as the simulator records them,
// so botload knows when botd's queue has drained without copying the
// simulator's whole record every few milliseconds. The count is a hint (a
// subscriber that falls behind misses calls); the exact figure comes from
// matching the simulator's record afterwards.
type sendWatch struct {
	count  atomic.Int64
	lastNS atomic.Int64
	cancel func()
	done   chan struct{}
}

func watchSends(sim *feishusim.Server) *sendWatch {
	ch, cancel := sim.Subscribe()
	sw := &sendWatch{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(sw.done)
		for c := range ch {
			if c.Path == ephemeralSendPath && c.Status == 200 {
				sw.count.Add(1)
				sw.lastNS.Store(c.Time.UnixNano())
			}
		}
	}()
	return sw
}

func (sw *sendWatch) last() time.Time {
	if ns := sw.lastNS.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

// wait returns when want sends were counted, when none arrived for idle
// (the queue is empty, or botd is stuck), or after limit.
func (sw *sendWatch) wait(ctx context.Context, want int, limit, idle time.Duration) {
	deadline := time.Now().Add(limit)
	lastCount, lastChange := int64(-1), time.Now()
	for time.Now().Before(deadline) && ctx.Err() == nil {
		c := sw.count.Load()
		if c >= int64(want) {
			return
		}
		if c != lastCount {
			lastCount, lastChange = c, time.Now()
		} else if time.Since(lastChange) > idle {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (sw *sendWatch) stop() {
	sw.cancel()
	<-sw.done
}
