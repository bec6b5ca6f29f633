package flows

import (
	"fmt"
	"time"
)

// Times on group cards are read by members in other zones too, so the
// moment a reminder is due carries its UTC offset; times of actions (done
// at, cancelled at) are short and in the record's zone.

var zhWeekdays = [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

// fmtWhen is a due time: "Fri 2024-11-15 09:00 UTC+08:00", "2024-11-15 周五 09:00 UTC+08:00".
func fmtWhen(t time.Time, loc *time.Location, locale string) string {
	t = t.In(loc)
	_, off := t.Zone()
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	zone := fmt.Sprintf("UTC%s%02d:%02d", sign, off/3600, off%3600/60)
	if locale == LocaleZhCN {
		return t.Format("2006-01-02 ") + zhWeekdays[t.Weekday()] + t.Format(" 15:04 ") + zone
	}
	return t.Format("Mon 2006-01-02 15:04 ") + zone
}

// fmtStamp is when something happened: "2024-11-15 09:42".
func fmtStamp(t time.Time, loc *time.Location) string { return t.In(loc).Format("2006-01-02 15:04") }

// fmtClock is a time of day: "09:42".
func fmtClock(t time.Time, loc *time.Location) string { return t.In(loc).Format("15:04") }

// zoneOrDefault loads an IANA zone name, falling back to the engine's default.
func (e *Engine) zoneOrDefault(name string) *time.Location {
	if name != "" {
		if loc, err := time.LoadLocation(name); err == nil {
			return loc
		}
	}
	return e.deps.DefaultTimezone
}
