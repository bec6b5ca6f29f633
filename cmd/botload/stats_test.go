package main

import (
	"testing"
	"time"
)

func TestPercentileNearestRank(t *testing.T) {
	ds := make([]time.Duration, 100)
	for i := range ds {
		ds[i] = time.Duration(i+1) * time.Millisecond // 1..100 ms
	}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{
		{50, 50 * time.Millisecond},
		{99, 99 * time.Millisecond},
		{100, 100 * time.Millisecond},
		{0.1, 1 * time.Millisecond},
	} {
		if got := percentile(ds, tc.p); got != tc.want {
			t.Errorf("p%v = %v, want %v", tc.p, got, tc.want)
		}
	}
}

func TestSummarizeSortsAndHandlesSmallSets(t *testing.T) {
	if s := summarize(nil); s != (summary{}) {
		t.Errorf("empty: %+v", s)
	}
	s := summarize([]time.Duration{3 * time.Millisecond, time.Millisecond, 2 * time.Millisecond})
	want := summary{N: 3, P50MS: 2, P99MS: 3, MaxMS: 3}
	if s != want {
		t.Errorf("got %+v, want %+v", s, want)
	}
	// With fewer than 100 samples p99 is the maximum, never beyond the data.
	one := summarize([]time.Duration{7 * time.Millisecond})
	if one.P50MS != 7 || one.P99MS != 7 {
		t.Errorf("one sample: %+v", one)
	}
}

func TestRecorderMerge(t *testing.T) {
	r := newRecorder(3, 0)
	r.add(0, time.Millisecond)
	r.add(2, 2*time.Millisecond)
	r.add(2, 3*time.Millisecond)
	if got := r.merge(); len(got) != 3 {
		t.Fatalf("merged %d, want 3", len(got))
	}
}
