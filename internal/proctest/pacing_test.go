package proctest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/botd/botd/internal/feishusim"
)

// The documented quotas of ephemeral/v1/send, which feishusim enforces with
// EnforceRateLimits (see its ratelimit.go).
const (
	ephemeralPerChatPerSecond = 40
	appPerSecond              = 50
	appPerMinute              = 1000
)

// minimumSendTime is the least time the documented quotas allow for sends
// ephemeral sends spread evenly over chats chats, for bursts within the
// per-minute quota.
func minimumSendTime(sends, chats int) time.Duration {
	perChat := float64(sends) / float64(chats)
	secs := max(float64(sends)/appPerSecond, perChat/ephemeralPerChatPerSecond)
	return time.Duration(secs * float64(time.Second))
}

// Pacing test: a burst of 300 /todo commands across 3 chats, fired by 20
// concurrent senders, against a simulator that enforces the documented
// quotas, with botd pacing to them (BOTD_RATE_LIMITS=documented). No call may
// be refused for a rate limit, every command gets exactly one form, and the
// last form arrives within 1.5 times the minimum the quotas allow (300 sends
// at 50/s per app: 6 s).
func TestPacingBurst(t *testing.T) {
	const commands, chats = 300, 3 // within appPerMinute, which minimumSendTime ignores
	w := newWorld(t, worldOpts{chats: chats, users: 10, enforceRateLimits: true})
	p := w.botd("botd", "BOTD_RATE_LIMITS=documented")
	// The margin widens each quota window to absorb the time between botd's
	// admission and the platform's receipt. The default (50 ms) is for a
	// network; here botd, Redis, the simulator and the rest of a -race
	// suite share two cores, and a send was once received more than 50 ms
	// late, bunched with the next window's (one 429 in CI). 150 ms still
	// leaves the burst within 1.5x the minimum the quotas allow.
	p.UseConfig("fair_use: {member_commands: 0, chat_commands: 0}\nquotas: {margin: 150ms}\n")
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	flows := plan(w, "burst", commands, 0)

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	// No clickers: the forms are only waited for.
	d := &driver{sim: w.sim, events: w.platform(p, p), senders: 20, patience: 10 * time.Second}
	members, giveUp := context.WithTimeout(ctx, time.Minute)
	defer giveUp()
	start := time.Now()
	d.run(members, t, flows)

	if err := w.waitSettled(ctx, flows, time.Now().Add(30*time.Second)); err != nil {
		t.Error(err)
	}
	w.checkExactlyOnce(ctx, flows, false)

	limited := 0
	for _, c := range w.sim.Calls() {
		if c.Status == http.StatusTooManyRequests || c.Code == feishusim.CodeRateLimited || c.Code == feishusim.CodeMsgRateLimited {
			if limited < 5 {
				t.Errorf("rate-limited call #%d %s %s: HTTP %d code %d", c.Seq, c.Method, c.Path, c.Status, c.Code)
			}
			limited++
		}
	}
	if limited > 0 {
		t.Errorf("%d calls refused for a rate limit, want 0", limited)
	}

	var last time.Time
	for _, e := range w.sim.Ephemerals() {
		if e.SentAt.After(last) {
			last = e.SentAt
		}
	}
	took, least := last.Sub(start), minimumSendTime(commands, chats)
	t.Logf("%d forms in %s; the documented quotas allow %s at best: %.0f%% of the allowed rate (%.2f× the minimum)",
		commands, took.Round(time.Millisecond), least, 100*least.Seconds()/took.Seconds(), took.Seconds()/least.Seconds())
	if limit := least * 3 / 2; took > limit {
		t.Errorf("the burst's forms took %s, want at most %s (1.5× the minimum)", took.Round(time.Millisecond), limit)
	}
}
