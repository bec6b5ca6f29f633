package ephemeral

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/botd/botd/internal/feishusim"
)

// okSend answers an ephemeral send with a message id.
var okSend = answer(http.StatusOK, map[string]any{"code": 0, "msg": "ok", "data": map[string]any{"message_id": "om_1"}})

// rejectToken answers 99991663 to requests carrying token bad and passes the
// others to next.
func rejectToken(bad string, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer "+bad {
			writeJSON(w, http.StatusBadRequest, map[string]any{"code": 99991663, "msg": "Invalid access token for authorization"})
			return
		}
		next(w, r)
	}
}

func TestTokenRejectedIsDroppedAndRetriedOnceWithNewToken(t *testing.T) {
	f := newFakeLark(t)
	f.handle("POST "+pathEphemeralSend, rejectToken(tokenPrefix+"1", okSend))
	c, _ := newTestClient(t, f)
	ctx := context.Background()

	id, err := c.SendEphemeral(ctx, "oc_1", "ou_1", testCard)
	if err != nil || id != "om_1" {
		t.Fatalf("SendEphemeral = %q, %v; want om_1, nil", id, err)
	}
	reqs := f.apiRequests()
	if len(reqs) != 2 {
		t.Fatalf("got %d send requests, want 2 (rejected + retry)", len(reqs))
	}
	if reqs[0].Auth != "Bearer "+tokenPrefix+"1" || reqs[1].Auth != "Bearer "+tokenPrefix+"2" {
		t.Errorf("auth headers = %q, %q; want token 1 then token 2", reqs[0].Auth, reqs[1].Auth)
	}

	// The fresh token is cached: the next call fetches nothing.
	if _, err := c.SendEphemeral(ctx, "oc_1", "ou_1", testCard); err != nil {
		t.Fatal(err)
	}
	if n := f.tokensIssued(); n != 2 {
		t.Errorf("tokens issued = %d, want 2", n)
	}
}

func TestTokenRejectedTwiceGivesUp(t *testing.T) {
	f := newFakeLark(t)
	f.handle("POST "+pathEphemeralSend, answer(http.StatusBadRequest, map[string]any{"code": 99991663, "msg": "invalid token"}))
	c, _ := newTestClient(t, f)

	_, err := c.SendEphemeral(context.Background(), "oc_1", "ou_1", testCard)
	apiErr, ok := errors.AsType[*APIError](err)
	if !ok || apiErr.Code != 99991663 {
		t.Fatalf("err = %v, want code 99991663", err)
	}
	if !Retryable(err) {
		t.Error("token-invalid error should be retryable")
	}
	if n := len(f.apiRequests()); n != 2 {
		t.Errorf("got %d send requests, want exactly 2", n)
	}
}

// mapCache is a TokenCache shared by several Clients, as Redis would be.
type mapCache struct {
	mu   sync.Mutex
	m    map[string]string
	sets []string // "key=value" of each Set
}

func (c *mapCache) Get(_ context.Context, key string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[key], nil
}

func (c *mapCache) Set(_ context.Context, key, value string, ttl time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ttl <= 0 {
		return errors.New("ttl must be positive")
	}
	if c.m == nil {
		c.m = make(map[string]string)
	}
	c.m[key] = value
	c.sets = append(c.sets, key+"="+value)
	return nil
}

// tokenSets returns the cache writes as "key=token" ("key=" for a drop),
// checking that each stored token carries its expiry.
func (c *mapCache) tokenSets(t *testing.T) []string {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.sets))
	for _, kv := range c.sets {
		key, raw, _ := strings.Cut(kv, "=")
		if raw == "" {
			out = append(out, key+"=")
			continue
		}
		tok, expires, ok := decodeCached(raw)
		if !ok || expires.IsZero() {
			t.Errorf("cache value %q is not a token with its expiry", raw)
		}
		out = append(out, key+"="+tok)
	}
	return out
}

func TestSharedTokenCache(t *testing.T) {
	f := newFakeLark(t)
	f.handle("POST "+pathEphemeralSend, rejectToken(tokenPrefix+"1", okSend))
	cache := &mapCache{}
	a, _ := newTestClient(t, f, func(c *Config) { c.TokenCache = cache })
	b, _ := newTestClient(t, f, func(c *Config) { c.TokenCache = cache })
	ctx := context.Background()

	if err := a.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.tokensIssued(); n != 1 {
		t.Fatalf("tokens issued = %d, want 1 shared by both clients", n)
	}
	if _, err := b.SendEphemeral(ctx, "oc_1", "ou_1", testCard); err != nil {
		t.Fatal(err)
	}
	key := tenantTokenKey(testAppID)
	want := []string{key + "=" + tokenPrefix + "1", key + "=", key + "=" + tokenPrefix + "2"}
	if got := cache.tokenSets(t); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("cache writes = %q, want %q (store, drop, store)", got, want)
	}
	// a now reads the refreshed token from the shared cache.
	if _, err := a.SendEphemeral(ctx, "oc_1", "ou_1", testCard); err != nil {
		t.Fatal(err)
	}
	if n := f.tokensIssued(); n != 2 {
		t.Errorf("tokens issued = %d, want 2", n)
	}
}

func TestTokenFetchedOnceUnderConcurrency(t *testing.T) {
	f := newFakeLark(t)
	f.handle("POST "+pathEphemeralSend, okSend)
	c, _ := newTestClient(t, f)

	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := c.SendEphemeral(context.Background(), "oc_1", "ou_1", testCard); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := f.tokensIssued(); n != 1 {
		t.Errorf("tokens issued = %d, want 1", n)
	}
}

func TestTokenFetchFailure(t *testing.T) {
	f := newFakeLark(t)
	f.handle("POST "+pathEphemeralSend, okSend)
	c, _ := newTestClient(t, f, func(c *Config) { c.AppSecret = "wrong-secret" })

	err := c.Ready(context.Background())
	apiErr, ok := errors.AsType[*APIError](err)
	if !ok || apiErr.Op != opToken || apiErr.Code != 10014 {
		t.Fatalf("Ready = %v, want token error with code 10014", err)
	}
	if Retryable(err) {
		t.Error("a wrong secret should not be retryable")
	}
	_, err = c.SendEphemeral(context.Background(), "oc_1", "ou_1", testCard)
	if !strings.HasPrefix(err.Error(), opEphemeralSend+": "+opToken) {
		t.Errorf("send error = %q, want it to name both operations", err)
	}
	if n := len(f.apiRequests()); n != 0 {
		t.Errorf("%d sends went out without a token", n)
	}
}

func TestTokenCacheErrorsFallBackToFetch(t *testing.T) {
	f := newFakeLark(t)
	f.handle("POST "+pathEphemeralSend, okSend)
	c, logs := newTestClient(t, f, func(c *Config) { c.TokenCache = brokenCache{} })

	if _, err := c.SendEphemeral(context.Background(), "oc_1", "ou_1", testCard); err != nil {
		t.Fatalf("send with a broken cache = %v, want success", err)
	}
	if logs.FilterMessage("token cache get failed").Len() == 0 {
		t.Error("cache failure not logged")
	}
}

// deleterCache is a mapCache that can delete, like state.Cache.
type deleterCache struct {
	mapCache
	deleted []string
}

func (c *deleterCache) Delete(_ context.Context, key string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, key)
	c.deleted = append(c.deleted, key)
	return nil
}

func TestRejectedTokenIsDeletedWhenCacheCanDelete(t *testing.T) {
	f := newFakeLark(t)
	f.handle("POST "+pathEphemeralSend, rejectToken(tokenPrefix+"1", okSend))
	cache := &deleterCache{}
	c, _ := newTestClient(t, f, func(c *Config) { c.TokenCache = cache })

	if _, err := c.SendEphemeral(context.Background(), "oc_1", "ou_1", testCard); err != nil {
		t.Fatal(err)
	}
	key := tenantTokenKey(testAppID)
	if !reflect.DeepEqual(cache.deleted, []string{key}) {
		t.Errorf("deleted = %q, want [%q]", cache.deleted, key)
	}
	if want := []string{key + "=" + tokenPrefix + "1", key + "=" + tokenPrefix + "2"}; !reflect.DeepEqual(cache.tokenSets(t), want) {
		t.Errorf("sets = %q, want %q", cache.tokenSets(t), want)
	}
}

type brokenCache struct{}

func (brokenCache) Get(context.Context, string) (string, error) { return "", errors.New("redis down") }
func (brokenCache) Set(context.Context, string, string, time.Duration) error {
	return errors.New("redis down")
}

// tokenCalls counts the simulator's token requests and the answers that
// rejected a token (99991663).
func tokenCalls(sim *feishusim.Server) (fetches, rejected int) {
	for _, c := range sim.Calls() {
		if c.Path == "/open-apis/auth/v3/tenant_access_token/internal" {
			fetches++
		}
		if c.Code == feishusim.CodeTokenInvalid {
			rejected++
		}
	}
	return fetches, rejected
}

// When botd's clock jumps (the playground's fast-forward, a resumed VM) past
// the token's life, or into its last minutes, the next call fetches a new
// token first: the platform, on the same clock, never gets to reject it. The
// token held in memory and the one in a shared cache whose own TTL runs on
// another clock (Redis's) are both judged by botd's clock.
func TestTokenRefreshedWhenTheClockJumps(t *testing.T) {
	caches := map[string]func() TokenCache{
		"in memory":        func() TokenCache { return nil },
		"shared, no TTL":   func() TokenCache { return &mapCache{} },
		"shared, deleting": func() TokenCache { return &deleterCache{} },
	}
	jumps := map[string]time.Duration{
		"past its life":      3 * time.Hour,
		"into its last mins": 2*time.Hour - 2*time.Minute,
	}
	for cname, cache := range caches {
		for jname, jump := range jumps {
			t.Run(cname+"/"+jname, func(t *testing.T) {
				env := newSim(t, feishusim.Options{})
				tc := cache()
				newClient := func() *Client {
					c, err := New(Config{AppID: testAppID, AppSecret: testAppSecret, BaseURL: env.url,
						TokenCache: tc, Now: env.clock.Now}, nil)
					if err != nil {
						t.Fatal(err)
					}
					return c
				}
				a := newClient()
				ctx := context.Background()
				if _, err := a.SendEphemeral(ctx, simGroup, alice, testCard); err != nil {
					t.Fatal(err)
				}
				env.clock.Advance(jump)
				if _, err := a.SendEphemeral(ctx, simGroup, alice, testCard); err != nil {
					t.Fatal(err)
				}
				if fetches, rejected := tokenCalls(env.sim); fetches != 2 || rejected != 0 {
					t.Errorf("after the jump: %d token fetches, %d rejections; want 2, 0", fetches, rejected)
				}
				if tc == nil {
					return
				}
				// A second replica sharing the cache reads the fresh token.
				env.clock.Advance(time.Minute)
				if _, err := newClient().SendEphemeral(ctx, simGroup, alice, testCard); err != nil {
					t.Fatal(err)
				}
				if fetches, rejected := tokenCalls(env.sim); fetches != 2 || rejected != 0 {
					t.Errorf("second replica: %d token fetches, %d rejections; want 2, 0", fetches, rejected)
				}
			})
		}
	}
}

// A shared cache holding a token that has expired by botd's clock (written
// before a jump, its TTL on the cache's clock not yet run out) is a miss.
func TestExpiredTokenInSharedCacheIsAMiss(t *testing.T) {
	env := newSim(t, feishusim.Options{})
	cache := &mapCache{}
	key := tenantTokenKey(testAppID)
	_ = cache.Set(context.Background(), key,
		`{"token":"t-stale","expires_ms":`+strconv.FormatInt(env.clock.Now().Add(-time.Second).UnixMilli(), 10)+`}`, time.Hour)
	c, err := New(Config{AppID: testAppID, AppSecret: testAppSecret, BaseURL: env.url, TokenCache: cache, Now: env.clock.Now}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendEphemeral(context.Background(), simGroup, alice, testCard); err != nil {
		t.Fatal(err)
	}
	if fetches, rejected := tokenCalls(env.sim); fetches != 1 || rejected != 0 {
		t.Errorf("%d token fetches, %d rejections; want 1, 0", fetches, rejected)
	}
}

// Ready answers from the token state: a probe does not become a request to
// the platform, whether the token is held or the last fetch failed.
func TestReadyDoesNotFetchPerProbe(t *testing.T) {
	t.Run("token held", func(t *testing.T) {
		env := newSim(t, feishusim.Options{})
		for range 100 {
			if err := env.c.Ready(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if fetches, _ := tokenCalls(env.sim); fetches != 1 {
			t.Errorf("100 probes made %d token fetches, want 1", fetches)
		}
	})
	t.Run("fetch failing", func(t *testing.T) {
		env := newSim(t, feishusim.Options{})
		bad, err := New(Config{AppID: testAppID, AppSecret: "wrong", BaseURL: env.url}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for range 100 {
			err := bad.Ready(context.Background())
			if apiErr, ok := errors.AsType[*APIError](err); !ok || apiErr.Code != feishusim.CodeAppSecretInvalid {
				t.Fatalf("Ready = %v, want the fetch's 10014", err)
			}
		}
		// One fetch, and one more for each readyRecheck the loop may have
		// spanned on a slow machine: far fewer than the probes.
		if fetches, _ := tokenCalls(env.sim); fetches > 5 {
			t.Errorf("100 probes made %d token fetches, want about 1", fetches)
		}
	})
}
