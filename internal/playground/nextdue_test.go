package playground

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

// dueAt is a due set holding one moment (or nothing, or failing).
type dueAt struct {
	at  time.Time
	ok  bool
	err error
}

func (d dueAt) NextDue(context.Context) (time.Time, bool, error) { return d.at, d.ok, d.err }

func TestNextDueMovesTheClockExactlyToTheNextScheduledMoment(t *testing.T) {
	pg, srv := testPlayground(t)
	var st clockState
	if code := post(t, srv, "/api/clock/next-due", struct{}{}, &st); code != http.StatusNotImplemented {
		t.Fatalf("without a due reader: %d, want 501", code)
	}
	start := pg.clock.Now()
	due := start.Add(26*time.Hour + 17*time.Minute).Truncate(time.Millisecond)
	tests := []struct {
		name   string
		due    DueReader
		status int
	}{
		{"nothing scheduled", dueAt{}, http.StatusConflict},
		{"redis fails", dueAt{err: errors.New("boom")}, http.StatusBadGateway},
		{"too far", dueAt{at: start.Add(maxAdvance + time.Hour), ok: true}, http.StatusConflict},
		{"scheduled", dueAt{at: due, ok: true}, http.StatusOK},
		{"already due", dueAt{at: due.Add(-time.Minute), ok: true}, http.StatusOK},
	}
	for _, tt := range tests {
		pg.due = tt.due
		if code := post(t, srv, "/api/clock/next-due", struct{}{}, &st); code != tt.status {
			t.Fatalf("%s: %d, want %d", tt.name, code, tt.status)
		}
		now := pg.clock.Now()
		if tt.status != http.StatusOK && now.Sub(start) > time.Minute {
			t.Fatalf("%s moved the clock to %v", tt.name, now)
		}
		// On time: at the due moment (plus the test's own running time),
		// not past it by a day as "+1 day" would be.
		if tt.status == http.StatusOK && (now.Before(due) || now.Sub(due) > time.Minute) {
			t.Fatalf("%s: clock at %v, want just at %v", tt.name, now, due)
		}
	}
}
