package remind

import (
	"time"

	"github.com/botd/botd/internal/flows"
)

// nextOccurrence returns the first occurrence of a series strictly after
// after, or false for a one-off. Occurrences keep the wall-clock time of
// first in loc, whatever the UTC offset that day: a daily 09:00 reminder in
// New York is at 09:00 EST in winter and 09:00 EDT in summer. Days are
// counted with time.Date, so month and year ends need no special case.
//
// A wall-clock time that does not exist on a spring-forward day (02:30 in
// New York on the second Sunday of March) moves forward by the length of
// the gap: it fires at 03:30 local that day, and at 02:30 again on the
// next. time.Date alone would move it back (to 01:30 EST: it applies the
// offset after the gap), and firing before the time asked for is the worse
// mistake, so wallTime corrects it. A time that exists twice on a
// fall-back day fires once, at the first of the two, as time.Date picks.
//
// Passing the current time as after skips every occurrence already missed,
// so a long outage ends in one late firing, not a burst.
func nextOccurrence(first time.Time, repeat Repeat, loc *time.Location, after time.Time) (time.Time, bool) {
	if repeat == RepeatOnce || repeat == "" {
		return time.Time{}, false
	}
	wall := first.In(loc)
	start := after.In(loc)
	if wall.After(after) {
		start = wall
	}
	y, m, d := start.Date()
	// Eight days cover every rule: weekly needs seven, and a candidate on
	// the start day may already be past.
	for i := 0; i <= 8; i++ {
		t := flows.WallTime(y, m, d+i, wall.Hour(), wall.Minute(), loc)
		if !t.After(after) || t.Before(first) {
			continue
		}
		if repeats(repeat, wall.Weekday(), t.Weekday()) {
			return t.UTC(), true
		}
	}
	return time.Time{}, false // unknown repeat
}

// repeats reports whether a series of repeat whose first occurrence fell
// on firstDay has an occurrence on day.
func repeats(repeat Repeat, firstDay, day time.Weekday) bool {
	switch repeat {
	case RepeatDaily:
		return true
	case RepeatWeekdays:
		return day != time.Saturday && day != time.Sunday
	case RepeatWeekly:
		return day == firstDay
	}
	return false
}
