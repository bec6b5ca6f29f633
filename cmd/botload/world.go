package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/botd/botd/internal/feishusim"
	"github.com/botd/botd/internal/redisurl"
)

// credentials are generated for every run: the simulator and botd are told
// the same ones, and nothing real is ever used.
type credentials struct {
	appID, appSecret, token, encryptKey, tenantKey string
}

func newCredentials() credentials {
	return credentials{
		appID:      "cli_load" + randHex(6),
		appSecret:  randHex(16),
		token:      randHex(16),
		encryptKey: randHex(16),
		tenantKey:  "tenant_load",
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails on supported platforms
	return hex.EncodeToString(b)
}

// env is what every benchmark shares: where botd comes from, which Redis it
// uses, and where the children's logs go.
type env struct {
	botdBin  string // built or given botd binary
	workDir  string // temporary working directory for botd
	redisURL string // empty: botd's in-process store
	flush    bool   // FLUSHDB redisURL before each botd start
	stderr   io.Writer
	verbose  bool
	extra    map[string]string // -botd-env settings, applied last
	mode     string            // BOTD_EVENT_MODE: webhook or websocket
	pprofDir string            // -pprof: where botd's profiles go; "" for none
}

// longConn reports whether botd runs in websocket mode: the platform then
// delivers over the long connection botd opens to the simulator.
func (e env) longConn() bool { return e.mode == modeWebSocket }

// Event modes (-mode).
const (
	modeWebhook   = "webhook"
	modeWebSocket = "websocket"
)

// worldOpts shape one benchmark's world.
type worldOpts struct {
	chats, usersPerChat int
	enforceLimits       bool   // the simulator enforces the documented quotas
	rateLimits          string // BOTD_RATE_LIMITS: "off" or "documented"
	// config is botd's config file; "" for the default (fair use off,
	// see startBotd).
	config string
}

// world is the simulator served in this process on 127.0.0.1, its chats and
// members, and botd running against it.
type world struct {
	creds    credentials
	longConn bool // botd in websocket mode
	sim      *feishusim.Server
	simSrv   *http.Server
	botd     *proc
	prep     *preparer
	prof     *profiler  // nil unless -pprof
	members  [][]string // members[chat][user] open_ids
	chatIDs  []string
	event    *url.URL // botd's /webhook/event
	card     *url.URL // botd's /webhook/card
}

func startWorld(ctx context.Context, e env, o worldOpts) (_ *world, err error) {
	w := &world{creds: newCredentials(), longConn: e.longConn()}
	defer func() {
		if err != nil {
			w.close()
		}
	}()
	w.sim = feishusim.New(feishusim.Options{
		AppID: w.creds.appID, AppSecret: w.creds.appSecret, TenantKey: w.creds.tenantKey,
		EnforceRateLimits: o.enforceLimits,
	})
	for c := range o.chats {
		id := fmt.Sprintf("oc_load_%04d", c)
		members := make([]string, o.usersPerChat)
		for u := range members {
			members[u] = fmt.Sprintf("ou_load_%04d_%04d", c, u)
		}
		w.sim.AddChat(feishusim.Chat{ID: id, Name: "load " + id, OwnerID: members[0],
			Members: members, BotIsMember: true})
		w.chatIDs, w.members = append(w.chatIDs, id), append(w.members, members)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("simulator: %w", err)
	}
	w.simSrv = &http.Server{Handler: w.sim, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = w.simSrv.Serve(ln) }()

	if e.flush && e.redisURL != "" {
		if err := flushRedis(ctx, e.redisURL); err != nil {
			return nil, err
		}
	}
	settings := map[string]string{
		"BOTD_APP_ID":             w.creds.appID,
		"BOTD_APP_SECRET":         w.creds.appSecret,
		"BOTD_VERIFICATION_TOKEN": w.creds.token,
		"BOTD_ENCRYPT_KEY":        w.creds.encryptKey,
		"BOTD_OPEN_BASE_URL":      "http://" + ln.Addr().String(),
		"BOTD_LOG_LEVEL":          "warn",
		"BOTD_LOG_FORMAT":         "console",
		"BOTD_RATE_LIMITS":        o.rateLimits,
		"BOTD_EVENT_MODE":         modeWebhook,
	}
	if w.longConn {
		settings["BOTD_EVENT_MODE"] = modeWebSocket
	}
	if e.redisURL != "" {
		settings["BOTD_REDIS_URL"] = e.redisURL
	}
	var pprofAddr string
	if e.pprofDir != "" {
		// Read only by a botd built with -tags pprof (internal/app/pprof.go).
		if pprofAddr, err = freeAddr(); err != nil {
			return nil, err
		}
		settings["BOTD_PPROF_ADDR"] = pprofAddr
	}
	for k, v := range e.extra {
		settings[k] = v
	}
	// In websocket mode /readyz waits for the long connection too.
	if w.botd, err = startBotd(ctx, e.botdBin, e.workDir, settings, o.config, e.stderr); err != nil {
		return nil, err
	}
	if e.verbose {
		fmt.Fprintf(e.stderr, "botload: botd pid %d on %s (BOTD_RATE_LIMITS=%s, simulator quotas enforced: %v)\n",
			w.botd.pid(), w.botd.addr, o.rateLimits, o.enforceLimits)
	}
	w.prof = newProfiler(e.pprofDir, pprofAddr, e.stderr)
	w.prep = newPreparer(w.creds, w.longConn)
	w.event = endpoint(w.botd.addr, "/webhook/event")
	w.card = endpoint(w.botd.addr, "/webhook/card")
	return w, nil
}

// member is the u-th member of chat c, wrapping around, so that traffic
// spreads over every chat and user.
func (w *world) member(c, u int) (chatID, openID string) {
	c %= len(w.chatIDs)
	return w.chatIDs[c], w.members[c][u%len(w.members[c])]
}

// newSender is a sender to botd: over HTTP to its webhooks, or over the
// long connection in websocket mode.
func (w *world) newSender(conns int) *sender {
	s := newSender(conns)
	if w.longConn {
		s.lc = w.sim.LongConn()
	}
	return s
}

// close stops botd (SIGTERM, drain) and then the simulator botd talks to.
func (w *world) close() error {
	var errs []error
	if w.botd != nil {
		errs = append(errs, w.botd.stop(30*time.Second))
	}
	if w.sim != nil {
		w.sim.LongConn().Close() // hijacked: the server's Shutdown leaves it
	}
	if w.simSrv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		errs = append(errs, w.simSrv.Shutdown(ctx))
	}
	return errors.Join(errs...)
}

// checkRedisURL refuses anything but one server (redis://) or a cluster
// (redis+cluster://) on this machine: botload floods what it is given,
// and may FLUSHDB it. Sentinel is refused: botload measures one server's
// or every master's counters, not a primary that moves.
func checkRedisURL(raw string) error {
	u, err := redisurl.Parse(raw)
	if err != nil {
		return fmt.Errorf("-redis: %w", err)
	}
	if u.Kind == redisurl.Sentinel {
		return errors.New("-redis: want redis:// or redis+cluster://, not Sentinel")
	}
	for _, a := range u.Addrs {
		if !isLoopback(a) {
			return fmt.Errorf("-redis: %s is not on 127.0.0.1; botload only loads servers on this machine", a)
		}
	}
	return nil
}

// flushRedis empties the -redis database, or every master of a cluster
// (whose node addresses must be on loopback too).
func flushRedis(ctx context.Context, raw string) error {
	u, err := redisurl.Parse(raw)
	if err != nil {
		return fmt.Errorf("-redis: %w", err)
	}
	c := u.NewClient()
	defer c.Close()
	cc, ok := c.(*redis.ClusterClient)
	if !ok {
		if err := c.FlushDB(ctx).Err(); err != nil {
			return fmt.Errorf("flush redis: %w", err)
		}
		return nil
	}
	return cc.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error {
		if addr := n.Options().Addr; !isLoopback(addr) {
			return fmt.Errorf("flush redis: cluster node %s is not on 127.0.0.1", addr)
		}
		if err := n.FlushDB(ctx).Err(); err != nil {
			return fmt.Errorf("flush redis node %s: %w", n.Options().Addr, err)
		}
		return nil
	})
}
