// Package ephemeral is botd's client for the Feishu/Lark Open API: ephemeral
// ("only visible to you") cards, group cards, chat and bot information.
//
// It wraps github.com/larksuite/oapi-sdk-go/v3 and hardens what the SDK leaves
// weak: every call has a deadline, the tenant token is kept per Client (and
// optionally shared through a TokenCache) and refreshed once when the platform
// rejects it, and every failure comes back as an *APIError that says whether
// retrying can help. The client itself never retries anything else: retry
// policy lives in the job queue.
//
// Tokens and the app secret never appear in errors or logs.
package ephemeral

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	lark "github.com/larksuite/oapi-sdk-go/v3"
	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	"go.uber.org/zap"
)

// DefaultTimeout bounds each HTTP exchange with the platform when
// Config.Timeout is zero.
const DefaultTimeout = 5 * time.Second

// Hosts of the two deployments (docs/feishu-platform.md §1).
const (
	FeishuBaseURL = "https://open.feishu.cn"
	LarkBaseURL   = "https://open.larksuite.com"
)

// Config configures a Client.
type Config struct {
	AppID     string // required
	AppSecret string // required; never logged

	// BaseURL is "feishu" (the default when empty), "lark", or any http(s)
	// URL such as a simulator's.
	BaseURL string

	// Timeout bounds each HTTP exchange (token fetch and API call alike).
	// Zero means DefaultTimeout.
	Timeout time.Duration

	// TokenCache shares the tenant token between replicas, e.g. in Redis.
	// Nil keeps it in memory, per Client.
	TokenCache TokenCache

	// HTTPClient sends the requests. Nil means a client whose Timeout is
	// Timeout. The per-call context deadline applies either way.
	HTTPClient *http.Client

	// Now is botd's clock [time.Now]; the tenant token's expiry is judged
	// on it. The playground moves it forward, and its simulator expires
	// tokens on the same clock, as the platform does on its own.
	Now func() time.Time
}

// Client calls the Open API on behalf of one self-built app. It is safe for
// concurrent use.
type Client struct {
	sdk     *lark.Client
	http    *http.Client
	base    string // the Open API origin, for the calls the SDK cannot read (webapp.go)
	tokens  *tokenSource
	timeout time.Duration
	log     *zap.Logger

	botMu     sync.Mutex
	botOpenID string // cached: it never changes for an app
}

// New builds a Client. It does not contact the platform; use Ready for that.
func New(cfg Config, log *zap.Logger) (*Client, error) {
	if strings.TrimSpace(cfg.AppID) == "" {
		return nil, errors.New("ephemeral: app id is required")
	}
	if cfg.AppSecret == "" {
		return nil, errors.New("ephemeral: app secret is required")
	}
	base, err := ParseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("ephemeral: negative timeout %s", cfg.Timeout)
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	if log == nil {
		log = zap.NewNop()
	}
	log = log.Named("ephemeral")

	// The SDK's own default has no timeout at all (http.DefaultClient).
	httpClient := cfg.HTTPClient
	if httpClient == nil {
		// The default transport keeps only 2 idle connections per host;
		// every job talks to the same host, so under load most requests
		// would pay a new TCP (and TLS) handshake.
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConns = 256
		tr.MaxIdleConnsPerHost = 128
		httpClient = &http.Client{Timeout: timeout, Transport: tr}
	}

	// The SDK's own token manager is turned off: it lives in package
	// variables (one cache per process, replaced without locking by every
	// lark.NewClient given a cache), it cannot drop a token the platform
	// rejected, and it retries with that same token. tokenSource does the
	// job per Client and passes the token per request. (Re-checked at
	// v3.11.0: core/tokenmanager.go and core/cache.go are unchanged in
	// these respects; only the cache key now names the tenant too.)
	sdk := lark.NewClient(cfg.AppID, cfg.AppSecret,
		lark.WithOpenBaseUrl(base),
		lark.WithEnableTokenCache(false),
		lark.WithHttpClient(recordingClient{inner: httpClient}),
		lark.WithLogger(sdkLogger{log: log.Named("sdk")}),
		lark.WithLogLevel(larkcore.LogLevelWarn),
		// Request dumps would carry message bodies and card tokens. (Since
		// v3.11.0 they redact Authorization, but not the bodies.)
		lark.WithLogReqAtDebug(false),
	)

	c := &Client{sdk: sdk, http: httpClient, base: base, timeout: timeout, log: log}
	cache := cfg.TokenCache
	if cache == nil {
		cache = newMemCache()
	}
	c.tokens = &tokenSource{
		client:    c,
		appID:     cfg.AppID,
		appSecret: cfg.AppSecret,
		cache:     cache,
		key:       tenantTokenKey(cfg.AppID),
		sem:       make(chan struct{}, 1),
		now:       cfg.Now,
	}
	if c.tokens.now == nil {
		c.tokens.now = time.Now
	}
	return c, nil
}

// ParseBaseURL turns the configured base URL ("feishu", "lark" or an http(s)
// URL) into the Open API origin, without a trailing slash. Empty means feishu.
func ParseBaseURL(s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "feishu":
		return FeishuBaseURL, nil
	case "lark":
		return LarkBaseURL, nil
	}
	// Errors echo the URL only in redacted form: a password in it must not
	// reach logs.
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return "", errors.New("ephemeral: base url: not a URL; want feishu, lark or an http(s) URL")
	}
	switch {
	case u.User != nil:
		return "", fmt.Errorf("ephemeral: base url %q: must not contain user info", u.Redacted())
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("ephemeral: base url %q: want feishu, lark or an http(s) URL", u.Redacted())
	case u.Host == "":
		return "", fmt.Errorf("ephemeral: base url %q: no host", u.Redacted())
	case u.RawQuery != "" || u.Fragment != "":
		return "", fmt.Errorf("ephemeral: base url %q: must not have a query or fragment", u.Redacted())
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// Close drops the client's idle connections. Call it when botd stops: a
// connection dialled for a request that then took another one sits unused,
// and a server shutting down waits seconds for such connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// Ready reports whether a tenant token can be had. /readyz calls it on every
// probe, so it answers from what the client already knows: a token in hand
// that has not expired by botd's clock is ready; a token fetch that failed
// moments ago (readyRecheck) is not, with that failure. Only when it knows
// neither does it get a token as a call would: from the shared cache, or
// with at most one fetch at a time.
func (c *Client) Ready(ctx context.Context) error {
	if err := c.tokens.ready(ctx); err != nil {
		return fmt.Errorf("ephemeral: not ready: %w", err)
	}
	return nil
}
