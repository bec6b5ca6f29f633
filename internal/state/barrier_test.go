package state_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/botd/botd/internal/state"
	"github.com/botd/botd/internal/state/statetest"
)

// pipelines records each pipeline a client sends, as command names.
type pipelines struct {
	mu  sync.Mutex
	got []string
}

func (p *pipelines) DialHook(next redis.DialHook) redis.DialHook { return next }
func (p *pipelines) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		p.add([]redis.Cmder{cmd})
		return next(ctx, cmd)
	}
}
func (p *pipelines) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		p.add(cmds)
		return next(ctx, cmds)
	}
}
func (p *pipelines) add(cmds []redis.Cmder) {
	var names []string
	for _, c := range cmds {
		names = append(names, c.Name())
	}
	p.mu.Lock()
	p.got = append(p.got, strings.Join(names, " "))
	p.mu.Unlock()
}
func (p *pipelines) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	got := p.got
	p.got = nil
	return got
}

// On a Redis that fails over, the writes botd acknowledges or acts upon
// (claims kept, an effect's outbox marks) are followed, in the same
// pipeline and so on the same connection, by a WAIT for one replica; other
// writes are not, and a WAIT that found no replica stops the waiting for a
// while. The real failover is TestSentinelFailover (internal/proctest).
func TestBarrierWaitsForAReplica(t *testing.T) {
	ctx := context.Background()
	base := statetest.Redis(t)
	rec := &pipelines{}
	base.AddHook(rec)
	rdb := state.WithReplicaWait(base, 50*time.Millisecond)
	s := state.New(rdb, time.Hour, nil)

	// The test's server has no replica: WAIT answers 0 (after the timeout
	// on a real server), after which botd stops waiting for a while. Each
	// case starts afresh.
	waits := func(what string, want bool, do func() error) {
		t.Helper()
		state.ForgetNoReplica(rdb)
		rec.take()
		if err := do(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		got := rec.take()
		last := ""
		if len(got) > 0 {
			last = got[len(got)-1]
		}
		if has := strings.HasSuffix(last, " wait"); has != want {
			t.Fatalf("%s: pipelines %q; want a WAIT after the writes: %v", what, got, want)
		}
	}
	waits("claim", false, func() error { _, _, err := s.Claim(ctx, time.Minute, "event:e1"); return err })
	waits("keep", true, func() error { return s.Keep(ctx, time.Minute, "event:e1") })
	waits("begin", true, func() error { _, err := s.Begin(ctx, "itx_b", "send_form"); return err })
	waits("complete", true, func() error { return s.Complete(ctx, "itx_b", "send_form", "om_1") })
	waits("create", false, func() error { return s.CreateInteraction(ctx, newInteraction("itx_b")) })

	// After a WAIT found no replica, the next does not wait.
	rec.take()
	_ = s.Keep(ctx, time.Minute, "event:e1")
	_ = s.Keep(ctx, time.Minute, "event:e1")
	if got := rec.take(); len(got) != 2 || !strings.HasSuffix(got[0], " wait") || strings.HasSuffix(got[1], " wait") {
		t.Fatalf("two keeps with no replica: %q; want the first to wait, not the second", got)
	}
	// Without a replica wait (one server, a cluster), no WAIT at all.
	plain := state.New(base, time.Hour, nil)
	waits("keep on one server", false, func() error { return plain.Keep(ctx, time.Minute, "event:e1") })
}
