package nltime

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// A rule reads one part of an expression at the start of the text. English
// rules end at a word boundary, so "tomorrowland" or "9ers" are text;
// Chinese needs none ("明天9点站会").
type rule struct {
	re    *regexp.Regexp
	apply func(e *expr, m []string) bool // false: not a valid reading after all
}

// step applies the first rule that matches the start of s and returns how
// many bytes it read, 0 when none did. A part already read (two dates, two
// times) stops the expression.
func (e *expr) step(s string) int {
	for _, r := range rules {
		m := r.re.FindStringSubmatch(s)
		if m == nil {
			continue
		}
		saved := *e
		if r.apply(e, m) {
			return len(m[0])
		}
		*e = saved
	}
	return 0
}

const (
	en  = `(?i)^`
	end = `(?:\b|$)`
	// cnNum is a number in digits or in Chinese up to twenty-four.
	cnNum = `(\d{1,2}|[零一二两三四五六七八九十]{1,3})`
)

var rules = []rule{
	// Relative: "in 30m", "in 2 hours", "in an hour", "in half an hour".
	{regexp.MustCompile(en + `in\s+(\d{1,4}|an?|half\s+an?)\s*(m|mins?|minutes?|h|hrs?|hours?|d|days?)` + end),
		func(e *expr, m []string) bool {
			n := 1.0
			switch q := strings.ToLower(m[1]); {
			case strings.HasPrefix(q, "half"):
				n = 0.5
			case q == "a" || q == "an":
			default:
				v, _ := strconv.Atoi(q)
				n = float64(v)
			}
			return e.setRelative(n, unitOf(strings.ToLower(m[2])))
		}},
	// Relative, Chinese: "30分钟后", "2小时后", "半小时后", "一天后".
	{regexp.MustCompile(`^(\d{1,4}|半|[一二两三四五六七八九十]{1,3})\s*(个)?\s*(分钟|小时|钟头|天)\s*(后|以后|之后)`),
		func(e *expr, m []string) bool {
			n := 0.5
			if m[1] != "半" {
				v, ok := number(m[1])
				if !ok {
					return false
				}
				n = float64(v)
			}
			return e.setRelative(n, unitOf(m[3]))
		}},
	// Days: "today", "tomorrow", "tmr", "the day after tomorrow".
	{regexp.MustCompile(en + `(today|tonight|tomorrow|tmrw?|the\s+day\s+after\s+tomorrow)` + end),
		func(e *expr, m []string) bool {
			w := strings.ToLower(m[1])
			switch {
			case w == "today":
				return e.setDays(0)
			case w == "tonight":
				e.pm = true
				return e.setDays(0)
			case strings.HasPrefix(w, "the"):
				return e.setDays(2)
			}
			return e.setDays(1)
		}},
	{regexp.MustCompile(`^(今天|今日|今晚|明天|明日|明早|明晚|后天|大后天)`),
		func(e *expr, m []string) bool {
			days := map[string]int{"今天": 0, "今日": 0, "今晚": 0, "明天": 1, "明日": 1, "明早": 1, "明晚": 1, "后天": 2, "大后天": 3}[m[1]]
			if strings.HasSuffix(m[1], "晚") {
				e.pm = true
			}
			return e.setDays(days)
		}},
	// Weekdays: "fri", "on friday", "next mon".
	{regexp.MustCompile(en + `(?:on\s+)?(next\s+)?(mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|sday|rsday|urday)?` + end),
		func(e *expr, m []string) bool {
			wd, ok := enWeekdays[strings.ToLower(m[2])]
			if !ok {
				return false
			}
			shift := 0
			if m[1] != "" {
				shift = 1
			}
			return e.setWeekday(wd, shift)
		}},
	// Weekdays, Chinese: "周五", "星期五", "礼拜天", "下周一", "下个星期三".
	{regexp.MustCompile(`^(下个?|这个?|本)?(周|星期|礼拜)([一二三四五六日天])`),
		func(e *expr, m []string) bool {
			shift := 0
			if strings.HasPrefix(m[1], "下") {
				shift = 1
			}
			return e.setWeekday(cnWeekdays[m[3]], shift)
		}},
	// Dates: "2024-11-15", "11月15日", "11月15号".
	{regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})` + end),
		func(e *expr, m []string) bool { return e.setDate(atoi(m[1]), atoi(m[2]), atoi(m[3])) }},
	{regexp.MustCompile(`^(\d{1,2})月(\d{1,2})[日号]`),
		func(e *expr, m []string) bool { return e.setDate(0, atoi(m[1]), atoi(m[2])) }},
	// Times: "17:00", "9:30pm", "5pm", "at 9", "@ 9am".
	{regexp.MustCompile(en + `(?:(?:at|@)\s*)?(\d{1,2}):(\d{2})\s*(am|pm|a\.m\.|p\.m\.)?` + end),
		func(e *expr, m []string) bool { return e.setClock(atoi(m[1]), atoi(m[2]), m[3]) }},
	{regexp.MustCompile(en + `(?:(?:at|@)\s*)?(\d{1,2})\s*(am|pm|a\.m\.|p\.m\.)` + end),
		func(e *expr, m []string) bool { return e.setClock(atoi(m[1]), 0, m[2]) }},
	{regexp.MustCompile(en + `(?:at|@)\s*(\d{1,2})` + end),
		func(e *expr, m []string) bool { return e.setClock(atoi(m[1]), 0, "") }},
	// Times, Chinese: "9点", "9点半", "9点30", "9点30分", "下午3点", "晚上8:30".
	{regexp.MustCompile(`^(上午|早上|早晨|早|凌晨|中午|下午|傍晚|晚上|晚)?\s*` + cnNum + `\s*(?:点|點|时)\s*(半|一刻|三刻|(\d{1,2}|[零一二三四五六七八九十]{1,3})\s*分?)?`),
		func(e *expr, m []string) bool {
			h, ok := number(m[2])
			if !ok {
				return false
			}
			min := 0
			switch {
			case m[3] == "半":
				min = 30
			case m[3] == "一刻":
				min = 15
			case m[3] == "三刻":
				min = 45
			case m[4] != "":
				if min, ok = number(m[4]); !ok {
					return false
				}
			}
			return e.setClockCN(m[1], h, min)
		}},
	{regexp.MustCompile(`^(上午|早上|早晨|早|凌晨|中午|下午|傍晚|晚上|晚)\s*(\d{1,2}):(\d{2})`),
		func(e *expr, m []string) bool { return e.setClockCN(m[1], atoi(m[2]), atoi(m[3])) }},
}

func (e *expr) setRelative(n float64, unit time.Duration) bool {
	if e.relative > 0 || unit == 0 || n <= 0 {
		return false
	}
	e.relative = time.Duration(n * float64(unit))
	return e.relative <= 366*24*time.Hour
}

func (e *expr) setDays(n int) bool {
	if e.hasDay || e.hasWeek || e.hasDate {
		return false
	}
	e.days, e.hasDay = n, true
	return true
}

func (e *expr) setWeekday(wd time.Weekday, shift int) bool {
	if e.hasDay || e.hasWeek || e.hasDate {
		return false
	}
	e.weekday, e.weekShift, e.hasWeek = wd, shift, true
	return true
}

// setDate takes a calendar date; year 0 means the next such date (this
// year's, or next year's once it has passed), which resolve decides.
func (e *expr) setDate(y, m, d int) bool {
	if e.hasDay || e.hasWeek || e.hasDate || m < 1 || m > 12 || d < 1 || d > 31 {
		return false
	}
	// Year 0 is a leap year, so 2月29日 without a year passes here.
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d { // 2月30日
		return false
	}
	e.date, e.hasDate = t, true
	return true
}

// setClock takes "9:30", "9pm": an am/pm suffix needs an hour of 1–12.
func (e *expr) setClock(h, min int, ampm string) bool {
	if e.hasTime || min > 59 {
		return false
	}
	switch strings.ToLower(strings.ReplaceAll(ampm, ".", "")) {
	case "am":
		if h < 1 || h > 12 {
			return false
		}
		h %= 12
	case "pm":
		if h < 1 || h > 12 {
			return false
		}
		h = h%12 + 12
	default:
		if h > 23 {
			return false
		}
	}
	e.hour, e.min, e.hasTime = h, min, true
	return true
}

// setClockCN takes "下午3点半": the period word moves the hour as people mean it.
func (e *expr) setClockCN(period string, h, min int) bool {
	if e.hasTime || h > 23 || min > 59 {
		return false
	}
	switch period {
	case "下午", "傍晚", "晚上", "晚":
		if h < 12 {
			h += 12
		}
	case "中午":
		if h < 6 {
			h += 12
		}
	case "凌晨", "上午", "早上", "早晨", "早":
		if h == 12 {
			h = 0
		}
	}
	e.hour, e.min, e.hasTime = h, min, true
	if period != "" {
		e.pm = false // the period word decided; "今晚8点" keeps the evening
	}
	return true
}

func unitOf(u string) time.Duration {
	switch {
	case u == "分钟" || strings.HasPrefix(u, "m"):
		return time.Minute
	case u == "小时" || u == "钟头" || strings.HasPrefix(u, "h"):
		return time.Hour
	case u == "天" || strings.HasPrefix(u, "d"):
		return 24 * time.Hour
	}
	return 0
}

var enWeekdays = map[string]time.Weekday{
	"mon": time.Monday, "tue": time.Tuesday, "tues": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "thur": time.Thursday, "thurs": time.Thursday, "fri": time.Friday,
	"sat": time.Saturday, "sun": time.Sunday,
}

var cnWeekdays = map[string]time.Weekday{
	"一": time.Monday, "二": time.Tuesday, "三": time.Wednesday, "四": time.Thursday,
	"五": time.Friday, "六": time.Saturday, "日": time.Sunday, "天": time.Sunday,
}

// number reads digits or a Chinese number from 零 to 九十九 ("十", "十二", "二十三", "两").
func number(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	if s[0] >= '0' && s[0] <= '9' {
		return atoi(s), true
	}
	digits := map[rune]int{'零': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}
	rs := []rune(s)
	n, tens := 0, false
	for i, r := range rs {
		switch {
		case r == '十':
			if tens {
				return 0, false
			}
			tens = true
			if i == 0 {
				n = 1
			}
			n *= 10
		default:
			d, ok := digits[r]
			if !ok {
				return 0, false
			}
			if tens {
				n += d
			} else {
				n = n*10 + d
			}
		}
	}
	return n, true
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
