package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/botd/botd/internal/feishusim"
)

// The costs benchmark measures what each step of each flow costs, one
// step at a time: N units of a step are sent, botload waits for the Open
// API calls the step makes and a moment more, and the difference of the
// counters over that span, less what botd does when idle over the same
// time, is divided by N. Counters: Redis commands (INFO commandstats),
// round trips (a proxy between botd and Redis, turnProxy), botd's CPU
// (/proc/PID/stat), Redis's CPU (INFO cpu) and memory (INFO memory), the
// Open API calls the simulator recorded. After each step a census of the
// database says which keys the step left behind, their size and TTL.
//
// botd runs as in production as far as Redis is concerned: BOTD_RATE_LIMITS
// =documented (each Open API call runs the limiter's script) and fair use
// on (one script per command), but with quotas and caps set far above the
// load so that nothing waits or is refused: the steps measure work, not
// pacing.

type costsConfig struct {
	n            int           // units per step
	workers      int           // concurrent senders
	idle         time.Duration // the idle span measured first
	settle       time.Duration // after a step's last expected call
	wait         time.Duration // at most, for a step's calls
	chats, users int
	reserve      int // forms for the invalid-submit step
}

// costsBotdConfig is botd's config file for the benchmark: every quota
// and cap far above what the load reaches, so that nothing waits, while
// the limiter and fair use still run their scripts.
const costsBotdConfig = `quotas:
  ephemeral_per_chat: 1000000
  app_per_second: 1000000
  app_per_minute: 60000000
  messages_per_chat: 1000000
  messages_per_user: 1000000
  updates_per_message: 1000000
fair_use: {member_commands: 1000000, chat_commands: 1000000, window: 10s}
`

// costStep is one step's cost per unit.
type costStep struct {
	Name    string  `json:"name"`
	What    string  `json:"what"`
	Units   int     `json:"units"`
	Failed  int     `json:"failed"` // deliveries not answered as expected
	Seconds float64 `json:"seconds"`
	// The measured span, to match with other records of the run (a
	// MONITOR of the server, botd's logs).
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Per unit, less the idle background over the step's time.
	Commands   float64 `json:"commands"`
	Scripts    float64 `json:"scripts"`
	RoundTrips float64 `json:"round_trips"`
	BotdCPUUS  float64 `json:"botd_cpu_us"`
	RedisCPUUS float64 `json:"redis_cpu_us"`
	// Per unit, everything over the step's time.
	RawCommands   float64 `json:"raw_commands"`
	RawRoundTrips float64 `json:"raw_round_trips"`
	RawBotdCPUUS  float64 `json:"raw_botd_cpu_us"`
	RawRedisCPUUS float64 `json:"raw_redis_cpu_us"`
	// INFO used_memory after the step less before, per unit (includes
	// what expires later and the allocator's own overhead).
	UsedMemoryBytes float64 `json:"used_memory_bytes"`
	// Commands by name per unit, less the idle background; the largest.
	Top map[string]float64 `json:"top"`
	// Open API calls per unit, by method and path.
	Calls map[string]float64 `json:"open_api_calls"`
	// The census's change over the step: which keys the step left.
	State []classDelta `json:"state,omitempty"`
}

// idleRates is what botd does when nothing happens, per second.
type idleRates struct {
	Seconds    float64            `json:"seconds"`
	Commands   float64            `json:"commands_per_s"`
	Scripts    float64            `json:"scripts_per_s"`
	RoundTrips float64            `json:"round_trips_per_s"`
	BotdCPU    float64            `json:"botd_cpu_share"`  // cores
	RedisCPU   float64            `json:"redis_cpu_share"` // cores
	ByCommand  map[string]float64 `json:"by_command"`
}

type costsResult struct {
	Units int         `json:"units_per_step"`
	Idle  idleRates   `json:"idle"`
	Steps []*costStep `json:"steps"`
	// Census is every class of key at the end.
	Census []classStats `json:"census"`
}

// gauge is every counter at one moment.
type gauge struct {
	at    time.Time
	calls redisCalls
	turns int64
	cpu   cpuSeconds
	mem   int64
}

type meter struct {
	pid   int
	rs    *redisStats
	proxy *turnProxy
}

func (m meter) read(ctx context.Context) gauge {
	g := gauge{at: time.Now(), calls: m.rs.snapshot(ctx), turns: m.proxy.count(), cpu: takeCPU(ctx, m.pid, m.rs)}
	if u, ok := m.rs.usage(ctx); ok {
		g.mem = u.UsedMemory
	}
	return g
}

// span is what happened between two gauges.
type span struct {
	seconds float64
	calls   map[string]int64 // by command, INFO left out
	turns   int64
	cpu     cpuSeconds
	mem     int64
}

func (a gauge) to(b gauge) span {
	s := span{seconds: b.at.Sub(a.at).Seconds(), calls: map[string]int64{}, turns: b.turns - a.turns,
		cpu: b.cpu.since(a.cpu), mem: b.mem - a.mem}
	for name, n := range b.calls {
		if d := n - a.calls[name]; d > 0 && name != "info" {
			s.calls[name] = d
		}
	}
	return s
}

func isScript(name string) bool {
	return name == "evalsha" || name == "eval" || name == "evalsha_ro" || name == "eval_ro"
}

func (s span) rates() idleRates {
	r := idleRates{Seconds: s.seconds, ByCommand: map[string]float64{}}
	for name, n := range s.calls {
		per := float64(n) / s.seconds
		r.ByCommand[name] = per
		r.Commands += per
		if isScript(name) {
			r.Scripts += per
		}
	}
	r.RoundTrips = float64(s.turns) / s.seconds
	r.BotdCPU = max(s.cpu.botd, 0) / s.seconds
	r.RedisCPU = max(s.cpu.redis, 0) / s.seconds
	return r
}

// perUnit fills st's figures from the span, less idle over its time.
func (st *costStep) perUnit(s span, idle idleRates) {
	n := float64(st.Units)
	st.Seconds = s.seconds
	net := func(total, rate float64) float64 { return (total - rate*s.seconds) / n }
	var raw, scripts float64
	st.Top = map[string]float64{}
	type kv struct {
		name string
		v    float64
	}
	var byName []kv
	for name, c := range s.calls {
		raw += float64(c)
		v := net(float64(c), idle.ByCommand[name])
		if isScript(name) {
			scripts += v
		}
		byName = append(byName, kv{name, v})
	}
	st.RawCommands = raw / n
	st.Commands = net(raw, idle.Commands)
	st.Scripts = scripts
	sort.Slice(byName, func(i, j int) bool { return byName[i].v > byName[j].v })
	for _, x := range byName[:min(len(byName), 12)] {
		if x.v >= 0.005 {
			st.Top[x.name] = x.v
		}
	}
	st.RawRoundTrips = float64(s.turns) / n
	st.RoundTrips = net(float64(s.turns), idle.RoundTrips)
	if s.cpu.botd >= 0 {
		st.RawBotdCPUUS = s.cpu.botd * 1e6 / n
		st.BotdCPUUS = net(s.cpu.botd, idle.BotdCPU) * 1e6
	}
	if s.cpu.redis >= 0 {
		st.RawRedisCPUUS = s.cpu.redis * 1e6 / n
		st.RedisCPUUS = net(s.cpu.redis, idle.RedisCPU) * 1e6
	}
	st.UsedMemoryBytes = float64(s.mem) / n
}

// API paths as the report groups them: platform ids become ":id".
var pathIDRE = regexp.MustCompile(`/(oc|om|ou|on)_[A-Za-z0-9_\-]+`)

func callKey(c feishusim.Call) string {
	return c.Method + " " + pathIDRE.ReplaceAllString(c.Path, "/:id")
}

// Open API calls a step waits for.
const (
	callEphemeralSend   = "POST /open-apis/ephemeral/v1/send"
	callEphemeralDelete = "POST /open-apis/ephemeral/v1/delete"
	callMessageCreate   = "POST /open-apis/im/v1/messages"
	callMessagePatch    = "PATCH /open-apis/im/v1/messages/:id"
)

// costsRun is one run's world and counters.
type costsRun struct {
	cfg    costsConfig
	w      *world
	s      *sender
	m      meter
	rdb    *redis.Client
	idle   idleRates
	res    *costsResult
	last   census
	stderr func(format string, args ...any)
}

// checkCostsRedis wants one server: a cluster's clients follow
// redirections to every master, which one proxy cannot stand between, and
// a census would need them all.
func checkCostsRedis(raw string) error {
	if raw == "" {
		return errors.New("costs needs a real Redis on loopback: pass -redis redis://127.0.0.1:PORT/DB")
	}
	if _, err := redis.ParseURL(raw); err != nil {
		return errors.New("costs needs one server: -redis redis://127.0.0.1:PORT/DB (not a cluster)")
	}
	return nil
}

func runCosts(ctx context.Context, e env, cfg costsConfig) (*costsResult, error) {
	if err := checkCostsRedis(e.redisURL); err != nil {
		return nil, err
	}
	opts, err := redis.ParseURL(e.redisURL)
	if err != nil {
		return nil, err
	}
	proxy, err := newTurnProxy(opts.Addr)
	if err != nil {
		return nil, err
	}
	defer proxy.close()
	proxied, err := url.Parse(e.redisURL)
	if err != nil {
		return nil, errors.New("-redis: not a valid URL")
	}
	proxied.Host = proxy.addr()
	// botd talks to Redis through the proxy; botload's own reads (INFO,
	// the census, -flush) go straight to the server.
	be := e
	be.extra = map[string]string{}
	for k, v := range e.extra {
		be.extra[k] = v
	}
	be.extra["BOTD_REDIS_URL"] = proxied.String()

	w, err := startWorld(ctx, be, worldOpts{chats: cfg.chats, usersPerChat: cfg.users, rateLimits: "documented", config: costsBotdConfig})
	if err != nil {
		return nil, err
	}
	defer w.close()
	rs, err := newRedisStats(ctx, e.redisURL)
	if err != nil {
		return nil, err
	}
	defer rs.close()
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	s := w.newSender(cfg.workers)
	defer s.close()

	r := &costsRun{cfg: cfg, w: w, s: s, m: meter{pid: w.botd.pid(), rs: rs, proxy: proxy}, rdb: rdb,
		res: &costsResult{Units: cfg.n}, stderr: func(string, ...any) {}}
	if e.verbose {
		r.stderr = func(format string, args ...any) { fmt.Fprintf(e.stderr, "botload: costs: "+format+"\n", args...) }
	}
	if r.last, err = takeCensus(ctx, rdb); err != nil {
		return nil, err
	}
	if err := r.measureIdle(ctx); err != nil {
		return nil, err
	}
	for _, step := range []func(context.Context) error{r.todo, r.remind, r.help, r.chatter, r.invalid} {
		if err := step(ctx); err != nil {
			return r.res, err
		}
	}
	final, err := takeCensus(ctx, rdb)
	if err != nil {
		return r.res, err
	}
	r.res.Census = final.list()
	return r.res, nil
}

// measureIdle waits a moment for start-up work to end, then measures botd
// doing nothing.
func (r *costsRun) measureIdle(ctx context.Context) error {
	if err := sleepCtx(ctx, time.Second); err != nil {
		return err
	}
	a := r.m.read(ctx)
	if err := sleepCtx(ctx, r.cfg.idle); err != nil {
		return err
	}
	r.idle = a.to(r.m.read(ctx)).rates()
	r.res.Idle = r.idle
	r.stderr("idle: %.0f commands/s, %.0f round trips/s", r.idle.Commands, r.idle.RoundTrips)
	return nil
}

// step measures send (which delivers the step's units) and then waits for
// want Open API calls (counted from the step's start) and the settle time.
// from, when not zero, is when the measured span starts instead of now
// (remind.fire: the due time). A census follows.
func (r *costsRun) step(ctx context.Context, name, what string, units int, send func() (failed int, err error), want map[string]int) error {
	marker := len(r.w.sim.Calls())
	st := &costStep{Name: name, What: what, Units: units}
	r.stderr("%s: %d units", name, units)
	a := r.m.read(ctx)
	failed, err := send()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	st.Failed = failed
	calls, err := r.waitCalls(ctx, marker, want)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := sleepCtx(ctx, r.cfg.settle); err != nil {
		return err
	}
	b := r.m.read(ctx)
	st.Start, st.End = a.at, b.at
	st.perUnit(a.to(b), r.idle)
	st.Calls = map[string]float64{}
	for k, n := range calls {
		st.Calls[k] = float64(n) / float64(units)
	}
	c, err := takeCensus(ctx, r.rdb)
	if err != nil {
		return err
	}
	st.State, r.last = c.diff(r.last), c
	r.res.Steps = append(r.res.Steps, st)
	return nil
}

// waitCalls waits until the simulator recorded want successful calls of
// each kind after marker, and returns every call after marker by kind.
func (r *costsRun) waitCalls(ctx context.Context, marker int, want map[string]int) (map[string]int, error) {
	deadline := time.Now().Add(r.cfg.wait)
	for {
		got := map[string]int{}
		ok := map[string]int{}
		for _, c := range r.w.sim.Calls()[marker:] {
			got[callKey(c)]++
			if c.Status == http.StatusOK && c.Code == 0 && !c.Duplicate {
				ok[callKey(c)]++
			}
		}
		done := true
		for k, n := range want {
			if ok[k] < n {
				done = false
			}
		}
		if done {
			return got, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("waited %v for the Open API calls: have %v, want %v", r.cfg.wait, ok, want)
		}
		if err := sleepCtx(ctx, 200*time.Millisecond); err != nil {
			return nil, err
		}
	}
}

// deliver posts every request to u with the configured concurrency and
// counts those whose answer check refuses (check may be nil: 200 is enough).
func (r *costsRun) deliver(ctx context.Context, u *url.URL, reqs []prepared, check func(status int, body []byte) error) (int, error) {
	var next, failed atomic.Int64
	var first atomic.Value
	var wg sync.WaitGroup
	for range r.cfg.workers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(reqs) && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				status, body, err := r.s.send(ctx, u, reqs[i], check != nil)
				if err == nil && check != nil {
					err = check(status, body)
				} else if err == nil && status != http.StatusOK {
					err = fmt.Errorf("HTTP %d", status)
				}
				if err != nil {
					failed.Add(1)
					first.CompareAndSwap(nil, err.Error())
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if f := failed.Load(); f > 0 {
		r.stderr("%d of %d failed; first: %v", f, len(reqs), first.Load())
	}
	return int(failed.Load()), nil
}

// commands prepares "/NAME <tag title>" (or "/help") from every member
// slot in turn.
func (r *costsRun) commands(name string, t tag) ([]prepared, error) {
	reqs := make([]prepared, r.cfg.n)
	for i := range reqs {
		chat, user := r.w.member(i, i/len(r.w.chatIDs))
		text := "/" + name
		if name != "help" {
			text += " " + t.title(i)
		}
		var err error
		if reqs[i], err = r.w.prep.text(feishusim.MessageOpts{ChatID: chat, ChatType: "group", SenderOpenID: user, Text: text}); err != nil {
			return nil, err
		}
	}
	return reqs, nil
}

// forms returns the form of each tagged command 0..n-1, in order.
func (r *costsRun) forms(t tag, n int) ([]feishusim.Ephemeral, error) {
	forms := make([]feishusim.Ephemeral, n)
	found := 0
	for _, e := range r.w.sim.Ephemerals() {
		if i := t.index(e.Card); i >= 0 && i < n && forms[i].MessageID == "" {
			forms[i] = e
			found++
		}
	}
	if found != n {
		return nil, fmt.Errorf("found %d of %d forms", found, n)
	}
	return forms, nil
}

// submits prepares a submit of each form with the values values(i) gives.
func (r *costsRun) submits(forms []feishusim.Ephemeral, values func(i int) map[string]any) ([]prepared, error) {
	reqs := make([]prepared, len(forms))
	for i, f := range forms {
		value, ok := feishusim.ButtonValue(f.Card, "submit_btn")
		if !ok {
			return nil, fmt.Errorf("form %d has no submit button", i)
		}
		var err error
		if reqs[i], err = r.w.prep.click(feishusim.ActionOpts{OperatorOpenID: f.OpenID, ChatID: f.ChatID,
			MessageID: f.MessageID, Value: value, FormValue: values(i), Name: "submit_btn", Tag: "button"}); err != nil {
			return nil, err
		}
	}
	return reqs, nil
}

func successToast(status int, body []byte) error { return checkAnswer(status, body, "submit") }

// todo: command → form; submit → group card, form deleted; Mark done →
// the card updated.
func (r *costsRun) todo(ctx context.Context) error {
	n, t := r.cfg.n, tag{kind: "costs", round: 1}
	reqs, err := r.commands("todo", t)
	if err != nil {
		return err
	}
	if err := r.step(ctx, "todo.command", "/todo: webhook, interaction, send_form job (ephemeral form)", n,
		func() (int, error) { return r.deliver(ctx, r.w.event, reqs, nil) },
		map[string]int{callEphemeralSend: n}); err != nil {
		return err
	}
	forms, err := r.forms(t, n)
	if err != nil {
		return err
	}
	due := time.Now().UTC().AddDate(0, 0, 30).Format("2006-01-02 -0700")
	subs, err := r.submits(forms, func(i int) map[string]any {
		return map[string]any{"title": t.title(i), "notes": "from botload", "due_date": due}
	})
	if err != nil {
		return err
	}
	if err := r.step(ctx, "todo.submit", "form submit (due date in 30 days): callback, finish job (group card, form deleted), record and indexes", n,
		func() (int, error) { return r.deliver(ctx, r.w.card, subs, successToast) },
		map[string]int{callMessageCreate: n, callEphemeralDelete: n}); err != nil {
		return err
	}
	// The group cards, clicked by their creators.
	byIndex := make([]feishusim.Message, n)
	found := 0
	for _, m := range r.w.sim.Messages() {
		if i := t.index([]byte(m.Content)); i >= 0 && i < n && byIndex[i].MessageID == "" {
			byIndex[i] = m
			found++
		}
	}
	if found != n {
		return fmt.Errorf("todo.done: found %d of %d group cards", found, n)
	}
	clicks := make([]prepared, n)
	for i, m := range byIndex {
		value, ok := feishusim.ButtonValue(json.RawMessage(m.Content), "todo_done_btn")
		if !ok {
			return fmt.Errorf("todo.done: card %d has no Mark done button", i)
		}
		if clicks[i], err = r.w.prep.click(feishusim.ActionOpts{OperatorOpenID: forms[i].OpenID, ChatID: m.ChatID,
			MessageID: m.MessageID, Value: value, Name: "todo_done_btn", Tag: "button"}); err != nil {
			return err
		}
	}
	return r.step(ctx, "todo.done", "Mark done on the group card: callback (membership check, record update), card update job (PATCH)", n,
		func() (int, error) { return r.deliver(ctx, r.w.card, clicks, successToast) },
		map[string]int{callMessagePatch: n})
}

// remind: command → form; submit → set card, due-set entry; the due time
// → the reminder posted.
func (r *costsRun) remind(ctx context.Context) error {
	n, t := r.cfg.n, tag{kind: "costs", round: 2}
	reqs, err := r.commands("remind", t)
	if err != nil {
		return err
	}
	if err := r.step(ctx, "remind.command", "/remind: webhook, interaction, send_form job (ephemeral form)", n,
		func() (int, error) { return r.deliver(ctx, r.w.event, reqs, nil) },
		map[string]int{callEphemeralSend: n}); err != nil {
		return err
	}
	forms, err := r.forms(t, n)
	if err != nil {
		return err
	}
	// Due at a minute boundary far enough ahead for every submit to land
	// before it (the form has minutes only): the todo submits' time, twice,
	// and 20 s.
	budget := 20 * time.Second
	for _, st := range r.res.Steps {
		if st.Name == "todo.submit" {
			budget += 2 * time.Duration(st.Seconds*float64(time.Second))
		}
	}
	// The callback says the member is in Asia/Shanghai (feishusim's
	// default), and a member's zone wins over the picker's offset: the
	// wall time is given there (UTC+8 all year).
	dueAt := time.Now().Add(budget).In(time.FixedZone("CST", 8*3600)).Truncate(time.Minute).Add(time.Minute)
	subs, err := r.submits(forms, func(i int) map[string]any {
		return map[string]any{"what": t.title(i), "date": dueAt.Format("2006-01-02 -0700"), "time": dueAt.Format("15:04 -0700"),
			"repeat": "once", "notify": "sender"}
	})
	if err != nil {
		return err
	}
	if err := r.step(ctx, "remind.submit", "form submit (once, due in about a minute): callback, finish job (set card, form deleted), record, due-set entry", n,
		func() (int, error) { return r.deliver(ctx, r.w.card, subs, successToast) },
		map[string]int{callMessageCreate: n, callEphemeralDelete: n}); err != nil {
		return err
	}
	if from := dueAt.Add(-time.Second); time.Now().After(from) {
		return fmt.Errorf("remind.fire: the submit step ended %v after %v; the fire cannot be measured alone (fewer units, or a less busy machine)", time.Since(from), from)
	}
	// The fire is measured from a second before the due time.
	if err := sleepCtx(ctx, time.Until(dueAt.Add(-time.Second))); err != nil {
		return err
	}
	return r.step(ctx, "remind.fire", "the due time: scheduler moves the entry to the bulk queue, fire job posts the reminder and updates the record", n,
		func() (int, error) { return 0, nil }, map[string]int{callMessageCreate: n})
}

// help: /help → the help card, privately.
func (r *costsRun) help(ctx context.Context) error {
	reqs, err := r.commands("help", tag{})
	if err != nil {
		return err
	}
	return r.step(ctx, "help.command", "/help: webhook, interaction, send_form job (ephemeral card)", r.cfg.n,
		func() (int, error) { return r.deliver(ctx, r.w.event, reqs, nil) },
		map[string]int{callEphemeralSend: r.cfg.n})
}

// chatter: plain group messages, which botd answers and otherwise ignores.
func (r *costsRun) chatter(ctx context.Context) error {
	reqs, err := prepareEvents(r.w, tag{kind: "chatter"}, r.cfg.n, true)
	if err != nil {
		return err
	}
	return r.step(ctx, "chatter", "a group message that is not a command", r.cfg.n,
		func() (int, error) { return r.deliver(ctx, r.w.event, reqs, nil) }, nil)
}

// invalid: a submit that fails validation, answered with the form again:
// the card callback with the least work behind it.
func (r *costsRun) invalid(ctx context.Context) error {
	t := tag{kind: "costs", round: 3}
	forms, err := createForms(ctx, r.w, r.s, t, r.cfg.reserve, r.cfg.wait)
	if err != nil {
		return err
	}
	// The forms' own state is not the step's.
	if r.last, err = takeCensus(ctx, r.rdb); err != nil {
		return err
	}
	all := make([]feishusim.Ephemeral, r.cfg.n)
	for i := range all {
		all[i] = forms[i%len(forms)]
	}
	reqs, err := r.submits(all, func(int) map[string]any { return map[string]any{"title": "   "} })
	if err != nil {
		return err
	}
	return r.step(ctx, "callback.invalid", "a form submit that fails validation: callback answered with the form again", r.cfg.n,
		func() (int, error) {
			return r.deliver(ctx, r.w.card, reqs, func(status int, body []byte) error { return checkAnswer(status, body, "invalid") })
		}, nil)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// write prints the steps, the idle background and the final census.
func (x *costsResult) write(b *bytes.Buffer) {
	fmt.Fprintf(b, "\ncosts: %d units per step, each less botd's idle background over its time\n", x.Units)
	fmt.Fprintf(b, "  idle (%.1f s): %.0f commands/s (%.0f scripts/s), %.0f round trips/s, botd CPU %.1f%%, redis CPU %.1f%% of a core\n",
		x.Idle.Seconds, x.Idle.Commands, x.Idle.Scripts, x.Idle.RoundTrips, x.Idle.BotdCPU*100, x.Idle.RedisCPU*100)
	for _, st := range x.Steps {
		fmt.Fprintf(b, "\n  %s (%s): %d units in %.2f s, %d failed\n", st.Name, st.What, st.Units, st.Seconds, st.Failed)
		fmt.Fprintf(b, "    per unit: %.2f commands (%.2f scripts), %.2f round trips, botd CPU %.0f µs, redis CPU %.0f µs, used_memory %+.0f B\n",
			st.Commands, st.Scripts, st.RoundTrips, st.BotdCPUUS, st.RedisCPUUS, st.UsedMemoryBytes)
		fmt.Fprintf(b, "    with the background: %.2f commands, %.2f round trips, botd CPU %.0f µs, redis CPU %.0f µs\n",
			st.RawCommands, st.RawRoundTrips, st.RawBotdCPUUS, st.RawRedisCPUUS)
		fmt.Fprintf(b, "    commands: %s\n", sortedFigures(st.Top, "%.2f"))
		fmt.Fprintf(b, "    Open API calls: %s\n", sortedFigures(st.Calls, "%.3f"))
		for _, d := range st.State {
			if abs64(d.Bytes) < int64(st.Units)/10 && abs64(d.Keys) < int64(st.Units)/100 {
				continue // a few keys that come and go: per-chat caches, rate windows
			}
			fmt.Fprintf(b, "    state %-58s %-6s %+8d keys %+8d elems %+12d B  (%.1f B/unit) ttl %s\n",
				d.Class, d.Type, d.Keys, d.Elements, d.Bytes, float64(d.Bytes)/float64(st.Units), ttlText(d.MaxTTL))
		}
	}
	fmt.Fprintf(b, "\n  census at the end (class, type, keys, elements, bytes, bytes/key, TTL range):\n")
	for _, c := range x.Census {
		fmt.Fprintf(b, "    %-60s %-6s %8d %9d %12d %8.0f  %s–%s\n", c.Class, c.Type, c.Keys, c.Elements, c.Bytes,
			float64(c.Bytes)/float64(max(c.Keys, 1)), ttlText(c.MinTTL), ttlText(c.MaxTTL))
	}
}

// sortedFigures is "a 1.00, b 0.50" by value, largest first.
func sortedFigures(m map[string]float64, format string) string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		if m[names[i]] != m[names[j]] {
			return m[names[i]] > m[names[j]]
		}
		return names[i] < names[j]
	})
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = fmt.Sprintf("%s "+format, k, m[k])
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
