package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/botd/botd/internal/feishusim"
)

// The documented quotas on ephemeral/v1/send (docs/feishu-platform.md, and
// enforced by feishusim): per chat, and for the app across all chats.
const (
	ephemeralPerChatPerSecond = 40
	appPerSecond              = 50
	appPerMinute              = 1000
)

type pacingConfig struct {
	burst        int
	chats, users int
	wait         time.Duration // at most, after the burst, for the last form
}

type pacingResult struct {
	Burst          int     `json:"burst"`
	Chats          int     `json:"chats"`
	Acked          int     `json:"acked"`
	Sent           int     `json:"sent"`            // successful ephemeral sends
	RateLimited    int     `json:"rate_limited"`    // 429 / 99991400 / 230020 answers from the simulator
	OtherErrors    int     `json:"other_errors"`    // any other refused Open API call
	Seconds        float64 `json:"seconds"`         // first event delivered → last form sent
	MinSeconds     float64 `json:"min_seconds"`     // what the documented limits allow
	AllowedPerSec  float64 `json:"allowed_per_sec"` // burst ÷ MinSeconds
	AchievedPerSec float64 `json:"achieved_per_sec"`
	Ratio          float64 `json:"ratio"` // achieved ÷ allowed
}

// minBurstSeconds is the least time in which the documented limits let n
// ephemeral sends spread evenly over chats happen, counting from the first
// send to the last: n sends at the binding rate are n-1 intervals apart, and
// the per-minute tier forces a wait for each further 1000.
func minBurstSeconds(n, chats int) float64 {
	if n <= 1 {
		return 0
	}
	rate := float64(min(appPerSecond, ephemeralPerChatPerSecond*chats))
	perSecond := float64(n-1) / rate
	perMinute := float64(60 * ((n - 1) / appPerMinute))
	return max(perSecond, perMinute)
}

// runPacing delivers a burst of /todo across a few chats as fast as botd
// acknowledges them, with the simulator enforcing the documented quotas and
// botd pacing itself (BOTD_RATE_LIMITS=documented). It reports how close to
// the allowed rate the forms went out and how many calls were refused.
func runPacing(ctx context.Context, e env, cfg pacingConfig) (*pacingResult, error) {
	w, err := startWorld(ctx, e, worldOpts{chats: cfg.chats, usersPerChat: cfg.users,
		enforceLimits: true, rateLimits: "documented"})
	if err != nil {
		return nil, err
	}
	defer w.close()
	s := w.newSender(32)
	defer s.close()

	t := tag{kind: "pacing"}
	reqs, err := prepareEvents(w, t, cfg.burst, false)
	if err != nil {
		return nil, err
	}
	w.sim.Reset() // also empties the rate-limit windows botd's start-up calls used

	var acked atomic.Int64
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range 32 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(reqs); i = int(next.Add(1) - 1) {
				if status, _, err := s.send(ctx, w.event, reqs[i], false); err == nil && status == http.StatusOK {
					acked.Add(1)
				}
			}
		})
	}
	wg.Wait()

	res := &pacingResult{Burst: cfg.burst, Chats: cfg.chats, Acked: int(acked.Load()),
		MinSeconds: minBurstSeconds(cfg.burst, cfg.chats)}
	deadline := time.Now().Add(cfg.wait)
	for {
		calls := w.sim.Calls()
		res.tally(calls, t, start)
		if res.Sent >= res.Acked || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if res.MinSeconds > 0 {
		res.AllowedPerSec = float64(cfg.burst) / res.MinSeconds
	}
	if res.Seconds > 0 {
		res.AchievedPerSec = float64(res.Sent) / res.Seconds
		res.Ratio = res.AchievedPerSec / res.AllowedPerSec
	}
	if res.Sent < res.Acked {
		return res, fmt.Errorf("pacing: only %d of %d forms were sent within %v", res.Sent, res.Acked, cfg.wait)
	}
	return res, nil
}

// tally counts the simulator's answers to the burst. Time runs from the
// first delivery to the last successful form; a limiter that lets the whole
// burst out at the start and then waits for refusals to clear shows up as
// rate-limit errors, not as speed.
func (res *pacingResult) tally(calls []feishusim.Call, t tag, start time.Time) {
	res.Sent, res.RateLimited, res.OtherErrors, res.Seconds = 0, 0, 0, 0
	for _, c := range calls {
		switch {
		case c.Status == http.StatusTooManyRequests || c.Code == feishusim.CodeRateLimited || c.Code == feishusim.CodeMsgRateLimited:
			res.RateLimited++
		case c.Status != http.StatusOK || c.Code != 0:
			res.OtherErrors++
		case c.Path == ephemeralSendPath && t.index(c.Body) >= 0:
			res.Sent++
			res.Seconds = max(res.Seconds, c.Time.Sub(start).Seconds())
		}
	}
}
