package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// memory is a process's resident set, read from /proc/<pid>/status (Linux):
// VmRSS now and VmHWM, the peak since the process started. This is what the
// kernel charges the process, heap, stacks, binary and all, so it is the
// figure a container's memory limit compares with, not the Go heap alone.
type memory struct {
	RSSMB  float64 `json:"rss_mb"`
	PeakMB float64 `json:"peak_rss_mb"`
}

// readMemory reads pid's VmRSS and VmHWM. On systems without /proc it
// returns an error and the report says so instead of a figure.
func readMemory(pid int) (memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memory{}, fmt.Errorf("read botd's memory: %w", err)
	}
	return parseStatus(b)
}

// parseStatus takes VmRSS and VmHWM ("VmRSS:	  123456 kB") from the text
// of /proc/<pid>/status.
func parseStatus(b []byte) (memory, error) {
	var m memory
	found := 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		key, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return memory{}, fmt.Errorf("read botd's memory: unexpected %s line %q", key, sc.Text())
		}
		kb, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			return memory{}, fmt.Errorf("read botd's memory: %s: %w", key, err)
		}
		if key == "VmRSS" {
			m.RSSMB = kb / 1024
		} else {
			m.PeakMB = kb / 1024
		}
		found++
	}
	if found != 2 {
		return memory{}, fmt.Errorf("read botd's memory: VmRSS or VmHWM missing")
	}
	return m, nil
}

// memory reads botd's resident set; the error is kept in the result's text
// rather than failing a benchmark over a figure.
func (w *world) memory() (*memory, string) {
	m, err := readMemory(w.botd.pid())
	if err != nil {
		return nil, err.Error()
	}
	return &m, ""
}
