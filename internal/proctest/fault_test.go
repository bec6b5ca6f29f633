package proctest

import (
	"context"
	mrand "math/rand/v2"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/botd/botd/internal/feishusim"
)

// Fault test: the Open API misbehaves on about a third of all calls, the
// token endpoint included: 15% answer HTTP 500, 10% HTTP 429 with the
// rate-limit code, 10% answer normally after 1.5 s. Every flow still
// completes exactly once.
//
// The rules are stricter here than in the crash test: no second form and no
// undeleted form is excused. A fault answers instead of the simulated API,
// so a call answered 500 or 429 changed nothing, and a slow answer is the
// real one, well within botd's 5 s client timeout. botd cannot know that a
// 500 changed nothing, so it flags such a send ambiguous and sends again;
// the platform then holds exactly one form, as it should.
//
// feishusim.Fault cannot set headers, so the 429s carry no
// x-ogw-ratelimit-reset: botd falls back to its own back-off.
func TestPlatformFaults(t *testing.T) {
	w := newWorld(t, worldOpts{chats: 3, users: 5})
	var errors500, errors429, slow atomic.Int64
	w.sim.SetFault(func(*http.Request) *feishusim.Fault {
		switch x := mrand.Float64(); {
		case x < 0.15:
			errors500.Add(1)
			return &feishusim.Fault{Status: http.StatusInternalServerError, Code: 1500, Msg: "internal error (injected)"}
		case x < 0.25:
			errors429.Add(1)
			return &feishusim.Fault{Status: http.StatusTooManyRequests, Code: feishusim.CodeRateLimited,
				Msg: "request trigger frequency limit (injected)"}
		case x < 0.35:
			slow.Add(1)
			return &feishusim.Fault{Delay: 1500 * time.Millisecond}
		}
		return nil
	})
	p := w.start("botd")
	flows := plan(w, "fault", 30, 5)

	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	d := &driver{sim: w.sim, events: w.platform(p, p), clicks: w.platform(p, p),
		senders: 3, clickers: 3, gap: 300 * time.Millisecond, think: 200 * time.Millisecond,
		patience: 10 * time.Second}
	// A form whose send keeps failing is retried with back-off (0.2 s,
	// 0.4 s, ... ): a minute is many retries.
	members, giveUp := context.WithTimeout(ctx, 90*time.Second)
	defer giveUp()
	d.run(members, t, flows)
	if err := w.waitSettled(ctx, flows, time.Now().Add(90*time.Second)); err != nil {
		t.Error(err)
	}
	w.checkExactlyOnce(ctx, flows, false)
	w.checkNoJobsGivenUp(t)
	t.Logf("%d Open API calls: %d answered 500, %d answered 429, %d slow", len(w.sim.Calls()),
		errors500.Load(), errors429.Load(), slow.Load())
}
