package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat.
// The kernel exports it as 100 on every architecture Linux runs on
// (sysconf(_SC_CLK_TCK) reads the same constant), so a reading has a
// granularity of 10 ms: a figure per event needs thousands of events.
const clockTicks = 100

// readProcCPU is the CPU time (user + system, in seconds) a process has
// used since it started, from /proc/PID/stat. Threads that have exited
// are included (the kernel folds them into the process).
func readProcCPU(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read botd's CPU time: %w", err)
	}
	return parseProcStat(string(b))
}

// parseProcStat takes utime and stime (fields 14 and 15) from the text of
// /proc/PID/stat. The command name (field 2) is in parentheses and may hold
// spaces and parentheses itself, so fields are counted after the last ')'.
func parseProcStat(s string) (float64, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("read botd's CPU time: no command name in %q", s)
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state), so field n is f[n-3].
	if len(f) < 13 {
		return 0, fmt.Errorf("read botd's CPU time: %d fields after the name, want at least 13", len(f))
	}
	var ticks int64
	for _, field := range f[11:13] {
		n, err := strconv.ParseInt(field, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("read botd's CPU time: %w", err)
		}
		ticks += n
	}
	return float64(ticks) / clockTicks, nil
}

// parseInfo reads the "key:value" lines of an INFO answer; section headers
// and blank lines are skipped.
func parseInfo(s string) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			out[k] = v
		}
	}
	return out
}

// infoFloat is one numeric field of an INFO answer, 0 when absent.
func infoFloat(info map[string]string, key string) float64 {
	f, _ := strconv.ParseFloat(info[key], 64)
	return f
}

// serverUsage is what the -redis server reports of its own work: CPU time
// (main thread and any others, user + system) and memory in use, from
// INFO cpu and INFO memory.
type serverUsage struct {
	CPUSeconds float64
	UsedMemory int64
}

// usage reads the server's CPU and memory, summed over a cluster's
// masters; ok is false when one does not answer (the figures are then
// left out).
func (r *redisStats) usage(ctx context.Context) (serverUsage, bool) {
	nodes, ok := r.usageNodes(ctx)
	var sum serverUsage
	for _, n := range nodes {
		sum.CPUSeconds += n.CPUSeconds
		sum.UsedMemory += n.UsedMemory
	}
	return sum, ok
}

// usageNodes is usage per master, in r.nodes' order.
func (r *redisStats) usageNodes(ctx context.Context) ([]serverUsage, bool) {
	if r == nil {
		return nil, false
	}
	out := make([]serverUsage, len(r.nodes))
	for i, n := range r.nodes {
		s, err := n.Info(ctx, "cpu", "memory").Result()
		if err != nil {
			return nil, false
		}
		info := parseInfo(s)
		out[i] = serverUsage{
			CPUSeconds: infoFloat(info, "used_cpu_sys") + infoFloat(info, "used_cpu_user"),
			UsedMemory: int64(infoFloat(info, "used_memory")),
		}
	}
	return out, true
}

// cpuSeconds is CPU time taken, or used over a span: botd's and the Redis
// server's (a cluster's masters together). A reading that failed is
// negative and stays out of every figure made from it.
type cpuSeconds struct{ botd, redis float64 }

// takeCPU reads botd's and the server's CPU time so far; rs may be nil.
func takeCPU(ctx context.Context, pid int, rs *redisStats) cpuSeconds {
	c := cpuSeconds{botd: -1, redis: -1}
	if s, err := readProcCPU(pid); err == nil {
		c.botd = s
	}
	if u, ok := rs.usage(ctx); ok {
		c.redis = u.CPUSeconds
	}
	return c
}

// since is the CPU used between before and c (negative where either
// reading failed).
func (c cpuSeconds) since(before cpuSeconds) cpuSeconds {
	d := cpuSeconds{botd: -1, redis: -1}
	if c.botd >= 0 && before.botd >= 0 {
		d.botd = c.botd - before.botd
	}
	if c.redis >= 0 && before.redis >= 0 {
		d.redis = c.redis - before.redis
	}
	return d
}

// add sums spans; a failed reading poisons the sum (it turns negative).
func (c *cpuSeconds) add(d cpuSeconds) {
	if d.botd < 0 || c.botd < 0 {
		c.botd = -1
	} else {
		c.botd += d.botd
	}
	if d.redis < 0 || c.redis < 0 {
		c.redis = -1
	} else {
		c.redis += d.redis
	}
}

// perEvent is the span's CPU per event in µs; 0 where not measured.
func (c cpuSeconds) perEvent(events int) cpuCost {
	if events <= 0 {
		return cpuCost{}
	}
	per := func(s float64) float64 {
		if s < 0 {
			return 0
		}
		return s * 1e6 / float64(events)
	}
	return cpuCost{BotdUS: per(c.botd), RedisUS: per(c.redis)}
}

// minCPU and maxCPU keep the range of the rounds' figures; a zero figure
// (not measured) or a zero accumulator (no round yet) is skipped.
func minCPU(a, b cpuCost) cpuCost {
	pick := func(x, y float64) float64 {
		if x == 0 || (y != 0 && y < x) {
			return y
		}
		return x
	}
	return cpuCost{BotdUS: pick(a.BotdUS, b.BotdUS), RedisUS: pick(a.RedisUS, b.RedisUS)}
}

func maxCPU(a, b cpuCost) cpuCost {
	return cpuCost{BotdUS: max(a.BotdUS, b.BotdUS), RedisUS: max(a.RedisUS, b.RedisUS)}
}
