package main

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// loopResult is what one closed-loop round observed.
type loopResult struct {
	requests  int             // answered or failed
	errors    int             // transport errors and non-200 answers
	acked     []bool          // acked[i]: reqs[i] was answered 200 (not in cyclic mode)
	latencies []time.Duration // of every request, failed ones included
	elapsed   time.Duration   // from the start until the last request finished
	exhausted bool            // the prepared requests ran out before the deadline
}

// closedLoop runs workers that each send one request, wait for its answer
// and send the next, until d has passed. Requests are taken from reqs in
// order; cyclic reuses them (for the bare handler, which ignores the
// content), otherwise the round ends early when they run out, so that botd
// never sees a repeated event_id.
func closedLoop(ctx context.Context, s *sender, u *url.URL, reqs []prepared, cyclic bool, workers int, d time.Duration) loopResult {
	res := loopResult{}
	if !cyclic {
		res.acked = make([]bool, len(reqs)) // each index is written by one worker only
	}
	rec := newRecorder(workers, int(d.Seconds())*2000)
	var next atomic.Int64
	var errs atomic.Int64
	var exhausted atomic.Bool
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for wk := range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if !cyclic && i >= len(reqs) {
					exhausted.Store(true)
					return
				}
				t0 := time.Now()
				if !t0.Before(deadline) {
					return
				}
				status, _, err := s.send(ctx, u, reqs[i%len(reqs)], false)
				rec.add(wk, time.Since(t0))
				switch {
				case err != nil || status != http.StatusOK:
					errs.Add(1)
				case !cyclic:
					res.acked[i] = true
				}
			}
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.latencies = rec.merge()
	res.requests = len(res.latencies)
	res.errors = int(errs.Load())
	res.exhausted = exhausted.Load()
	return res
}
