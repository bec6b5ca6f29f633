package playground

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"go.uber.org/zap"
)

// heartbeat keeps idle event streams open through proxies and lets a
// closed tab be noticed.
const heartbeat = 15 * time.Second

// handleEvents streams the chat live (Server-Sent Events):
//
//	event: reset   the stream (re)started; forget the calls shown so far
//	event: call    one Open API call botd made (feishusim.Call)
//	event: state   every member's view (View), whenever it changed
//
// It wakes on every call the simulator records and on every change of the
// platform's own state (typed messages, replaced cards, the clock), and
// sends what is new. The calls are re-read from the simulator's log rather
// than taken from the subscription, which may drop calls for a slow reader.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	calls, unsubscribe := s.sim.Subscribe()
	defer unsubscribe()
	changes, stop := s.changes.subscribe()
	defer stop()
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()

	st := &stream{w: w}
	st.event("reset", struct{}{})
	for {
		s.sendNew(st)
		if st.err == nil {
			st.err = rc.Flush()
		}
		if st.err != nil {
			s.log.Debug("event stream closed", zap.Error(st.err))
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-s.closed:
			return
		case <-calls:
			drain(calls) // one update for a burst of calls
		case <-changes:
		case <-tick.C:
			_, st.err = io.WriteString(w, ": ping\n\n")
		}
	}
}

// stream is one client's event stream and what it has been sent.
type stream struct {
	w        io.Writer
	lastCall int64
	lastView []byte
	err      error
}

func (st *stream) event(name string, v any) {
	if st.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		st.err = fmt.Errorf("encode %s event: %w", name, err)
		return
	}
	_, st.err = fmt.Fprintf(st.w, "event: %s\ndata: %s\n\n", name, b)
}

// sendNew sends the calls the client has not seen, then the view if it
// changed. The view's time is left out of the comparison: the page keeps
// its own clock from the offset.
func (s *Server) sendNew(st *stream) {
	for _, c := range s.sim.Calls() {
		if c.Seq > st.lastCall {
			st.event("call", c)
			st.lastCall = c.Seq
		}
	}
	v := s.view()
	now := v.Now
	v.Now = time.Time{}
	b, err := json.Marshal(v)
	if err != nil {
		st.err = fmt.Errorf("encode view: %w", err)
		return
	}
	if bytes.Equal(b, st.lastView) {
		return
	}
	st.lastView = b
	v.Now = now
	st.event("state", v)
}

func drain[T any](ch <-chan T) {
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		default:
			return
		}
	}
}
