package main

import (
	"math"
	"testing"
)

func TestParseStatus(t *testing.T) {
	status := "Name:\tbotd\nVmPeak:\t 1300000 kB\nVmHWM:\t  153600 kB\nVmRSS:\t  102400 kB\nThreads:\t9\n"
	m, err := parseStatus([]byte(status))
	if err != nil {
		t.Fatal(err)
	}
	if m.RSSMB != 100 || m.PeakMB != 150 {
		t.Fatalf("got %+v, want RSS 100 MB, peak 150 MB", m)
	}
	for _, bad := range []string{
		"Name:\tbotd\nVmRSS:\t 1 kB\n",      // no VmHWM
		"VmHWM:\t 1 kB\nVmRSS:\t 1 MB\n",    // unit
		"VmHWM:\t 1 kB\nVmRSS:\t lots kB\n", // number
		"VmHWM:\t 1 kB\nVmRSS:\t 1 2 kB\n",  // shape
	} {
		if _, err := parseStatus([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestRedisCostPerEvent(t *testing.T) {
	before := parseCommandStats("# Commandstats\r\ncmdstat_evalsha:calls=100,usec=5,usec_per_call=0.05,rejected_calls=0,failed_calls=0\r\ncmdstat_get:calls=10,usec=1\r\ncmdstat_info:calls=3,usec=1\r\n")
	after := parseCommandStats("# Commandstats\r\ncmdstat_evalsha:calls=300,usec=5\r\ncmdstat_get:calls=210,usec=1\r\ncmdstat_hset:calls=100,usec=1\r\ncmdstat_info:calls=9,usec=1\r\n")
	c := costPerEvent(before, after, 100)
	if c == nil {
		t.Fatal("no cost")
	}
	// evalsha 2 + get 2 + hset 1 per event; INFO (botload's own) left out.
	if math.Abs(c.Commands-5) > 1e-9 || math.Abs(c.Scripts-2) > 1e-9 || c.Top["hset"] != 1 {
		t.Fatalf("got %+v", c)
	}
	if _, ok := c.Top["info"]; ok {
		t.Fatal("INFO counted")
	}
	if costPerEvent(nil, after, 100) != nil || costPerEvent(before, after, 0) != nil {
		t.Fatal("a cost without both snapshots or without events")
	}
}
