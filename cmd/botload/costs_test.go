package main

import (
	"context"
	"math"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/botd/botd/internal/feishusim"
)

func TestKeyClass(t *testing.T) {
	for key, want := range map[string]string{
		"botd:itx:7f3a9c2e5b1d4f60a8b2":              "botd:itx:*",
		"botd:claim:event:5e1f0c3a9d8b7e6f":          "botd:claim:event:*",
		"botd:claim:message:om_abc":                  "botd:claim:message:*",
		"botd:todos:open:oc_load_0001":               "botd:todos:open:*",
		"botd:ixv:{botd:todos:open:oc_load_0001}":    "botd:ixv:{botd:todos:open:*}",
		"botd:rl:{ephemeral.send}:chat:oc_load_0001": "botd:rl:{ephemeral.send}:chat:*",
		"botd:due":    "botd:due",
		"botd:due:15": "botd:due:*",
		"botd:fair:m:{oc_load_0001}:ou_load_0001_0002":    "botd:fair:m:{*}:*",
		"asynq:{botd:interactive}:t:send_form:itx_4f2a9c": "asynq:{botd:interactive}:t:send_form:*",
		"asynq:{botd:bulk}:processed:2026-12-03":          "asynq:{botd:bulk}:processed:*",
		"botd:cache:jsapi_ticket:v1:cli_load1234":         "botd:cache:jsapi_ticket:v1:*",
		"botd:t:tenant_load:itx:a1b2c3":                   "botd:t:tenant_load:itx:*",
	} {
		if got := keyClass(key); got != want {
			t.Errorf("keyClass(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestParseProcStat(t *testing.T) {
	// Field 2 may hold spaces and parentheses; utime 250 and stime 50
	// ticks are fields 14 and 15.
	stat := "4242 (bo td) (x)) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 12 0 100 0 0"
	s, err := parseProcStat(stat)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(s-3.0) > 1e-9 {
		t.Fatalf("got %v s, want 3 (300 ticks at 100 Hz)", s)
	}
	for _, bad := range []string{"no name here", "1 (x) S 1 2 3", "1 (x) S 1 2 3 4 5 6 7 8 9 10 a 50 0"} {
		if _, err := parseProcStat(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestParseInfo(t *testing.T) {
	info := parseInfo("# CPU\r\nused_cpu_sys:1.50\r\nused_cpu_user:2.25\r\n\r\n# Memory\r\nused_memory:1048576\r\n")
	if got := infoFloat(info, "used_cpu_sys") + infoFloat(info, "used_cpu_user"); got != 3.75 {
		t.Fatalf("cpu %v, want 3.75", got)
	}
	if infoFloat(info, "used_memory") != 1<<20 || infoFloat(info, "missing") != 0 {
		t.Fatalf("memory: %v", info)
	}
}

func TestCPUSeconds(t *testing.T) {
	a, b := cpuSeconds{botd: 1, redis: 2}, cpuSeconds{botd: 1.5, redis: 2.2}
	d := b.since(a)
	if math.Abs(d.botd-0.5) > 1e-9 || math.Abs(d.redis-0.2) > 1e-9 {
		t.Fatalf("since: %+v", d)
	}
	if c := d.perEvent(1000); math.Abs(c.BotdUS-500) > 1e-6 || math.Abs(c.RedisUS-200) > 1e-6 {
		t.Fatalf("per event: %+v", c)
	}
	// A failed reading is left out, not counted as zero CPU.
	bad := cpuSeconds{botd: -1, redis: 3}.since(a)
	if bad.botd >= 0 || bad.perEvent(10).BotdUS != 0 {
		t.Fatalf("failed reading used: %+v", bad)
	}
	var sum cpuSeconds
	sum.add(d)
	sum.add(bad)
	if sum.botd >= 0 || math.Abs(sum.redis-1.2) > 1e-9 {
		t.Fatalf("sum: %+v", sum)
	}
	lo, hi := minCPU(cpuCost{}, cpuCost{BotdUS: 5, RedisUS: 3}), maxCPU(cpuCost{}, cpuCost{BotdUS: 5})
	lo = minCPU(lo, cpuCost{BotdUS: 4})
	if lo.BotdUS != 4 || lo.RedisUS != 3 || hi.BotdUS != 5 {
		t.Fatalf("range: %+v %+v", lo, hi)
	}
}

// The proxy counts one round trip per command, per pipeline and per
// script, whatever they carry.
func TestTurnProxy(t *testing.T) {
	mr := miniredis.RunT(t)
	p, err := newTurnProxy(mr.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: p.addr(), PoolSize: 1, Protocol: 2, DisableIdentity: true})
	defer c.Close()
	if err := c.Ping(ctx).Err(); err != nil { // connects
		t.Fatal(err)
	}
	start := p.count()
	for range 3 {
		if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if got := p.count() - start; got != 3 {
		t.Fatalf("3 commands: %d round trips", got)
	}
	pipeline := func() {
		if _, err := c.Pipelined(ctx, func(pl redis.Pipeliner) error {
			for range 5 {
				pl.Incr(ctx, "n")
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	pipeline() // go-redis may open a connection (and say HELLO) for it
	start = p.count()
	pipeline()
	if got := p.count() - start; got != 1 {
		t.Fatalf("a pipeline of 5: %d round trips", got)
	}
	start = p.count()
	if err := c.Eval(ctx, "redis.call('INCR', KEYS[1]); return redis.call('INCR', KEYS[1])", []string{"n"}).Err(); err != nil {
		t.Fatal(err)
	}
	if got := p.count() - start; got != 1 {
		t.Fatalf("a script: %d round trips", got)
	}
	if err := p.close(); err != nil {
		t.Fatal(err)
	}
	if c.Ping(ctx).Err() == nil {
		t.Fatal("the proxy still forwards after close")
	}
}

func TestCensusDiff(t *testing.T) {
	before, after := census{}, census{}
	before.count("botd:itx:*", "hash", 200, 2, 600)
	before.count("botd:gone:*", "string", 50, 1, 10)
	after.count("botd:itx:*", "hash", 200, 2, 600)
	after.count("botd:itx:*", "hash", 220, 2, 700)
	after.count("botd:todo:*", "hash", 300, 3, -1)
	d := after.diff(before)
	got := map[string]classDelta{}
	for _, x := range d {
		got[x.Class] = x
	}
	if x := got["botd:itx:*"]; x.Keys != 1 || x.Bytes != 220 || x.Elements != 2 || x.MaxTTL != 700 {
		t.Errorf("itx: %+v", x)
	}
	if x := got["botd:todo:*"]; x.Keys != 1 || x.Bytes != 300 || x.MaxTTL != -1 {
		t.Errorf("todo: %+v", x)
	}
	if x := got["botd:gone:*"]; x.Keys != -1 || x.Bytes != -50 {
		t.Errorf("gone: %+v", x)
	}
	if len(d) != 3 || d[0].Class != "botd:todo:*" {
		t.Errorf("order: %+v", d)
	}
	if s := after["botd:itx:*"]; s.MinTTL != 600 || s.MaxTTL != 700 {
		t.Errorf("TTL range: %+v", s)
	}
}

// A step's figures are its span less the idle rates over its time, per unit.
func TestStepPerUnit(t *testing.T) {
	idle := idleRates{Commands: 100, Scripts: 50, RoundTrips: 50, BotdCPU: 0.01, RedisCPU: 0.002,
		ByCommand: map[string]float64{"evalsha": 50, "zrangebyscore": 50}}
	s := span{seconds: 2, calls: map[string]int64{"evalsha": 1100, "zrangebyscore": 100, "hset": 2000},
		turns: 3100, cpu: cpuSeconds{botd: 0.52, redis: 0.104}, mem: 100000}
	st := &costStep{Units: 1000}
	st.perUnit(s, idle)
	near := func(name string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-6 {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	near("commands", st.Commands, 3.0)    // (3200 - 200) / 1000
	near("scripts", st.Scripts, 1.0)      // (1100 - 100) / 1000
	near("round trips", st.RoundTrips, 3) // (3100 - 100) / 1000
	near("botd cpu", st.BotdCPUUS, 500)   // (0.52 - 0.02) s / 1000
	near("redis cpu", st.RedisCPUUS, 100)
	near("raw commands", st.RawCommands, 3.2)
	near("memory", st.UsedMemoryBytes, 100)
	near("top hset", st.Top["hset"], 2)
	if _, ok := st.Top["zrangebyscore"]; ok {
		t.Error("a command that is all background is listed")
	}
}

func TestCallKey(t *testing.T) {
	for _, tc := range []struct{ method, path, want string }{
		{"PATCH", "/open-apis/im/v1/messages/om_abc123", callMessagePatch},
		{"POST", "/open-apis/ephemeral/v1/send", callEphemeralSend},
		{"GET", "/open-apis/im/v1/chats/oc_load_0001/members", "GET /open-apis/im/v1/chats/:id/members"},
	} {
		if got := callKey(feishusimCall(tc.method, tc.path)); got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.method, tc.path, got, tc.want)
		}
	}
}

func feishusimCall(method, path string) feishusim.Call {
	return feishusim.Call{Method: method, Path: path}
}

func TestCheckRedisURL(t *testing.T) {
	for _, ok := range []string{"redis://127.0.0.1:6379/9", "redis+cluster://127.0.0.1:7000,127.0.0.1:7001", "redis://localhost:6379"} {
		if err := checkRedisURL(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"redis://10.0.0.1:6379", "redis+cluster://127.0.0.1:7000,10.0.0.2:7001",
		"redis+sentinel://127.0.0.1:26379/mymaster", "http://127.0.0.1:6379"} {
		if err := checkRedisURL(bad); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

// A cluster's cost per event is kept per master; a round whose reading is
// missing leaves no figure rather than a wrong one.
func TestNodeSums(t *testing.T) {
	s := &nodeSums{addrs: []string{"a", "b"}, commands: make([]int64, 2), script: make([]int64, 2), cpu: make([]float64, 2)}
	before := nodeReading{
		calls: []redisCalls{{"evalsha": 10, "get": 5, "info": 1}, {"hset": 1}},
		usage: []serverUsage{{CPUSeconds: 1}, {CPUSeconds: 2}},
	}
	after := nodeReading{
		calls: []redisCalls{{"evalsha": 30, "get": 25, "info": 9}, {"hset": 11}},
		usage: []serverUsage{{CPUSeconds: 1.002}, {CPUSeconds: 2.001}},
	}
	s.add(before, after)
	got := s.perEvent(10)
	if len(got) != 2 || got[0].Commands != 4 || got[0].Scripts != 2 || got[1].Commands != 1 ||
		math.Abs(got[0].CPUUS-200) > 1e-6 || math.Abs(got[1].CPUUS-100) > 1e-6 {
		t.Fatalf("got %+v", got)
	}
	s.add(nodeReading{}, after)
	if s.perEvent(10) != nil {
		t.Fatal("a figure from a round with a missing reading")
	}
	var none *nodeSums
	none.add(before, after)
	if none.perEvent(10) != nil {
		t.Fatal("one server has per-master figures")
	}
}
