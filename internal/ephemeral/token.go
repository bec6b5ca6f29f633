package ephemeral

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	"go.uber.org/zap"

	"github.com/botd/botd/internal/tenant"
)

// TokenCache stores the tenant access token so that replicas share one (for
// example in Redis); a store app's app_ticket, app access token and
// per-tenant tokens too (store.go). It has the shape of the SDK's
// larkcore.Cache, so one adapter can serve both. Get returns "" and a nil
// error for a missing or expired key. A cache that also has Delete(ctx, key)
// error gets rejected tokens deleted rather than overwritten with "".
//
// It must be one app-wide key space: the client puts the tenant into the
// keys that belong to one, and hands the cache contexts without a tenant
// (appCtx), so a cache that scoped its keys by the context's tenant would
// not find the app's ticket and token.
type TokenCache interface {
	Set(ctx context.Context, key, value string, ttl time.Duration) error
	Get(ctx context.Context, key string) (string, error)
}

const (
	opToken = "auth.tenant_access_token"

	// tokenExpiryMargin is taken off the platform's "expire", as the SDK
	// does, so a token is never used in its last minutes.
	tokenExpiryMargin = 3 * time.Minute

	// dropTTL is how long the empty value that replaces a rejected token
	// lives in a cache without Delete. A whole second keeps caches that round
	// TTLs down to seconds (Redis SETEX) from seeing zero.
	dropTTL = time.Second

	// readyRecheck is how long Ready answers from a failed token fetch
	// before it lets a probe try again: load balancers probe every few
	// seconds, and each probe must not become a request to the platform.
	readyRecheck = 5 * time.Second
)

// tenantTokenKey is the cache key of a self-built app's tenant token. The
// value carries the token's expiry (see cachedToken), so the key differs
// from the one earlier botd versions stored a bare token under: replicas of
// both versions may share a Redis during a rolling upgrade without reading
// each other's values.
func tenantTokenKey(appID string) string {
	return "tenant_access_token:v2:" + appID
}

// cachedToken is the value stored in the TokenCache: the token and when it
// must no longer be used, in Unix milliseconds on botd's clock. The expiry
// travels with the token because the cache's own TTL runs on the cache's
// clock (Redis's), which is not the one the platform judges the token by
// when botd's clock is moved (the playground) or jumps (a resumed VM).
type cachedToken struct {
	Token     string `json:"token"`
	ExpiresMS int64  `json:"expires_ms"`
}

// tokenSource hands out one access token: the tenant access token of a
// self-built app (POST /open-apis/auth/v3/tenant_access_token/internal,
// fetched through the SDK), or for a store app its app access token or one
// tenant's tenant access token (store.go). It caches the token and fetches at
// most one at a time per Client.
//
// Expiry is judged on now, botd's clock, by wall time: the platform (and the
// simulator, which follows botd's clock in the playground) expires a token
// by its own wall clock, so a token is refreshed before it would be
// rejected even after the clock jumps forward. Monotonic readings would
// miss a jump: they do not advance while a VM is suspended.
type tokenSource struct {
	client *Client
	what   string // "tenant token", "app token": for logs
	obtain obtainFunc
	cache  TokenCache
	key    string
	sem    chan struct{} // one slot: the refresh in progress
	now    func() time.Time

	mu sync.Mutex
	// local keeps the token in memory in front of the shared cache, which is
	// a Redis round trip on every call otherwise. It is read from memory
	// until localUntil (real time, kept well under tokenExpiryMargin) so a
	// token another replica saw rejected and replaced is dropped here soon,
	// and never at or after localExpires (botd's clock).
	local        string
	localUntil   time.Time
	localExpires time.Time
	// The outcome of the last fetch from the platform, at (real time).
	fetchedAt time.Time
	fetchErr  error
}

// localTTL bounds how long a token is used from memory without looking at
// the shared cache.
const localTTL = 30 * time.Second

// wallNow is botd's clock without its monotonic reading, so comparisons
// with it are by wall time.
func (s *tokenSource) wallNow() time.Time { return s.now().Round(0) }

func (s *tokenSource) fromMemory() string {
	now := s.wallNow()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.local != "" && time.Now().Before(s.localUntil) && now.Before(s.localExpires) {
		return s.local
	}
	return ""
}

func (s *tokenSource) remember(tok string, expires time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.local, s.localUntil, s.localExpires = tok, time.Now().Add(localTTL), expires
}

func (s *tokenSource) forget(bad string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.local == bad {
		s.local = ""
	}
}

// held reports whether a token is in hand that botd's clock says is still
// good, however long ago it was checked against the shared cache.
func (s *tokenSource) held() bool {
	now := s.wallNow()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.local != "" && now.Before(s.localExpires)
}

// lastFetch returns the outcome of the last fetch and when it ended.
func (s *tokenSource) lastFetch() (time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetchedAt, s.fetchErr
}

// ready answers from what the source knows, without a request per call: a
// token held and not expired is ready; a fetch that failed less than
// readyRecheck ago is its error; only otherwise does it get a token as a
// call would (memory, the shared cache, at most one fetch).
func (s *tokenSource) ready(ctx context.Context) error {
	if s.held() {
		return nil
	}
	if at, err := s.lastFetch(); err != nil && time.Since(at) < readyRecheck {
		return err
	}
	_, err := s.token(ctx)
	return err
}

// token returns a cached token or fetches a new one.
func (s *tokenSource) token(ctx context.Context) (string, error) {
	if tok := s.fromMemory(); tok != "" {
		return tok, nil
	}
	if tok := s.cached(ctx); tok != "" {
		return tok, nil
	}
	waitFrom := time.Now()
	select {
	case s.sem <- struct{}{}:
		defer func() { <-s.sem }()
	case <-ctx.Done():
		return "", &APIError{Op: opToken, Err: context.Cause(ctx), network: true}
	}
	// Another caller may have refreshed while this one waited, or failed
	// to: then its answer is this caller's too, so an outage costs one
	// fetch per wave of callers rather than one each.
	if tok := s.cached(ctx); tok != "" {
		return tok, nil
	}
	if at, err := s.lastFetch(); err != nil && at.After(waitFrom) {
		return "", err
	}
	return s.fetch(ctx)
}

// cached reads the shared cache and keeps a good token in memory. A cache
// failure counts as a miss (a Redis hiccup should cost one token fetch, not
// the call), and so does a token botd's clock says has expired, or a value
// that is not a cachedToken.
func (s *tokenSource) cached(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, s.client.timeout)
	defer cancel()
	raw, err := s.cache.Get(appCtx(ctx), s.key)
	if err != nil {
		s.client.log.Warn("token cache get failed", zap.Error(err))
		return ""
	}
	tok, expires, ok := decodeCached(raw)
	if !ok || !s.wallNow().Before(expires) {
		return ""
	}
	s.remember(tok, expires)
	return tok
}

func decodeCached(raw string) (string, time.Time, bool) {
	if raw == "" {
		return "", time.Time{}, false
	}
	var v cachedToken
	if json.Unmarshal([]byte(raw), &v) != nil || v.Token == "" || v.ExpiresMS <= 0 {
		return "", time.Time{}, false
	}
	return v.Token, time.UnixMilli(v.ExpiresMS), true
}

// obtainFunc asks the platform for a new token: the token, the seconds it
// has left ("expire") and the answer's log id. Its errors are logged by it
// (or by the call it made) and returned as they are.
type obtainFunc func(ctx context.Context) (tok string, expire int, logID string, err error)

// tokenResponse is the token endpoint's answer; its fields are top-level,
// not under "data".
type tokenResponse struct {
	Token  string `json:"tenant_access_token"`
	Expire int    `json:"expire"` // seconds left
}

// selfBuiltToken is the obtainFunc of a self-built app's tenant token.
func (c *Client) selfBuiltToken(ctx context.Context) (string, int, string, error) {
	start := time.Now()
	resp, apiErr := c.attempt(ctx, opToken, func(ctx context.Context, _ ...larkcore.RequestOptionFunc) (*larkcore.ApiResp, error) {
		r, err := c.sdk.GetTenantAccessTokenBySelfBuiltApp(ctx, &larkcore.SelfBuiltTenantAccessTokenReq{
			AppID:     c.appID,
			AppSecret: c.appSecret,
		})
		if r == nil {
			return nil, err
		}
		return r.ApiResp, err
	})
	if apiErr != nil {
		c.logFailure(apiErr, time.Since(start))
		return "", 0, "", apiErr
	}
	var tr tokenResponse
	if err := json.Unmarshal(resp.RawBody, &tr); err != nil || tr.Token == "" {
		e := &APIError{Op: opToken, HTTPStatus: resp.StatusCode, LogID: resp.LogId(), Msg: "no token in response"}
		c.logFailure(e, time.Since(start))
		return "", 0, "", e
	}
	return tr.Token, tr.Expire, resp.LogId(), nil
}

func (s *tokenSource) fetch(ctx context.Context) (tok string, err error) {
	defer func() {
		if err != nil && ctx.Err() != nil {
			return // the caller gave up: that says nothing about the platform
		}
		s.mu.Lock()
		s.fetchedAt, s.fetchErr = time.Now(), err
		s.mu.Unlock()
	}()
	issued := s.wallNow() // the token's life counts from before the request
	tok, expire, logID, err := s.obtain(ctx)
	if err != nil {
		return "", err
	}

	ttl := time.Duration(expire)*time.Second - tokenExpiryMargin
	if ttl <= 0 {
		ttl = time.Duration(expire) * time.Second / 2
	}
	if ttl > 0 {
		expires := issued.Add(ttl)
		if raw, err := json.Marshal(cachedToken{Token: tok, ExpiresMS: expires.UnixMilli()}); err == nil {
			s.set(ctx, string(raw), ttl)
		}
		s.remember(tok, expires)
	}
	s.client.log.Debug(s.what+" fetched", zap.Int("expire_s", expire), zap.String("log_id", logID))
	return tok, nil
}

func (s *tokenSource) set(ctx context.Context, value string, ttl time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, s.client.timeout)
	defer cancel()
	if err := s.cache.Set(appCtx(ctx), s.key, value, ttl); err != nil {
		s.client.log.Warn("token cache set failed", zap.Error(err))
	}
}

// invalidate drops bad from the cache, unless another replica has already
// replaced it with a new token.
func (s *tokenSource) invalidate(ctx context.Context, bad string) {
	s.forget(bad)
	if s.cached(ctx) != bad {
		return
	}
	s.forget(bad) // cached put it back in memory
	d, ok := s.cache.(keyDeleter)
	if !ok {
		s.set(ctx, "", dropTTL)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, s.client.timeout)
	defer cancel()
	if err := d.Delete(appCtx(ctx), s.key); err != nil {
		s.client.log.Warn("token cache delete failed", zap.Error(err))
	}
}

// appCtx is ctx without its tenant, for the TokenCache (see there).
func appCtx(ctx context.Context) context.Context {
	if _, ok := tenant.From(ctx); !ok {
		return ctx
	}
	return tenant.With(ctx, "")
}

// keyDeleter is an optional TokenCache method (state.Cache has it).
// Caches without it get the empty value with a short TTL instead.
type keyDeleter interface {
	Delete(ctx context.Context, key string) error
}

// memCache is the TokenCache of a Client configured without one.
type memCache struct {
	mu sync.Mutex
	m  map[string]memEntry
}

type memEntry struct {
	value   string
	expires time.Time
}

func newMemCache() *memCache { return &memCache{m: make(map[string]memEntry)} }

func (c *memCache) Get(_ context.Context, key string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || !time.Now().Before(e.expires) {
		return "", nil
	}
	return e.value, nil
}

func (c *memCache) Set(_ context.Context, key, value string, ttl time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[key] = memEntry{value: value, expires: time.Now().Add(ttl)}
	return nil
}

func (c *memCache) Delete(_ context.Context, key string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, key)
	return nil
}

var (
	_ TokenCache = (*memCache)(nil)
	_ keyDeleter = (*memCache)(nil)
)

// Compile-time check that a TokenCache can be handed to the SDK unchanged.
var _ larkcore.Cache = TokenCache(nil)
