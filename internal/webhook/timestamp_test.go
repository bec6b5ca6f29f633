package webhook

import (
	"testing"
	"time"
)

func TestParseTimestamp(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"1700000000", time.Unix(1700000000, 0), true},
		{"1700000000123", time.UnixMilli(1700000000123), true},
		{"2026-10-04 18:23:46.05 +0800 CST m=+3612.1", time.Date(2026, 10, 4, 10, 23, 46, 50_000_000, time.UTC), true},
		{"2026-10-04 18:23:46 +0000 UTC", time.Date(2026, 10, 4, 18, 23, 46, 0, time.UTC), true},
		{"1700000000123456", time.UnixMicro(1700000000123456), true},
		{"17000000001234567", time.UnixMicro(17000000001234567), true},
		{"170000000012345678", time.Time{}, false}, // 18 digits: no unit
		{"2026-10-04 18:23:46.05 +0530 +0530 m=-1.5", time.Date(2026, 10, 4, 12, 53, 46, 50_000_000, time.UTC), true},
		{"2026-10-04 18:23:46 +0800", time.Date(2026, 10, 4, 10, 23, 46, 0, time.UTC), true},
		{"2026-10-04 18:23:46.05 +0800 CST m=", time.Time{}, false},
		{"2026-10-04 18:23:46.05 +0800 CST m=+1 x", time.Time{}, false},
		{"2026-10-04 18:23:46.05 +0800 C\"ST", time.Time{}, false},
		{"2026-10-04 18:23:46.05 CST", time.Time{}, false}, // no numeric offset
		{"2026-13-04 18:23:46.05 +0800 CST", time.Time{}, false},
		{"", time.Time{}, false},
		{"-1700000000", time.Time{}, false},
		{"-99999", time.Time{}, false},
		{"+1700000000", time.Time{}, false},
		{"17e8", time.Time{}, false},
		{"yesterday", time.Time{}, false},
		{"99999999999999999999999", time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := parseTimestamp(tt.in)
		if ok != tt.ok || !got.Equal(tt.want) {
			t.Errorf("parseTimestamp(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
