package main

import (
	"math"
	"slices"
	"time"
)

// summary describes a set of latencies. Durations are reported in
// milliseconds as floats so that -json output needs no unit conventions.
type summary struct {
	N     int     `json:"n"`
	P50MS float64 `json:"p50_ms"`
	P99MS float64 `json:"p99_ms"`
	MaxMS float64 `json:"max_ms"`
}

// summarize sorts ds in place and returns its nearest-rank percentiles.
// Nearest rank (rather than interpolation) keeps every reported figure a
// latency that was actually observed.
func summarize(ds []time.Duration) summary {
	if len(ds) == 0 {
		return summary{}
	}
	slices.Sort(ds)
	return summary{
		N:     len(ds),
		P50MS: ms(percentile(ds, 50)),
		P99MS: ms(percentile(ds, 99)),
		MaxMS: ms(ds[len(ds)-1]),
	}
}

// percentile returns the nearest-rank p-th percentile (0 < p <= 100) of
// sorted, which must be sorted ascending and non-empty: the smallest value
// such that at least p% of the values are less than or equal to it.
func percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// recorder collects latencies from many goroutines without a shared lock:
// each worker appends to its own slice and merge joins them at the end.
type recorder struct{ parts [][]time.Duration }

func newRecorder(workers, hint int) *recorder {
	r := &recorder{parts: make([][]time.Duration, workers)}
	for i := range r.parts {
		r.parts[i] = make([]time.Duration, 0, hint)
	}
	return r
}

// add records d for worker w; only worker w may call it with that index.
func (r *recorder) add(w int, d time.Duration) { r.parts[w] = append(r.parts[w], d) }

// merge returns every recorded latency in one slice.
func (r *recorder) merge() []time.Duration {
	return slices.Concat(r.parts...)
}
