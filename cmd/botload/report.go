package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// The targets, printed beside the figures: issue 14's where it set one
// (ingest and chatter ratios, forms sent by the end of the round, callback
// and submit→post p99, memory), issue 3's otherwise.
const (
	targetIngestRatio   = 0.40
	targetChatterRatio  = 0.60
	targetByEndShare    = 0.80
	targetIngestP99MS   = 100
	targetCallbackP99MS = 5
	targetPacingRatio   = 0.95
	targetSubmitP99MS   = 15
	targetRSSMB         = 150
)

// report is everything one botload run measured.
type report struct {
	Date       string            `json:"date"`
	CPUs       int               `json:"cpus"`
	Go         string            `json:"go"`
	Redis      string            `json:"redis"`
	Mode       string            `json:"mode"` // BOTD_EVENT_MODE: webhook or websocket
	Ingest     *ingestResult     `json:"ingest,omitempty"`
	Chatter    *ingestResult     `json:"chatter,omitempty"`
	Callbacks  *callbacksResult  `json:"callbacks,omitempty"`
	Pacing     *pacingResult     `json:"pacing,omitempty"`
	SubmitPost *submitPostResult `json:"submitpost,omitempty"`
	Costs      *costsResult      `json:"costs,omitempty"`
}

func newReport(redisURL, mode string) *report {
	r := &report{Date: time.Now().Format(time.RFC3339), CPUs: runtime.NumCPU(), Go: runtime.Version(), Redis: redisURL, Mode: mode}
	if r.Redis == "" {
		r.Redis = "botd's in-process store"
	}
	return r
}

func (r *report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

// writeTables prints each benchmark as a table and then its figures beside
// the targets, each marked met or MISSED.
func (r *report) writeTables(w io.Writer) error {
	b := &bytes.Buffer{}
	fmt.Fprintf(b, "botload %s  cpus %d  %s  redis %s  mode %s\n", r.Date, r.CPUs, r.Go, r.Redis, r.Mode)
	if r.Ingest != nil {
		r.Ingest.write(b)
	}
	if r.Chatter != nil {
		r.Chatter.write(b)
	}
	if r.Callbacks != nil {
		r.Callbacks.write(b)
	}
	if r.Pacing != nil {
		r.Pacing.write(b)
	}
	if r.SubmitPost != nil {
		r.SubmitPost.write(b)
	}
	if r.Costs != nil {
		r.Costs.write(b)
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

func (x *ingestResult) write(b *bytes.Buffer) {
	chatter := x.Kind == "chatter"
	fmt.Fprintf(b, "\n%s: %d workers, closed loop, %d rounds of %.0f s per server\n", x.Kind, x.Workers, len(x.Rounds)/2, x.RoundSeconds)
	tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', tabwriter.AlignRight)
	last := "forms sent (by end)\tdrain s"
	if chatter {
		last = "Open API calls\tredis/msg"
	}
	fmt.Fprintf(tw, "round\ttarget\trequests\terrors\tper s\tp50 ms\tp99 ms\tmax ms\t%s\t\n", last)
	for _, rd := range x.Rounds {
		var cards, drain string
		switch {
		case rd.Target == "botd" && chatter:
			n := 0
			for _, c := range rd.Effects {
				n += c
			}
			cards = fmt.Sprint(n)
			if rd.Redis != nil {
				drain = fmt.Sprintf("%.3f", rd.Redis.Commands)
			}
		case rd.Target == "botd":
			cards, drain = fmt.Sprintf("%d/%d (%d)", rd.CardsSent, rd.Acked, rd.SentByEnd), fmt.Sprintf("%.1f", rd.DrainSeconds)
			if rd.Duplicates > 0 {
				cards += fmt.Sprintf(" +%d dup", rd.Duplicates)
			}
		}
		if rd.PoolExhausted {
			cards += " (ran out)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%.0f\t%.2f\t%.2f\t%.1f\t%s\t%s\t\n", rd.Round, rd.Target, rd.Requests, rd.Errors,
			rd.PerSec, rd.Latency.P50MS, rd.Latency.P99MS, rd.Latency.MaxMS, cards, drain)
	}
	for _, t := range []struct {
		name string
		t    ingestTotal
	}{{"bare", x.Bare}, {"botd", x.Botd}} {
		fmt.Fprintf(tw, "all\t%s\t%d\t%d\t%.0f\t%.2f\t%.2f\t%.1f\t\t\t\n", t.name, t.t.Requests, t.t.Errors,
			t.t.PerSec, t.t.Latency.P50MS, t.t.Latency.P99MS, t.t.Latency.MaxMS)
	}
	tw.Flush()
	target := targetIngestRatio
	if chatter {
		target = targetChatterRatio
	}
	check(b, fmt.Sprintf("botd ÷ bare %.3f (per round %.3f–%.3f)", x.Ratio, x.RatioMin, x.RatioMax),
		fmt.Sprintf("≥ %.2f", target), x.Ratio >= target)
	if chatter {
		check(b, fmt.Sprintf("Open API calls made for %d messages: %d", x.Botd.Requests, x.Effects), "0", x.Effects == 0)
	} else {
		check(b, fmt.Sprintf("forms sent: %d of %d acknowledged (%.4f), %d duplicates", x.CardsSent, x.Acked, x.SentShare, x.Duplicates),
			"all, no duplicate", x.CardsSent == x.Acked && x.Duplicates == 0)
		check(b, fmt.Sprintf("forms sent by the end of their round: %d of %d (%.3f)", x.SentByEnd, x.Acked, x.ByEndShare),
			fmt.Sprintf("≥ %.2f", targetByEndShare), x.ByEndShare >= targetByEndShare)
	}
	check(b, fmt.Sprintf("botd webhook p99 %.2f ms", x.Botd.Latency.P99MS),
		fmt.Sprintf("< %d ms", targetIngestP99MS), x.Botd.Latency.P99MS < targetIngestP99MS)
	writeMemory(b, x.Memory, x.MemoryError, "at the end of the last round")
	fmt.Fprintf(b, "  redis: %s\n", x.Redis)
	unit := "event"
	if chatter {
		unit = "message"
	}
	fmt.Fprintf(b, "  CPU per %s: botd %s, redis %s (over the rounds%s)\n", unit,
		cpuFigure(x.CPU.BotdUS, x.CPUMin.BotdUS, x.CPUMax.BotdUS), cpuFigure(x.CPU.RedisUS, x.CPUMin.RedisUS, x.CPUMax.RedisUS), drainNote(chatter))
	for _, n := range x.RedisNodes {
		fmt.Fprintf(b, "    master %s: %.2f commands (%.2f scripts), %.0f µs CPU per %s\n", n.Addr, n.Commands, n.Scripts, n.CPUUS, unit)
	}
}

// cpuFigure is "123 µs (rounds 110–140)", or "not measured".
func cpuFigure(all, lo, hi float64) string {
	if all == 0 {
		return "not measured"
	}
	return fmt.Sprintf("%.0f µs (rounds %.0f–%.0f)", all, lo, hi)
}

func drainNote(chatter bool) string {
	if chatter {
		return ""
	}
	return " and the drains after them"
}

// writeMemory prints botd's resident memory beside the target.
func writeMemory(b *bytes.Buffer, m *memory, errText, when string) {
	if m == nil {
		fmt.Fprintf(b, "  botd memory not measured: %s\n", errText)
		return
	}
	check(b, fmt.Sprintf("botd RSS %s %.1f MB (peak %.1f MB)", when, m.RSSMB, m.PeakMB),
		fmt.Sprintf("≤ %d MB", targetRSSMB), m.RSSMB <= targetRSSMB)
}

func (x *callbacksResult) write(b *bytes.Buffer) {
	fmt.Fprintf(b, "\ncallbacks: open loop at %d/s for %.1f s (achieved %.0f/s); latency from the scheduled send\n", x.Rate, x.Seconds, x.Achieved)
	tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kind\tn\tp50 ms\tp99 ms\tmax ms\t")
	for _, k := range append(slices.Clone(callbackKinds), "all") {
		s, ok := x.ByKind[k]
		if k == "all" {
			s, ok = x.Latency, true
		}
		if ok {
			fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.2f\t%.1f\t\n", k, s.N, s.P50MS, s.P99MS, s.MaxMS)
		}
	}
	tw.Flush()
	check(b, fmt.Sprintf("fired %d: %d answered 200 + JSON + right toast, %d not, %d skipped", x.Fired, x.OK, x.Bad, x.Skipped),
		"all", x.Bad == 0 && x.Skipped == 0)
	if x.FirstError != "" {
		fmt.Fprintf(b, "  first error: %s\n", oneLine(x.FirstError))
	}
	check(b, fmt.Sprintf("acknowledgement p99 %.2f ms", x.Latency.P99MS),
		fmt.Sprintf("≤ %d ms", targetCallbackP99MS), x.Latency.P99MS <= targetCallbackP99MS)
	writeMemory(b, x.Memory, x.MemoryError, "after the last callback")
}

func (x *pacingResult) write(b *bytes.Buffer) {
	fmt.Fprintf(b, "\npacing: burst of %d /todo over %d chats, simulator enforcing the documented quotas\n", x.Burst, x.Chats)
	fmt.Fprintf(b, "  acknowledged %d; forms sent %d, the last %.2f s after the first delivery (the limits allow it in %.2f s)\n",
		x.Acked, x.Sent, x.Seconds, x.MinSeconds)
	check(b, fmt.Sprintf("achieved %.1f/s of %.1f/s allowed: %.3f", x.AchievedPerSec, x.AllowedPerSec, x.Ratio),
		fmt.Sprintf("≥ %.2f", targetPacingRatio), x.Ratio >= targetPacingRatio)
	check(b, fmt.Sprintf("rate-limit errors %d (other refusals %d)", x.RateLimited, x.OtherErrors), "0", x.RateLimited == 0)
}

func (x *submitPostResult) write(b *bytes.Buffer) {
	fmt.Fprintf(b, "\nsubmitpost: %d submits at %d/s, BOTD_RATE_LIMITS=%s, simulator answering at once\n", x.Submits, x.Rate, x.RateLimits)
	check(b, fmt.Sprintf("answered %d, posted %d", x.Answered, x.Posted), "all",
		x.Posted == x.Submits && x.Answered == x.Submits)
	if x.FirstError != "" {
		fmt.Fprintf(b, "  first error: %s\n", oneLine(x.FirstError))
	}
	check(b, fmt.Sprintf("answer → group post p50 %.1f ms, p99 %.1f ms, max %.1f ms", x.Latency.P50MS, x.Latency.P99MS, x.Latency.MaxMS),
		fmt.Sprintf("p99 ≤ %d ms", targetSubmitP99MS), x.Latency.P99MS <= targetSubmitP99MS)
	writeMemory(b, x.Memory, x.MemoryError, "after the last post")
}

// check prints one figure beside its target, after the tables: outside the
// tabwriter, so a long figure does not widen the table's first column.
func check(w io.Writer, figure, target string, ok bool) {
	fmt.Fprintf(w, "  %-72s %-18s %s\n", figure, target, verdict(ok))
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
