package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/botd/botd/internal/feishusim"
)

const messagesPath = "/open-apis/im/v1/messages"

type submitPostConfig struct {
	submits      int
	rate         int // submits per second, open loop
	chats, users int
	rateLimits   string
	formWait     time.Duration
	wait         time.Duration // at most, after the last submit, for the posts
}

type submitPostResult struct {
	Submits    int     `json:"submits"`
	Rate       int     `json:"rate"`
	RateLimits string  `json:"botd_rate_limits"`
	Answered   int     `json:"answered"` // 200 with a success toast
	Posted     int     `json:"posted"`
	Latency    summary `json:"latency"` // submit answered → group post received by the simulator
	FirstError string  `json:"first_error,omitempty"`
	// Memory is botd's resident set once the posts arrived.
	Memory      *memory `json:"botd_memory,omitempty"`
	MemoryError string  `json:"botd_memory_error,omitempty"`
}

// runSubmitPost measures what a user waits for after pressing Submit: from
// botd's answer to the callback until the simulator receives the group post
// (im/v1/messages), with the simulator answering at once. The posts are seen
// live through Server.Subscribe; any a lagging subscriber missed are found
// in the simulator's record afterwards.
func runSubmitPost(ctx context.Context, e env, cfg submitPostConfig) (*submitPostResult, error) {
	w, err := startWorld(ctx, e, worldOpts{chats: cfg.chats, usersPerChat: cfg.users, rateLimits: cfg.rateLimits})
	if err != nil {
		return nil, err
	}
	defer w.close()
	s := w.newSender(64)
	defer s.close()

	t := tag{kind: "submitpost"}
	forms, err := createForms(ctx, w, s, t, cfg.submits, cfg.formWait)
	if err != nil {
		return nil, err
	}
	reqs := make([]prepared, len(forms))
	for i, f := range forms {
		value, ok := feishusim.ButtonValue(f.Card, "submit_btn")
		if !ok {
			return nil, fmt.Errorf("form %d has no submit button", i)
		}
		if reqs[i], err = w.prep.click(feishusim.ActionOpts{
			OperatorOpenID: f.OpenID, ChatID: f.ChatID, MessageID: f.MessageID, Value: value,
			FormValue: map[string]any{"title": t.title(i)}, Name: "submit_btn", Tag: "button",
		}); err != nil {
			return nil, err
		}
	}

	posts := watchPosts(w.sim, t, len(forms))
	answered := make([]time.Time, len(forms))
	res := &submitPostResult{Submits: len(forms), Rate: cfg.rate, RateLimits: cfg.rateLimits}
	var mu sync.Mutex
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(cfg.rate)
	start := time.Now()
	for i := range reqs {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		wg.Go(func() {
			status, body, err := s.send(ctx, w.card, reqs[i], true)
			now := time.Now()
			if err == nil {
				err = checkAnswer(status, body, "submit")
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if res.FirstError == "" {
					res.FirstError = err.Error()
				}
				return
			}
			answered[i] = now
			res.Answered++
		})
	}
	wg.Wait()

	got := posts.wait(ctx, res.Answered, cfg.wait)
	// The subscriber drops calls when it falls behind; the record has them all.
	for _, c := range w.sim.Calls() {
		if i := postIndex(c, t, len(forms)); i >= 0 && got[i].IsZero() {
			got[i] = c.Time
		}
	}
	var lats []time.Duration
	for i, at := range got {
		if !at.IsZero() {
			res.Posted++
		}
		if !at.IsZero() && !answered[i].IsZero() {
			lats = append(lats, at.Sub(answered[i]))
		}
	}
	res.Latency = summarize(lats)
	res.Memory, res.MemoryError = w.memory()
	return res, nil
}

// postIndex is the form index of a successful, first-time group post, or -1.
func postIndex(c feishusim.Call, t tag, n int) int {
	if c.Method != http.MethodPost || c.Path != messagesPath || c.Status != http.StatusOK || c.Code != 0 || c.Duplicate {
		return -1
	}
	if i := t.index(c.Body); i >= 0 && i < n {
		return i
	}
	return -1
}

// postWatch records when the simulator received each group post.
type postWatch struct {
	mu     sync.Mutex
	at     []time.Time
	count  int
	cancel func()
	done   chan struct{}
}

func watchPosts(sim *feishusim.Server, t tag, n int) *postWatch {
	ch, cancel := sim.Subscribe()
	pw := &postWatch{at: make([]time.Time, n), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(pw.done)
		for c := range ch {
			if i := postIndex(c, t, n); i >= 0 {
				pw.mu.Lock()
				if pw.at[i].IsZero() {
					pw.at[i] = c.Time
					pw.count++
				}
				pw.mu.Unlock()
			}
		}
	}()
	return pw
}

// wait returns the arrival times once want posts arrived or limit passed,
// and stops watching.
func (pw *postWatch) wait(ctx context.Context, want int, limit time.Duration) []time.Time {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		pw.mu.Lock()
		n := pw.count
		pw.mu.Unlock()
		if n >= want {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	pw.cancel()
	<-pw.done
	return pw.at
}
