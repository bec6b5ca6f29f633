package proctest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/botd/botd/internal/feishusim"
)

// EnvRequireSentinel, set to 1, makes TestSentinelFailover fail instead of
// skipping when redis-server is not installed (CI sets it).
const EnvRequireSentinel = "BOTD_TEST_REQUIRE_SENTINEL"

// sentinelMaster is the master name the sentinels monitor.
const sentinelMaster = "botd"

// Sentinel failover during traffic: botd on redis+sentinel://, a primary,
// a replica and three sentinels on loopback, two botd replicas driven by
// the platform and the members, and the primary SIGKILLed in the middle of
// it. The sentinels promote the replica; botd's failover client follows.
// Every command the platform delivered gets its form (the platform
// redelivers what botd did not acknowledge, members click again), every
// submitted form exactly one group post: botd acknowledged nothing the
// failover took away, because what it acknowledges waits for a replica
// (internal/state, barrier).
func TestSentinelFailover(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv(EnvRequireSentinel) == "1" {
			t.Fatalf("%s=1 but redis-server is not installed", EnvRequireSentinel)
		}
		t.Skip("needs redis-server (which also runs the sentinels, as redis-server --sentinel)")
	}
	topo := startSentinelTopology(t)
	w := newWorld(t, worldOpts{chats: 2, users: 4, redisURL: topo.url()})
	// Latency keeps jobs in flight, so the kill lands in some of them.
	w.sim.SetFault(func(*http.Request) *feishusim.Fault {
		return &feishusim.Fault{Delay: randBetween(50*time.Millisecond, 200*time.Millisecond)}
	})
	a, b := w.start("replica-a"), w.start("replica-b")
	flows := plan(w, "failover", 40, 5)
	ctx := t.Context()
	d := &driver{sim: w.sim, events: w.platform(a, a), clicks: w.platform(b, b),
		senders: 4, clickers: 4, gap: time.Second, think: 200 * time.Millisecond,
		patience: 45 * time.Second}
	members, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	driven := make(chan struct{})
	go func() {
		defer close(driven)
		d.run(members, t, flows)
	}()

	// Four senders spread their commands over ~5 s: the kill lands in the
	// middle of the traffic.
	sleep(ctx, randBetween(time.Second, 2500*time.Millisecond))
	select {
	case <-driven:
		t.Fatal("the traffic ended before the primary was killed: the test proves nothing")
	default:
	}
	topo.killPrimary(t)
	killedAt := time.Now()
	promoted := topo.waitPromoted(t, 60*time.Second)
	t.Logf("primary killed; the sentinels promoted %s after %s", promoted, time.Since(killedAt).Round(time.Millisecond))

	<-driven
	if err := w.waitSettled(ctx, flows, time.Now().Add(recoveryBound)); err != nil {
		t.Fatal(err)
	}
	w.checkExactlyOnce(ctx, flows, true)
	w.checkNoJobsGivenUp(t)
	t.Logf("%d flows (%d submitted); redeliveries %d, clicks repeated %d", len(flows), submitted(flows),
		d.redeliveries.Load(), d.reclicks.Load())
}

// sentinelTopology is a primary, a replica and three sentinels, each a
// redis-server child process on loopback.
type sentinelTopology struct {
	dir              string
	primary, replica string // host:port
	sentinels        []string
	primaryProc      *exec.Cmd
	procs            []*exec.Cmd
}

func (s *sentinelTopology) url() string {
	return "redis+sentinel://" + strings.Join(s.sentinels, ",") + "/" + sentinelMaster
}

// startSentinelTopology starts the servers and waits until the sentinels
// know the replica and each other (a failover needs a majority of them).
func startSentinelTopology(t *testing.T) *sentinelTopology {
	t.Helper()
	s := &sentinelTopology{dir: t.TempDir(), primary: freeAddr(t), replica: freeAddr(t)}
	t.Cleanup(func() {
		for _, p := range s.procs {
			_ = p.Process.Kill()
			_ = p.Wait()
		}
		if t.Failed() {
			for _, name := range []string{"primary", "replica", "sentinel-0", "sentinel-1", "sentinel-2"} {
				t.Logf("%s log:\n%s", name, tail(filepath.Join(s.dir, name+".log"), 30))
			}
		}
	})
	_, pport, _ := net.SplitHostPort(s.primary)
	_, rport, _ := net.SplitHostPort(s.replica)
	s.primaryProc = s.run(t, "primary", "--port", pport)
	s.run(t, "replica", "--port", rport, "--replicaof", "127.0.0.1", pport)
	for i := range 3 {
		addr := freeAddr(t)
		_, port, _ := net.SplitHostPort(addr)
		name := fmt.Sprintf("sentinel-%d", i)
		conf := filepath.Join(s.dir, name+".conf")
		body := fmt.Sprintf("port %s\nbind 127.0.0.1\ndir %s\nlogfile %s\n"+
			"sentinel monitor %s 127.0.0.1 %s 2\n"+
			"sentinel down-after-milliseconds %[4]s 1000\n"+
			"sentinel failover-timeout %[4]s 10000\n"+
			"sentinel parallel-syncs %[4]s 1\n",
			port, s.dir, filepath.Join(s.dir, name+".log"), sentinelMaster, pport)
		if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		s.start(t, exec.Command("redis-server", conf, "--sentinel"))
		s.sentinels = append(s.sentinels, addr)
	}
	ctx := context.Background()
	waitFor(t, 30*time.Second, "the sentinels to see the replica and each other", func() bool {
		for _, addr := range s.sentinels {
			c := redis.NewSentinelClient(&redis.Options{Addr: addr})
			replicas, err1 := c.Replicas(ctx, sentinelMaster).Result()
			others, err2 := c.Sentinels(ctx, sentinelMaster).Result()
			_ = c.Close()
			if err1 != nil || err2 != nil || len(replicas) < 1 || len(others) < 2 {
				return false
			}
		}
		r := redis.NewClient(&redis.Options{Addr: s.replica})
		defer r.Close()
		info, _ := r.Info(ctx, "replication").Result()
		return strings.Contains(info, "master_link_status:up")
	})
	return s
}

// run starts one data node.
func (s *sentinelTopology) run(t *testing.T, name string, args ...string) *exec.Cmd {
	t.Helper()
	args = append(args, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", s.dir, "--dbfilename", name+".rdb", "--logfile", filepath.Join(s.dir, name+".log"))
	return s.start(t, exec.Command("redis-server", args...))
}

func (s *sentinelTopology) start(t *testing.T, cmd *exec.Cmd) *exec.Cmd {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", cmd.Args, err)
	}
	s.procs = append(s.procs, cmd)
	return cmd
}

// killPrimary SIGKILLs the primary.
func (s *sentinelTopology) killPrimary(t *testing.T) {
	t.Helper()
	if err := s.primaryProc.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = s.primaryProc.Wait()
}

// waitPromoted waits until every sentinel names the replica as the primary.
func (s *sentinelTopology) waitPromoted(t *testing.T, d time.Duration) string {
	t.Helper()
	ctx := context.Background()
	waitFor(t, d, "the sentinels to promote the replica", func() bool {
		for _, addr := range s.sentinels {
			c := redis.NewSentinelClient(&redis.Options{Addr: addr})
			got, err := c.GetMasterAddrByName(ctx, sentinelMaster).Result()
			_ = c.Close()
			if err != nil || len(got) != 2 || net.JoinHostPort(got[0], got[1]) != s.replica {
				return false
			}
		}
		return true
	})
	return s.replica
}
