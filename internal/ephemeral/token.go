package ephemeral

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	"go.uber.org/zap"
)

// TokenCache stores the tenant access token so that replicas share one (for
// example in Redis). It has the shape of the SDK's larkcore.Cache, so one
// adapter can serve both. Get returns "" and a nil error for a missing or
// expired key. A cache that also has Delete(ctx, key) error gets rejected
// tokens deleted rather than overwritten with "".
type TokenCache interface {
	Set(ctx context.Context, key, value string, ttl time.Duration) error
	Get(ctx context.Context, key string) (string, error)
}

const (
	opToken = "auth.tenant_access_token"

	// tokenExpiryMargin is taken off the platform's "expire" before caching,
	// as the SDK does, so a token is never used in its last minutes.
	tokenExpiryMargin = 3 * time.Minute

	// dropTTL is how long the empty value that replaces a rejected token
	// lives in a cache without Delete. A whole second keeps caches that round
	// TTLs down to seconds (Redis SETEX) from seeing zero.
	dropTTL = time.Second
)

// tenantTokenKey is the SDK's own cache key for a self-built app's tenant
// token, so botd and SDK-based tools sharing a Redis share the token too.
func tenantTokenKey(appID string) string {
	return "tenant_access_token-" + appID + "-"
}

// tokenSource hands out the tenant access token of a self-built app
// (POST /open-apis/auth/v3/tenant_access_token/internal, fetched through the
// SDK), caching it and fetching at most one at a time per Client.
type tokenSource struct {
	client    *Client
	appID     string
	appSecret string
	cache     TokenCache
	key       string
	sem       chan struct{} // one slot: the refresh in progress

	// local keeps the token in memory for a short while in front of the
	// shared cache, which is a Redis round trip on every call otherwise.
	// It is kept well under tokenExpiryMargin, so a token another replica
	// saw rejected and replaced is dropped here soon, and one in use never
	// outlives its real expiry.
	mu         sync.Mutex
	local      string
	localUntil time.Time
}

// localTTL bounds how long a token is used from memory without looking at
// the shared cache.
const localTTL = 30 * time.Second

func (s *tokenSource) fromMemory() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.local != "" && time.Now().Before(s.localUntil) {
		return s.local
	}
	return ""
}

func (s *tokenSource) remember(tok string, ttl time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.local, s.localUntil = tok, time.Now().Add(min(ttl, localTTL))
}

func (s *tokenSource) forget(bad string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.local == bad {
		s.local = ""
	}
}

// token returns a cached token or fetches a new one.
func (s *tokenSource) token(ctx context.Context) (string, error) {
	if tok := s.fromMemory(); tok != "" {
		return tok, nil
	}
	if tok := s.cached(ctx); tok != "" {
		s.remember(tok, localTTL)
		return tok, nil
	}
	select {
	case s.sem <- struct{}{}:
		defer func() { <-s.sem }()
	case <-ctx.Done():
		return "", &APIError{Op: opToken, Err: context.Cause(ctx), network: true}
	}
	// Another caller may have refreshed while this one waited.
	if tok := s.cached(ctx); tok != "" {
		return tok, nil
	}
	return s.fetch(ctx)
}

// cached reads the cache. A cache failure counts as a miss: a Redis hiccup
// should cost one token fetch, not the call.
func (s *tokenSource) cached(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, s.client.timeout)
	defer cancel()
	tok, err := s.cache.Get(ctx, s.key)
	if err != nil {
		s.client.log.Warn("token cache get failed", zap.Error(err))
		return ""
	}
	return tok
}

// tokenResponse is the token endpoint's answer; its fields are top-level,
// not under "data".
type tokenResponse struct {
	Token  string `json:"tenant_access_token"`
	Expire int    `json:"expire"` // seconds left
}

func (s *tokenSource) fetch(ctx context.Context) (string, error) {
	start := time.Now()
	resp, apiErr := s.client.attempt(ctx, opToken, func(ctx context.Context, _ ...larkcore.RequestOptionFunc) (*larkcore.ApiResp, error) {
		r, err := s.client.sdk.GetTenantAccessTokenBySelfBuiltApp(ctx, &larkcore.SelfBuiltTenantAccessTokenReq{
			AppID:     s.appID,
			AppSecret: s.appSecret,
		})
		if r == nil {
			return nil, err
		}
		return r.ApiResp, err
	})
	if apiErr != nil {
		s.client.logFailure(apiErr, time.Since(start))
		return "", apiErr
	}
	var tr tokenResponse
	if err := json.Unmarshal(resp.RawBody, &tr); err != nil || tr.Token == "" {
		e := &APIError{Op: opToken, HTTPStatus: resp.StatusCode, LogID: resp.LogId(), Msg: "no token in response"}
		s.client.logFailure(e, time.Since(start))
		return "", e
	}

	ttl := time.Duration(tr.Expire)*time.Second - tokenExpiryMargin
	if ttl <= 0 {
		ttl = time.Duration(tr.Expire) * time.Second / 2
	}
	if ttl > 0 {
		s.set(ctx, tr.Token, ttl)
		s.remember(tr.Token, ttl)
	}
	s.client.log.Debug("tenant token fetched", zap.Int("expire_s", tr.Expire), zap.String("log_id", resp.LogId()))
	return tr.Token, nil
}

func (s *tokenSource) set(ctx context.Context, value string, ttl time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, s.client.timeout)
	defer cancel()
	if err := s.cache.Set(ctx, s.key, value, ttl); err != nil {
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
	d, ok := s.cache.(keyDeleter)
	if !ok {
		s.set(ctx, "", dropTTL)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, s.client.timeout)
	defer cancel()
	if err := d.Delete(ctx, s.key); err != nil {
		s.client.log.Warn("token cache delete failed", zap.Error(err))
	}
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
