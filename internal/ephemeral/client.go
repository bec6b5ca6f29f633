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
// A self-built app (the default) has one tenant and one tenant token. A store
// app (Config.AppType AppTypeStore) serves many tenants: every call names its
// tenant in its context (package tenant) and is made with that tenant's
// token, obtained from the app access token, which is obtained from the
// app_ticket the platform pushes (store.go). A store app's call without a
// tenant is refused, never made with another tenant's token.
//
// Tokens, tickets and the app secret never appear in errors or logs.
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

// App types (Config.AppType).
const (
	AppTypeSelfBuilt = "self_built" // 企业自建应用: one tenant (the default)
	AppTypeStore     = "store"      // 应用商店应用: many tenants, tokens from the app_ticket
)

// Config configures a Client.
type Config struct {
	AppID     string // required
	AppSecret string // required; never logged

	// AppType is AppTypeSelfBuilt (the default when empty) or AppTypeStore.
	AppType string

	// BaseURL is "feishu" (the default when empty), "lark", or any http(s)
	// URL such as a simulator's.
	BaseURL string

	// Timeout bounds each HTTP exchange (token fetch and API call alike).
	// Zero means DefaultTimeout.
	Timeout time.Duration

	// TokenCache shares the tenant token between replicas, e.g. in Redis;
	// for a store app also the app_ticket, the app access token and each
	// tenant's token (the key names the tenant). It must be one app-wide
	// key space, not scoped by the context's tenant (see TokenCache). Nil
	// keeps them in memory, per Client: a store app then sees only the
	// tickets given to this Client.
	TokenCache TokenCache

	// HTTPClient sends the requests. Nil means a client whose Timeout is
	// Timeout. The per-call context deadline applies either way.
	HTTPClient *http.Client

	// Now is botd's clock [time.Now]; the tenant token's expiry is judged
	// on it. The playground moves it forward, and its simulator expires
	// tokens on the same clock, as the platform does on its own.
	Now func() time.Time
}

// Client calls the Open API on behalf of one app. It is safe for concurrent
// use.
type Client struct {
	sdk       *lark.Client
	http      *http.Client
	base      string // the Open API origin, for the calls the SDK cannot read (webapp.go)
	appID     string
	appSecret string
	tokens    *tokenSource // a self-built app's tenant token; nil for a store app
	store     *storeApp    // a store app's ticket and tokens (store.go); nil for a self-built app
	timeout   time.Duration
	log       *zap.Logger

	botMu     sync.Mutex
	botOpenID string            // cached: it never changes for an app
	botByTen  map[string]string // a store app's, per tenant (unconfirmed whether it differs)
}

// New builds a Client. It does not contact the platform; use Ready for that.
func New(cfg Config, log *zap.Logger) (*Client, error) {
	if strings.TrimSpace(cfg.AppID) == "" {
		return nil, errors.New("ephemeral: app id is required")
	}
	switch cfg.AppType {
	case "", AppTypeSelfBuilt, AppTypeStore:
	default:
		return nil, fmt.Errorf("ephemeral: app type %q: want %q or %q", cfg.AppType, AppTypeSelfBuilt, AppTypeStore)
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

	c := &Client{sdk: sdk, http: httpClient, base: base, appID: cfg.AppID, appSecret: cfg.AppSecret,
		timeout: timeout, log: log}
	cache := cfg.TokenCache
	if cache == nil {
		cache = newMemCache()
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	if cfg.AppType == AppTypeStore {
		c.store = newStoreApp(c, cache, now)
		return c, nil
	}
	c.tokens = c.newTokenSource("tenant token", tenantTokenKey(cfg.AppID), cache, now, c.selfBuiltToken)
	return c, nil
}

func (c *Client) newTokenSource(what, key string, cache TokenCache, now func() time.Time, obtain obtainFunc) *tokenSource {
	return &tokenSource{
		client: c,
		what:   what,
		obtain: obtain,
		cache:  cache,
		key:    key,
		sem:    make(chan struct{}, 1),
		now:    now,
	}
}

// StoreApp reports whether the client serves a store app.
func (c *Client) StoreApp() bool { return c.store != nil }

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
//
// A store app is ready when its cache answers and, once an app_ticket is
// known, an app access token can be had (see storeApp.ready): before the
// first ticket it is ready, since the ticket can only arrive once the load
// balancer sends the platform's requests to botd.
func (c *Client) Ready(ctx context.Context) error {
	if c.store != nil {
		if err := c.store.ready(ctx); err != nil {
			return fmt.Errorf("ephemeral: not ready: %w", err)
		}
		return nil
	}
	if err := c.tokens.ready(ctx); err != nil {
		return fmt.Errorf("ephemeral: not ready: %w", err)
	}
	return nil
}
