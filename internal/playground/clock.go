package playground

import (
	"net/http"
	"time"

	"go.uber.org/zap"
)

// clockState is the simulated time the page shows.
type clockState struct {
	Now      time.Time `json:"now"`
	OffsetMS int64     `json:"offset_ms"` // how far the clock has been moved forward
}

func (s *Server) clockState() clockState {
	return clockState{Now: s.clock.Now(), OffsetMS: s.clock.Elapsed().Milliseconds()}
}

func (s *Server) handleClock(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.clockState())
}

// advanceRequest moves the clock either by a duration ("1h", "24h30m") or
// to a moment (RFC 3339). Exactly one is set.
type advanceRequest struct {
	By string `json:"by,omitempty"`
	To string `json:"to,omitempty"`
}

// maxAdvance keeps a typo from throwing the clock years ahead, past token
// and card lifetimes nobody meant to test.
const maxAdvance = 366 * 24 * time.Hour

// handleAdvance fast-forwards the clock botd and the simulator share, so
// that what is scheduled (a reminder for tomorrow) happens now. The clock
// never goes back: botd's stored times would then lie in the future.
func (s *Server) handleAdvance(w http.ResponseWriter, r *http.Request) {
	var req advanceRequest
	if !readJSON(w, r, &req) {
		return
	}
	var d time.Duration
	switch {
	case req.By != "" && req.To == "":
		var err error
		if d, err = time.ParseDuration(req.By); err != nil {
			writeError(w, http.StatusBadRequest, "by: %v", err)
			return
		}
	case req.To != "" && req.By == "":
		to, err := time.Parse(time.RFC3339, req.To)
		if err != nil {
			writeError(w, http.StatusBadRequest, "to: want RFC 3339 (2006-01-02T15:04:05+08:00): %v", err)
			return
		}
		d = to.Sub(s.clock.Now())
	default:
		writeError(w, http.StatusBadRequest, `set one of "by" (a duration) or "to" (a time)`)
		return
	}
	if d <= 0 {
		writeError(w, http.StatusBadRequest, "the clock only moves forward")
		return
	}
	if d > maxAdvance {
		writeError(w, http.StatusBadRequest, "at most %v at a time", maxAdvance)
		return
	}
	s.clock.Advance(d)
	s.log.Info("clock fast-forwarded", zap.Duration("by", d), zap.Duration("offset", s.clock.Elapsed()))
	s.changes.notify()
	writeJSON(w, http.StatusOK, s.clockState())
}
