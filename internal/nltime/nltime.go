// Package nltime reads the time expression at the start of a chat command,
// in English and Chinese: "tomorrow 9:00 standup", "in 30m stretch",
// "明天 9点 站会", "fri 17:00 send report", "下午3点半 开会".
//
// It is deliberately small: it understands the forms people type after
// /remind and nothing else, because whatever it reads only prefills a form
// that the user confirms or corrects. A miss costs a click, a wrong guess
// costs trust, so anything ambiguous (a bare "3") is left as text.
//
// No library fitted: the maintained Go parsers either have no Chinese rules
// or find expressions anywhere in a sentence, where botd wants the leading
// words only, so that the rest is the reminder's text.
package nltime

import (
	"strings"
	"time"
	"unicode"
)

// DefaultHour is the time of day given to a date without a time ("tomorrow
// standup" is at 09:00).
const DefaultHour = 9

// eveningHour is the time of "tonight" without a time.
const eveningHour = 20

// Result is what Parse understood.
type Result struct {
	// At is the instant meant, in the location of the now passed to Parse,
	// to the minute (seconds of a relative time are kept).
	At time.Time
	// HasDate and HasTime say which parts the text gave; the other part
	// was defaulted (today or tomorrow; DefaultHour).
	HasDate, HasTime bool
	// Rest is the text after the time expression, trimmed.
	Rest string
}

// expr accumulates what the rules read.
type expr struct {
	relative  time.Duration // "in 30m", "30分钟后"
	days      int           // offset in days from today
	hasDay    bool
	weekday   time.Weekday
	weekShift int // 0: the next such day; 1: that day of next week ("下周五")
	hasWeek   bool
	date      time.Time // an explicit calendar date
	hasDate   bool
	hour, min int
	hasTime   bool
	pm        bool // a time hint that moves 1–11 o'clock to the afternoon
}

// Parse reads the time expression at the start of text, relative to now
// (whose location is the user's zone). ok is false when the text does not
// start with one; Rest is then the whole text.
func Parse(text string, now time.Time) (r Result, ok bool) {
	var e expr
	rest := strings.TrimSpace(text)
	matched := false
	for {
		n := e.step(rest)
		if n == 0 {
			break
		}
		matched = true
		rest = strings.TrimLeftFunc(rest[n:], isFiller)
	}
	if !matched {
		return Result{Rest: strings.TrimSpace(text)}, false
	}
	at, ok := e.resolve(now)
	if !ok {
		return Result{Rest: strings.TrimSpace(text)}, false
	}
	return Result{
		At:      at,
		HasDate: e.relative > 0 || e.hasDay || e.hasWeek || e.hasDate,
		HasTime: e.relative > 0 || e.hasTime,
		Rest:    strings.TrimFunc(rest, isFiller),
	}, true
}

// resolve turns what was read into an instant.
func (e *expr) resolve(now time.Time) (time.Time, bool) {
	if e.relative > 0 {
		if e.hasDay || e.hasWeek || e.hasDate || e.hasTime {
			return time.Time{}, false // "tomorrow in 30m" means nothing
		}
		return now.Add(e.relative).Truncate(time.Second), true
	}
	hour, min := DefaultHour, 0
	if e.pm {
		hour = eveningHour // "tonight", "明晚" without a time
	}
	if e.hasTime {
		hour, min = e.hour, e.min
		if e.pm && hour < 12 {
			hour += 12
		}
	}
	loc := now.Location()
	y, m, d := now.Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, loc)
	at := func(day time.Time) time.Time {
		return time.Date(day.Year(), day.Month(), day.Day(), hour, min, 0, 0, loc)
	}
	switch {
	case e.hasDate && e.date.Year() == 0:
		t := at(time.Date(y, e.date.Month(), e.date.Day(), 0, 0, 0, 0, loc))
		if t.Before(now) {
			t = at(time.Date(y+1, e.date.Month(), e.date.Day(), 0, 0, 0, 0, loc))
		}
		return t, true
	case e.hasDate:
		return at(e.date), true
	case e.hasDay:
		return at(today.AddDate(0, 0, e.days)), true
	case e.hasWeek:
		ahead := (int(e.weekday) - int(now.Weekday()) + 7) % 7
		if e.weekShift > 0 {
			// That day of next week, weeks starting on Monday.
			monday := (int(now.Weekday()) + 6) % 7
			wd := (int(e.weekday) + 6) % 7
			ahead = 7 - monday + wd
		} else if ahead == 0 && !at(today).After(now) {
			ahead = 7
		}
		return at(today.AddDate(0, 0, ahead)), true
	default: // a time alone: the next time the clock shows it
		t := at(today)
		if !t.After(now) {
			t = at(today.AddDate(0, 0, 1))
		}
		return t, true
	}
}

// isFiller is what separates the parts of an expression: spaces, commas
// and the little words "at", "on" are handled by the rules.
func isFiller(r rune) bool {
	return unicode.IsSpace(r) || strings.ContainsRune(",，、:：", r)
}
