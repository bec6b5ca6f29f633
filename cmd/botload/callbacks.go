package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/botd/botd/internal/feishusim"
)

// callbacksConfig is the callbacks benchmark's shape (see the -h text).
type callbacksConfig struct {
	rate         int // callbacks per second, open loop
	duration     time.Duration
	chats, users int
	reserve      int // forms kept pending for the validation-failing submits
	formWait     time.Duration
	maxInFlight  int
}

// The mix, in turn: a valid submit and a cancel each use up a form (the
// interaction moves on and a finish or cancel job runs in the background, as
// in production); a submit with a blank title fails validation, is answered
// with the form re-rendered, and can be repeated on the same form.
var callbackKinds = []string{"submit", "cancel", "invalid"}

type callbacksResult struct {
	Rate       int                `json:"rate"`
	Seconds    float64            `json:"seconds"`
	Fired      int                `json:"fired"`
	Achieved   float64            `json:"achieved_per_second"`
	OK         int                `json:"ok"`      // 200, JSON, the expected toast
	Bad        int                `json:"bad"`     // anything else
	Skipped    int                `json:"skipped"` // not sent: too many in flight
	Latency    summary            `json:"latency"` // from the scheduled send time
	ByKind     map[string]summary `json:"by_kind"`
	FirstError string             `json:"first_error,omitempty"`
	// Memory is botd's resident set once the last callback was answered.
	Memory      *memory `json:"botd_memory,omitempty"`
	MemoryError string  `json:"botd_memory_error,omitempty"`
}

// runCallbacks pre-creates forms, prepares every callback, then fires them at
// a fixed rate regardless of how fast botd answers (open loop). Latency is
// measured from each callback's scheduled time, not from when it was
// actually sent, so a generator that falls behind shows up in the figures
// instead of hiding botd's slowness (coordinated omission).
func runCallbacks(ctx context.Context, e env, cfg callbacksConfig) (*callbacksResult, error) {
	w, err := startWorld(ctx, e, worldOpts{chats: cfg.chats, usersPerChat: cfg.users, rateLimits: "off"})
	if err != nil {
		return nil, err
	}
	defer w.close()
	s := w.newSender(cfg.maxInFlight)
	defer s.close()

	n := int(float64(cfg.rate) * cfg.duration.Seconds())
	consumable := (n*2 + 2) / 3 // submits and cancels each use a form
	t := tag{kind: "callback"}
	forms, err := createForms(ctx, w, s, t, consumable+cfg.reserve, cfg.formWait)
	if err != nil {
		return nil, err
	}
	reqs, kinds, err := prepareCallbacks(w, t, forms, consumable, n)
	if err != nil {
		return nil, err
	}
	// No sim.Reset here: botd deletes these forms after a submit or cancel,
	// and the simulator must still know them.

	type outcome struct {
		lat time.Duration
		ok  bool
		err string
	}
	outcomes := make([]outcome, n)
	fired := make([]bool, n)
	sem := make(chan struct{}, cfg.maxInFlight)
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(cfg.rate)
	start := time.Now().Add(20 * time.Millisecond)
	for i := range n {
		at := start.Add(time.Duration(i) * interval)
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		if ctx.Err() != nil {
			break
		}
		select {
		case sem <- struct{}{}:
		default:
			continue // counted as skipped: the generator cannot keep the rate
		}
		fired[i] = true
		wg.Go(func() {
			defer func() { <-sem }()
			status, body, err := s.send(ctx, w.card, reqs[i], true)
			o := outcome{lat: time.Since(at)}
			if err == nil {
				err = checkAnswer(status, body, kinds[i])
			}
			o.ok = err == nil
			if err != nil {
				o.err = err.Error()
			}
			outcomes[i] = o
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	res := &callbacksResult{Rate: cfg.rate, Seconds: elapsed.Seconds(), ByKind: map[string]summary{}}
	res.Memory, res.MemoryError = w.memory()
	all := make([]time.Duration, 0, n)
	byKind := map[string][]time.Duration{}
	for i, o := range outcomes {
		if !fired[i] {
			res.Skipped++
			continue
		}
		res.Fired++
		all = append(all, o.lat)
		byKind[kinds[i]] = append(byKind[kinds[i]], o.lat)
		if o.ok {
			res.OK++
		} else {
			res.Bad++
			if res.FirstError == "" {
				res.FirstError = o.err
			}
		}
	}
	res.Achieved = float64(res.Fired) / elapsed.Seconds()
	res.Latency = summarize(all)
	for k, ds := range byKind {
		res.ByKind[k] = summarize(ds)
	}
	return res, nil
}

// prepareCallbacks builds callback i of kind callbackKinds[i%3]: submits and
// cancels on forms[0:consumable] in order, invalid submits on the reserved
// forms after them, round robin.
func prepareCallbacks(w *world, t tag, forms []feishusim.Ephemeral, consumable, n int) ([]prepared, []string, error) {
	reqs, kinds := make([]prepared, n), make([]string, n)
	nextForm, reserve := 0, forms[consumable:]
	for i := range n {
		kind := callbackKinds[i%len(callbackKinds)]
		var f feishusim.Ephemeral
		var fi int
		button, values := "submit_btn", map[string]any(nil)
		switch kind {
		case "invalid":
			fi = consumable + i%len(reserve)
			f = forms[fi]
			values = map[string]any{"title": "   ", "notes": "kept on the re-rendered form"}
		default:
			fi = nextForm
			f = forms[fi]
			nextForm++
			if kind == "cancel" {
				button = "cancel_btn"
			} else {
				values = map[string]any{"title": t.title(fi), "notes": "from botload"}
			}
		}
		value, ok := feishusim.ButtonValue(f.Card, button)
		if !ok {
			return nil, nil, fmt.Errorf("form %d has no %s button", fi, button)
		}
		p, err := w.prep.click(feishusim.ActionOpts{
			OperatorOpenID: f.OpenID, ChatID: f.ChatID, MessageID: f.MessageID,
			Value: value, FormValue: values, Name: button, Tag: "button",
		})
		if err != nil {
			return nil, nil, err
		}
		reqs[i], kinds[i] = p, kind
	}
	return reqs, kinds, nil
}

// checkAnswer wants what the platform wants (HTTP 200 with a JSON body) and
// the toast botd should show: success for a submit, error for an invalid one.
func checkAnswer(status int, body []byte, kind string) error {
	if status != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d: %.200s", kind, status, body)
	}
	var a struct {
		Toast *struct {
			Type string `json:"type"`
		} `json:"toast"`
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return fmt.Errorf("%s: answer is not JSON: %.200s", kind, body)
	}
	want := map[string]string{"submit": "success", "invalid": "error"}[kind]
	if want != "" && (a.Toast == nil || a.Toast.Type != want) {
		return fmt.Errorf("%s: want a %s toast, got %.200s", kind, want, body)
	}
	return nil
}
