package playground

import (
	"context"
	"net/http"
	"time"

	"go.uber.org/zap"
)

// DueReader reads botd's due set (the scheduled reminders and jobs): the
// earliest moment anything is scheduled for, ok false when nothing is.
// cmd/botd wires it to the app's Redis; without it the page offers no
// "next due" button.
type DueReader interface {
	NextDue(ctx context.Context) (at time.Time, ok bool, err error)
}

// dueTimeout bounds the read of the due set, so a stuck Redis cannot hold
// the page's request open.
const dueTimeout = 5 * time.Second

// handleNextDue moves the clock exactly to the next scheduled moment, so a
// reminder fires on time rather than late, as "+1 day" would make it.
func (s *Server) handleNextDue(w http.ResponseWriter, r *http.Request) {
	if s.due == nil {
		writeError(w, http.StatusNotImplemented, "this botd does not expose its due set to the playground")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), dueTimeout)
	defer cancel()
	at, ok, err := s.due.NextDue(ctx)
	if err != nil {
		s.log.Warn("cannot read the due set", zap.Error(err))
		writeError(w, http.StatusBadGateway, "cannot read botd's due set: %v", err)
		return
	}
	if !ok {
		writeError(w, http.StatusConflict, "nothing is scheduled")
		return
	}
	d := at.Sub(s.clock.Now())
	if d <= 0 {
		// Already due: botd's scheduler picks it up on its own.
		writeJSON(w, http.StatusOK, s.clockState())
		return
	}
	if d > maxAdvance {
		writeError(w, http.StatusConflict, "the next due moment (%s) is more than %v ahead", at.Format(time.RFC3339), maxAdvance)
		return
	}
	s.clock.Advance(d)
	s.log.Info("clock fast-forwarded to the next due moment", zap.Time("due", at), zap.Duration("offset", s.clock.Elapsed()))
	s.changes.notify()
	writeJSON(w, http.StatusOK, s.clockState())
}
