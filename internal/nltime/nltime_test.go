package nltime

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	// Thursday 2024-11-14, 16:00 in Shanghai.
	now := time.Date(2024, 11, 14, 16, 0, 0, 0, sh)
	at := func(m time.Month, d, h, min int) time.Time { return time.Date(2024, m, d, h, min, 0, 0, sh) }
	tests := []struct {
		in       string
		want     time.Time
		rest     string
		date, tm bool
	}{
		// The forms of the issue.
		{"tomorrow 9:00 standup", at(11, 15, 9, 0), "standup", true, true},
		{"in 30m stretch", now.Add(30 * time.Minute), "stretch", true, true},
		{"明天 9点 站会", at(11, 15, 9, 0), "站会", true, true},
		{"fri 17:00 send report", at(11, 15, 17, 0), "send report", true, true},
		// English.
		{"Tomorrow at 9am standup", at(11, 15, 9, 0), "standup", true, true},
		{"tmr 5pm call mum", at(11, 15, 17, 0), "call mum", true, true},
		{"today 18:30 gym", at(11, 14, 18, 30), "gym", true, true},
		{"tonight 8 o'clock", at(11, 14, 20, 0), "8 o'clock", true, false}, // "8" alone is not a time
		{"tonight at 8 movie", at(11, 14, 20, 0), "movie", true, true},
		{"in 2 hours deploy", now.Add(2 * time.Hour), "deploy", true, true},
		{"in an hour tea", now.Add(time.Hour), "tea", true, true},
		{"in half an hour tea", now.Add(30 * time.Minute), "tea", true, true},
		{"in 3 days renew", now.Add(72 * time.Hour), "renew", true, true},
		{"on Monday review", at(11, 18, 9, 0), "review", true, false},
		{"thursday 15:00 too late today", at(11, 21, 15, 0), "too late today", true, true},
		{"thursday 17:00 still today", at(11, 14, 17, 0), "still today", true, true},
		{"next fri retro", at(11, 22, 9, 0), "retro", true, false},
		{"17:00 wrap up", at(11, 14, 17, 0), "wrap up", false, true},
		{"9:00 standup", at(11, 15, 9, 0), "standup", false, true},
		{"9:30pm, read", at(11, 14, 21, 30), "read", false, true},
		{"2024-12-01 pay rent", at(12, 1, 9, 0), "pay rent", true, false},
		{"2024-12-01 08:15 pay rent", at(12, 1, 8, 15), "pay rent", true, true},
		// Chinese.
		{"明天9点站会", at(11, 15, 9, 0), "站会", true, true},
		{"下午3点半 开会", at(11, 15, 15, 30), "开会", false, true}, // passed today
		{"下午5点半 开会", at(11, 14, 17, 30), "开会", false, true},
		{"明天下午三点 交报告", at(11, 15, 15, 0), "交报告", true, true},
		{"后天 晚上8:30 看电影", at(11, 16, 20, 30), "看电影", true, true},
		{"周五 17:00 发周报", at(11, 15, 17, 0), "发周报", true, true},
		{"下周一 10点 复盘", at(11, 18, 10, 0), "复盘", true, true},
		{"星期天 买菜", at(11, 17, 9, 0), "买菜", true, false},
		{"30分钟后 喝水", now.Add(30 * time.Minute), "喝水", true, true},
		{"半小时后，喝水", now.Add(30 * time.Minute), "喝水", true, true},
		{"两小时后 休息", now.Add(2 * time.Hour), "休息", true, true},
		{"12月1日 交房租", at(12, 1, 9, 0), "交房租", true, false},
		{"中午12点 吃饭", at(11, 15, 12, 0), "吃饭", false, true},
		{"今晚8点 跑步", at(11, 14, 20, 0), "跑步", true, true},
		{"9点十分", at(11, 15, 9, 10), "", false, true},
		{"十点 开会", at(11, 15, 10, 0), "开会", false, true},
		// Not a time: left as text.
		{"standup tomorrow", time.Time{}, "standup tomorrow", false, false},
		{"3 people lunch", time.Time{}, "3 people lunch", false, false},
		{"tomorrowland tickets", time.Time{}, "tomorrowland tickets", false, false},
		{"25:00 nothing", time.Time{}, "25:00 nothing", false, false},
		{"13pm nothing", time.Time{}, "13pm nothing", false, false},
		{"2月30日 nothing", time.Time{}, "2月30日 nothing", false, false},
		{"", time.Time{}, "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := Parse(tt.in, now)
			if want := !tt.want.IsZero(); ok != want {
				t.Fatalf("Parse(%q) ok = %v, want %v (%+v)", tt.in, ok, want, got)
			}
			if got.Rest != tt.rest {
				t.Errorf("Rest = %q, want %q", got.Rest, tt.rest)
			}
			if !ok {
				return
			}
			if !got.At.Equal(tt.want) {
				t.Errorf("At = %s, want %s", got.At, tt.want)
			}
			if got.HasDate != tt.date || got.HasTime != tt.tm {
				t.Errorf("HasDate, HasTime = %v, %v, want %v, %v", got.HasDate, got.HasTime, tt.date, tt.tm)
			}
		})
	}
}

func TestParseNextYear(t *testing.T) {
	now := time.Date(2024, 12, 20, 10, 0, 0, 0, time.UTC)
	got, ok := Parse("1月2日 新年计划", now)
	if !ok || !got.At.Equal(time.Date(2025, 1, 2, 9, 0, 0, 0, time.UTC)) {
		t.Fatalf("Parse = %+v, %v; want 2025-01-02 09:00", got, ok)
	}
}

func TestNumber(t *testing.T) {
	for in, want := range map[string]int{"十": 10, "十二": 12, "二十三": 23, "两": 2, "九": 9, "07": 7} {
		if got, ok := number(in); !ok || got != want {
			t.Errorf("number(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"十十", "x", ""} {
		if _, ok := number(in); ok {
			t.Errorf("number(%q) ok", in)
		}
	}
}
