package flows

import (
	"fmt"
	"time"
)

// FormatStamp is when something happened, with the UTC offset it is read
// in: "2024-11-15 09:42 UTC+08:00". Group cards are read by members in
// other zones, so a moment on them says which clock it is on.
func FormatStamp(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	return t.Format("2006-01-02 15:04 ") + UTCOffset(t)
}

// UTCOffset is t's offset from UTC in its own location: "UTC+08:00",
// "UTC-03:30", "UTC+00:00".
func UTCOffset(t time.Time) string {
	_, off := t.Zone()
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	return fmt.Sprintf("UTC%s%02d:%02d", sign, off/3600, off%3600/60)
}

// zoneOrDefault loads an IANA zone name, falling back to the engine's default.
func (e *Engine) zoneOrDefault(name string) *time.Location {
	if name != "" {
		if loc, err := time.LoadLocation(name); err == nil {
			return loc
		}
	}
	return e.deps.DefaultTimezone
}

// ZoneOf loads an IANA zone name, or UTC when it is empty or unknown: pure
// renders (Final) use it, where Host.Zone falls back to the default zone.
// Every name botd stores loads (tzdata.go), so both agree.
func ZoneOf(name string) *time.Location {
	if name != "" {
		if loc, err := time.LoadLocation(name); err == nil {
			return loc
		}
	}
	return time.UTC
}

// WallTime is time.Date(y, m, d, hour, min, 0, 0, loc), except that a time
// that falls in a gap (it does not exist that day) comes out after the gap,
// never before it: 02:30 on a spring-forward day is 03:30.
func WallTime(y int, m time.Month, d, hour, min int, loc *time.Location) time.Time {
	t := time.Date(y, m, d, hour, min, 0, 0, loc)
	got := t.In(loc)
	// Compare the wall clocks as naive times, so a gap at midnight that
	// moves the date is measured right too.
	want := time.Date(y, m, d, hour, min, 0, 0, time.UTC)
	have := time.Date(got.Year(), got.Month(), got.Day(), got.Hour(), got.Minute(), 0, 0, time.UTC)
	if diff := want.Sub(have); diff > 0 {
		return t.Add(diff)
	}
	return t
}
