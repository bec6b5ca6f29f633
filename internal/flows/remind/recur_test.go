package remind

import (
	"testing"
	"time"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("zone %s: %v", name, err)
	}
	return loc
}

// TestNextOccurrence checks the recurrence rules as tables: month and year
// ends, a zone without daylight saving (Asia/Shanghai) and two with it, on
// both sides of each change, and the skipping of missed occurrences.
func TestNextOccurrence(t *testing.T) {
	sh := mustZone(t, "Asia/Shanghai")
	ny := mustZone(t, "America/New_York")
	be := mustZone(t, "Europe/Berlin")
	at := func(loc *time.Location, y int, m time.Month, d, h, min int) time.Time {
		return time.Date(y, m, d, h, min, 0, 0, loc)
	}
	tests := []struct {
		name   string
		loc    *time.Location
		first  time.Time
		repeat Repeat
		after  time.Time
		want   time.Time // zero: none
	}{
		{"once has no next", sh, at(sh, 2024, 11, 15, 9, 0), RepeatOnce, at(sh, 2024, 11, 15, 9, 0), time.Time{}},
		{"daily, next day", sh, at(sh, 2024, 11, 15, 9, 0), RepeatDaily, at(sh, 2024, 11, 15, 9, 0), at(sh, 2024, 11, 16, 9, 0)},
		{"daily, before the first", sh, at(sh, 2024, 11, 15, 9, 0), RepeatDaily, at(sh, 2024, 11, 1, 12, 0), at(sh, 2024, 11, 15, 9, 0)},
		{"daily across a month end", sh, at(sh, 2024, 1, 31, 9, 0), RepeatDaily, at(sh, 2024, 1, 31, 9, 0), at(sh, 2024, 2, 1, 9, 0)},
		{"daily across Feb 29", sh, at(sh, 2024, 2, 28, 9, 0), RepeatDaily, at(sh, 2024, 2, 28, 9, 0), at(sh, 2024, 2, 29, 9, 0)},
		{"daily across a year end", sh, at(sh, 2024, 12, 31, 23, 30), RepeatDaily, at(sh, 2024, 12, 31, 23, 30), at(sh, 2025, 1, 1, 23, 30)},
		{"daily skips missed days", sh, at(sh, 2024, 11, 1, 9, 0), RepeatDaily, at(sh, 2024, 11, 14, 16, 0), at(sh, 2024, 11, 15, 9, 0)},
		{"daily, later the same day", sh, at(sh, 2024, 11, 1, 9, 0), RepeatDaily, at(sh, 2024, 11, 14, 8, 0), at(sh, 2024, 11, 14, 9, 0)},
		{"weekdays, Friday to Monday", sh, at(sh, 2024, 11, 15, 9, 0), RepeatWeekdays, at(sh, 2024, 11, 15, 9, 0), at(sh, 2024, 11, 18, 9, 0)},
		{"weekdays, Saturday to Monday", sh, at(sh, 2024, 11, 11, 9, 0), RepeatWeekdays, at(sh, 2024, 11, 16, 12, 0), at(sh, 2024, 11, 18, 9, 0)},
		{"weekdays, Thursday to Friday", sh, at(sh, 2024, 11, 11, 9, 0), RepeatWeekdays, at(sh, 2024, 11, 14, 9, 0), at(sh, 2024, 11, 15, 9, 0)},
		{"weekdays across a month end", sh, at(sh, 2024, 5, 1, 9, 0), RepeatWeekdays, at(sh, 2024, 5, 31, 9, 0), at(sh, 2024, 6, 3, 9, 0)},
		{"weekly, same weekday", sh, at(sh, 2024, 11, 15, 17, 0), RepeatWeekly, at(sh, 2024, 11, 15, 17, 0), at(sh, 2024, 11, 22, 17, 0)},
		{"weekly across a month end", sh, at(sh, 2024, 1, 29, 10, 0), RepeatWeekly, at(sh, 2024, 1, 29, 10, 0), at(sh, 2024, 2, 5, 10, 0)},
		{"weekly skips missed weeks", sh, at(sh, 2024, 1, 1, 10, 0), RepeatWeekly, at(sh, 2024, 3, 5, 0, 0), at(sh, 2024, 3, 11, 10, 0)},
		// New York: spring forward on 2024-03-10 at 02:00, fall back on 2024-11-03 at 02:00.
		{"NY daily keeps 09:00 across spring forward", ny, at(ny, 2024, 3, 9, 9, 0), RepeatDaily, at(ny, 2024, 3, 9, 9, 0), at(ny, 2024, 3, 10, 9, 0)},
		{"NY daily keeps 09:00 across fall back", ny, at(ny, 2024, 11, 2, 9, 0), RepeatDaily, at(ny, 2024, 11, 2, 9, 0), at(ny, 2024, 11, 3, 9, 0)},
		{"NY weekly keeps 09:00 across spring forward", ny, at(ny, 2024, 3, 4, 9, 0), RepeatWeekly, at(ny, 2024, 3, 4, 9, 0), at(ny, 2024, 3, 11, 9, 0)},
		{"NY 02:30 in the gap moves forward to 03:30", ny, at(ny, 2024, 3, 9, 2, 30), RepeatDaily, at(ny, 2024, 3, 9, 2, 30),
			time.Date(2024, 3, 10, 7, 30, 0, 0, time.UTC)},
		{"NY 02:30 the day after the gap", ny, at(ny, 2024, 3, 9, 2, 30), RepeatDaily, time.Date(2024, 3, 10, 7, 30, 0, 0, time.UTC), at(ny, 2024, 3, 11, 2, 30)},
		{"NY 01:30 on fall back fires at the first", ny, at(ny, 2024, 11, 2, 1, 30), RepeatDaily, at(ny, 2024, 11, 2, 1, 30),
			time.Date(2024, 11, 3, 5, 30, 0, 0, time.UTC)},
		{"NY 01:30 after fall back, the next day", ny, at(ny, 2024, 11, 2, 1, 30), RepeatDaily, time.Date(2024, 11, 3, 5, 30, 0, 0, time.UTC),
			at(ny, 2024, 11, 4, 1, 30)},
		// Berlin: spring forward on 2024-03-31 at 02:00, fall back on 2024-10-27 at 03:00.
		{"Berlin daily 09:00 across spring forward", be, at(be, 2024, 3, 30, 9, 0), RepeatDaily, at(be, 2024, 3, 30, 9, 0), at(be, 2024, 3, 31, 9, 0)},
		{"Berlin daily 09:00 across fall back", be, at(be, 2024, 10, 26, 9, 0), RepeatDaily, at(be, 2024, 10, 26, 9, 0), at(be, 2024, 10, 27, 9, 0)},
		{"Berlin 02:15 in the gap moves to 03:15", be, at(be, 2024, 3, 30, 2, 15), RepeatDaily, at(be, 2024, 3, 30, 2, 15),
			time.Date(2024, 3, 31, 1, 15, 0, 0, time.UTC)},
		{"Berlin weekdays across spring forward", be, at(be, 2024, 3, 29, 8, 0), RepeatWeekdays, at(be, 2024, 3, 29, 8, 0), at(be, 2024, 4, 1, 8, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := nextOccurrence(tt.first.UTC(), tt.repeat, tt.loc, tt.after)
			if ok != !tt.want.IsZero() {
				t.Fatalf("ok = %v, want %v (got %s)", ok, !tt.want.IsZero(), got)
			}
			if ok && !got.Equal(tt.want) {
				t.Errorf("next = %s (%s), want %s", got.In(tt.loc), got, tt.want.In(tt.loc))
			}
			if ok && got.Location() != time.UTC {
				t.Errorf("next is in %s, want UTC", got.Location())
			}
		})
	}
}
