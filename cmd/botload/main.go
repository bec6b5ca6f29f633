// Command botload sends signed, encrypted Feishu/Lark traffic to botd and
// measures it: the four benchmarks of docs/benchmarks.md, one command each.
//
// Usage:
//
//	botload [flags] ingest|chatter|callbacks|pacing|submitpost|all ...
//
// Run `go run ./cmd/botload -h` for the benchmarks and their flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usageText = `botload sends signed, encrypted Feishu traffic to botd and measures it.

Usage:

	go run ./cmd/botload [flags] BENCHMARK...

BENCHMARK is one or more of (or "all"):

  ingest      closed loop: C workers post /todo message events (each with a fresh
              event_id and message_id, spread over -chats × -users) for a fixed time;
              events/s, webhook latency p50/p99, and the share of acknowledged events
              whose ephemeral form the simulator recorded as sent by the end of the
              round and in all (waiting up to -drain after each round for botd's
              queue). Rounds alternate with a bare net/http handler that only
              answers 200 (the ceiling) and the result is also given as botd ÷
              ceiling, since absolute figures drift on a shared machine. Also:
              botd's resident memory (VmRSS, and the peak VmHWM, from
              /proc/PID/status) when the last round ends, and Redis commands per
              event (INFO commandstats). BOTD_RATE_LIMITS=off, simulator quotas
              off. Needs -redis.
  chatter     as ingest, with plain group messages that are not commands (what a
              bot with the all-messages scope mostly receives: text, mentions,
              links, stray slashes): botd ÷ ceiling, the Open API calls botd made
              for them (want none) and Redis commands per message.
  callbacks   open loop at -cb-rate callbacks/s for -cb-duration: valid submits,
              cancels and validation-failing submits, in turn, on forms created
              beforehand; acknowledgement latency p50/p99 measured from each
              callback's scheduled time. BOTD_RATE_LIMITS=off, simulator quotas off.
  pacing      a burst of -burst /todo across -burst-chats chats with the simulator
              enforcing the documented quotas and BOTD_RATE_LIMITS=documented:
              achieved rate ÷ the rate the limits allow, and rate-limit errors.
  submitpost  -submits valid submits at -submit-rate/s; latency from each callback's
              answer to the group post reaching the simulator (which answers at once).
  costs       (not in "all") what each step of each flow costs, -costs-n units a step:
              /todo, its submit, Mark done; /remind, its submit, its firing; /help;
              a chatter message; a submit that fails validation. Per unit: Redis
              commands (INFO commandstats), round trips (a counting proxy between
              botd and Redis), botd's CPU (/proc/PID/stat), Redis's CPU and
              used_memory (INFO), Open API calls, each less botd's idle background
              (measured first); after each step, a census of the keys it left (MEMORY
              USAGE, elements, TTL, by key shape). BOTD_RATE_LIMITS=documented and
              fair use on, with quotas and caps far above the load. Needs -redis of
              its own (-flush): the census reads the whole database.

How it runs: botd is the real binary in a child process (built with go build
unless -botd is given), on a free 127.0.0.1 port, with generated credentials,
BOTD_LOG_LEVEL=warn, and BOTD_OPEN_BASE_URL pointing at the Open API simulator
(internal/feishusim) that botload serves in-process on 127.0.0.1. The bare
handler is this binary in a child process too, so both pay the same process
costs. botd is stopped with SIGTERM at the end. Every request is built,
encrypted and signed by feishusim.Platform before its round starts, so the
generator's own crypto does not cap the measured rate; connections are kept
alive. Only servers on this machine are loaded; -redis must be on loopback.

With -mode websocket botd runs with BOTD_EVENT_MODE=websocket: it opens the
simulator's long connection, and every event and callback is delivered on it
(plain JSON in pbbp2 frames, acknowledged on its frame) instead of POSTed;
ingest's bare ceiling stays an HTTP handler.

Without -redis, botd uses its in-process store (not for ingest). With -flush,
the -redis database is emptied (FLUSHDB) before each benchmark: give it a
database of its own.

Flags:
`

// hidden flags are for botload's own use (-serve-bare) or for profiling; -h
// leaves them out.
var hidden = []string{"serve-bare", "cpuprofile"}

// run is main without the exit. Exit codes: 0 ok, 1 a benchmark failed,
// 2 bad usage.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("botload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		botdBin    = fs.String("botd", "", "botd binary to run (default: go build ./cmd/botd into a temporary directory)")
		redisURL   = fs.String("redis", "", "Redis for botd, on 127.0.0.1 (required for ingest), e.g. redis://127.0.0.1:6379/9")
		flush      = fs.Bool("flush", false, "FLUSHDB the -redis database before each benchmark")
		asJSON     = fs.Bool("json", false, "print the results as JSON instead of tables")
		verbose    = fs.Bool("v", false, "log progress and botd's pid (for perf record -p) to stderr")
		chats      = fs.Int("chats", 100, "chats to spread ingest, callbacks and submitpost traffic over")
		users      = fs.Int("users", 20, "members per chat sending commands")
		workers    = fs.Int("c", 64, "ingest, chatter: concurrent workers (closed loop)")
		rounds     = fs.Int("rounds", 5, "ingest, chatter: rounds, each one per server")
		round      = fs.Duration("round", 5*time.Second, "ingest, chatter: length of a round")
		warmup     = fs.Duration("warmup", 2*time.Second, "ingest, chatter: unreported warm-up round per server")
		drain      = fs.Duration("drain", 60*time.Second, "ingest: at most this long after a round for botd's queue to drain")
		maxRate    = fs.Int("max-rate", 12000, "ingest: events/s the prepared events are sized for at most")
		chatMax    = fs.Int("chatter-max-rate", 40000, "chatter: messages/s the prepared messages are sized for at most")
		cbRate     = fs.Int("cb-rate", 1000, "callbacks: callbacks per second (open loop)")
		cbDuration = fs.Duration("cb-duration", 10*time.Second, "callbacks: how long to fire")
		cbReserve  = fs.Int("cb-reserve", 100, "callbacks: forms kept for the validation-failing submits")
		burst      = fs.Int("burst", 300, "pacing: /todo commands in the burst")
		burstChats = fs.Int("burst-chats", 3, "pacing: chats the burst is spread over")
		submits    = fs.Int("submits", 200, "submitpost: submits")
		submitRate = fs.Int("submit-rate", 20, "submitpost: submits per second (open loop)")
		submitLim  = fs.String("submit-limits", "documented", "submitpost: BOTD_RATE_LIMITS for botd (documented or off)")
		costsN     = fs.Int("costs-n", 2000, "costs: units per step")
		costsIdle  = fs.Duration("costs-idle", 5*time.Second, "costs: how long botd's idle background is measured")
		mode       = fs.String("mode", modeWebhook, "BOTD_EVENT_MODE for botd: webhook (signed, encrypted POSTs to its webhooks) or websocket (over the long connection botd opens to the simulator)")
		serveAddr  = fs.String("serve-bare", "", "serve the bare handler on ADDR and do nothing else (used by botload itself)")
		cpuProfile = fs.String("cpuprofile", "", "write botload's own CPU profile to FILE")
		pprofDir   = fs.String("pprof", "", "write botd's CPU profile of the first measured round, and its heap and allocs at the end, of ingest and chatter to DIR (botd is built with -tags pprof; a -botd binary must be too)")
		botdEnv    settingsFlag
	)
	fs.Var(&botdEnv, "botd-env", "extra BOTD_KEY=VALUE setting for botd (repeatable), e.g. -botd-env BOTD_JOB_WORKERS=8")
	fs.Usage = func() { usage(fs) }
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return 0
	} else if err != nil {
		return 2
	}
	if *serveAddr != "" {
		return serveBare(*serveAddr, stderr)
	}
	benches, err := benchmarks(fs.Args())
	if err != nil {
		fmt.Fprintf(stderr, "botload: %v\n\n", err)
		usage(fs)
		return 2
	}
	if *redisURL != "" {
		if err := checkRedisURL(*redisURL); err != nil {
			fmt.Fprintf(stderr, "botload: %v\n", err)
			return 2
		}
	}
	if slices.Contains(benches, "costs") {
		if err := checkCostsRedis(*redisURL); err != nil {
			fmt.Fprintf(stderr, "botload: %v\n", err)
			return 2
		}
	}
	for _, n := range []*int{chats, users, workers, rounds, maxRate, chatMax, cbRate, cbReserve, burst, burstChats, submits, submitRate, costsN} {
		if *n <= 0 {
			fmt.Fprintln(stderr, "botload: counts and rates must be positive")
			return 2
		}
	}
	if *submitLim != "off" && *submitLim != "documented" {
		fmt.Fprintln(stderr, "botload: -submit-limits: want documented or off")
		return 2
	}
	if *mode != modeWebhook && *mode != modeWebSocket {
		fmt.Fprintf(stderr, "botload: -mode: want %s or %s\n", modeWebhook, modeWebSocket)
		return 2
	}

	ctx, stop := signalContext()
	defer stop()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "botload: %v\n", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(stderr, "botload: cpu profile: %v\n", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}

	workDir, err := os.MkdirTemp("", "botload-")
	if err != nil {
		fmt.Fprintf(stderr, "botload: %v\n", err)
		return 1
	}
	defer os.RemoveAll(workDir)
	if *botdBin == "" {
		if *verbose {
			fmt.Fprintln(stderr, "botload: building botd")
		}
		if *botdBin, err = buildBotd(ctx, workDir, *pprofDir != "", stderr); err != nil {
			fmt.Fprintf(stderr, "botload: %v\n", err)
			return 1
		}
	}
	if *pprofDir != "" {
		if err := os.MkdirAll(*pprofDir, 0o755); err != nil {
			fmt.Fprintf(stderr, "botload: -pprof: %v\n", err)
			return 1
		}
	}
	e := env{botdBin: *botdBin, workDir: workDir, redisURL: *redisURL, flush: *flush, stderr: stderr, verbose: *verbose,
		extra: botdEnv, mode: *mode, pprofDir: *pprofDir}

	rep := newReport(*redisURL, *mode)
	failed := false
	for _, b := range benches {
		if *verbose {
			fmt.Fprintf(stderr, "botload: running %s\n", b)
		}
		var err error
		switch b {
		case "ingest", "chatter":
			var res *ingestResult
			cfgMax := *maxRate
			if b == "chatter" {
				cfgMax = *chatMax
			}
			res, err = runIngest(ctx, e, ingestConfig{chatter: b == "chatter", workers: *workers, rounds: *rounds, round: *round,
				warmup: *warmup, drain: *drain, chats: *chats, users: *users, maxRate: cfgMax})
			if b == "chatter" {
				rep.Chatter = res
			} else {
				rep.Ingest = res
			}
		case "callbacks":
			rep.Callbacks, err = runCallbacks(ctx, e, callbacksConfig{rate: *cbRate, duration: *cbDuration,
				chats: *chats, users: *users, reserve: *cbReserve, formWait: 60 * time.Second, maxInFlight: 512})
		case "pacing":
			rep.Pacing, err = runPacing(ctx, e, pacingConfig{burst: *burst, chats: *burstChats, users: *users,
				wait: 2*time.Duration(minBurstSeconds(*burst, *burstChats)*float64(time.Second)) + 30*time.Second})
		case "submitpost":
			rep.SubmitPost, err = runSubmitPost(ctx, e, submitPostConfig{submits: *submits, rate: *submitRate,
				chats: *chats, users: *users, rateLimits: *submitLim, formWait: 60 * time.Second, wait: 30 * time.Second})
		case "costs":
			rep.Costs, err = runCosts(ctx, e, costsConfig{n: *costsN, workers: 16, idle: *costsIdle, settle: 500 * time.Millisecond,
				wait: 5*time.Minute + time.Duration(*costsN)*10*time.Millisecond, chats: *chats, users: *users, reserve: 100})
		}
		if err != nil {
			fmt.Fprintf(stderr, "botload: %s: %v\n", b, err)
			failed = true
		}
		if ctx.Err() != nil {
			break
		}
	}
	if *asJSON {
		err = rep.writeJSON(stdout)
	} else {
		err = rep.writeTables(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "botload: %v\n", err)
		return 1
	}
	if failed {
		return 1
	}
	return 0
}

var allBenchmarks = []string{"ingest", "chatter", "callbacks", "pacing", "submitpost"}

// otherBenchmarks are run only when named.
var otherBenchmarks = []string{"costs"}

func benchmarks(args []string) ([]string, error) {
	if len(args) == 0 {
		return nil, fmt.Errorf("name a benchmark: %s or all", strings.Join(allBenchmarks, ", "))
	}
	var out []string
	for _, a := range args {
		switch {
		case a == "all":
			out = append(out, allBenchmarks...)
		case slices.Contains(allBenchmarks, a) || slices.Contains(otherBenchmarks, a):
			out = append(out, a)
		default:
			return nil, fmt.Errorf("unknown benchmark %q", a)
		}
	}
	return out, nil
}

func usage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprint(w, usageText)
	fs.VisitAll(func(f *flag.Flag) {
		if slices.Contains(hidden, f.Name) {
			return
		}
		name, help := flag.UnquoteUsage(f)
		fmt.Fprintf(w, "  -%s", f.Name)
		if name != "" {
			fmt.Fprintf(w, " %s", name)
		}
		fmt.Fprintf(w, "\n    \t%s", help)
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
}

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
}

// settingsFlag collects repeated -botd-env BOTD_KEY=VALUE flags.
type settingsFlag map[string]string

func (f *settingsFlag) String() string { return fmt.Sprint(map[string]string(*f)) }

func (f *settingsFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || !strings.HasPrefix(k, "BOTD_") {
		return fmt.Errorf("want BOTD_KEY=VALUE, got %q", v)
	}
	if *f == nil {
		*f = settingsFlag{}
	}
	(*f)[k] = val
	return nil
}
