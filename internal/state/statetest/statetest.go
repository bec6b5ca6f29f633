// Package statetest gives tests a Redis: a real server or cluster when
// BOTD_TEST_REDIS_URL names one (as in CI), else an in-process one.
//
// Test packages run in parallel against the real one, so each test gets
// data of its own: on one server, a database of its own (SELECT); on a
// Redis Cluster, which has one database, a key prefix of its own
// (state.WithKeyPrefix, the URL's key_prefix).
package statetest

import (
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/botd/botd/internal/redisurl"
	"github.com/botd/botd/internal/state"
)

// EnvURL names the real Redis server (redis://) or cluster
// (redis+cluster://) tests should use.
const EnvURL = "BOTD_TEST_REDIS_URL"

// EnvRequireCluster, set to 1, makes a test that needs a Redis Cluster
// fail instead of skipping when EnvURL names none (CI's cluster pass sets it).
const EnvRequireCluster = "BOTD_TEST_REQUIRE_CLUSTER"

// Redis returns a client on an empty database of one server that no other
// running test uses. With a real server, test packages run in parallel
// against it, so each call takes the next database number from a counter in
// database 0 (start the server with many databases, e.g. --databases 1024)
// and flushes it. A test that needs a *redis.Client cannot run on a
// cluster: there it is skipped (Client works on both).
func Redis(t testing.TB) *redis.Client {
	t.Helper()
	u := parsed(t)
	if u == nil {
		mr := miniredis.RunT(t)
		c := redis.NewClient(&redis.Options{Addr: mr.Addr()})
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	if u.Kind == redisurl.Cluster {
		t.Skipf("statetest.Redis: %s names a Redis Cluster; this test needs one server (statetest.Client runs on both)", EnvURL)
	}
	opts, err := redis.ParseURL(os.Getenv(EnvURL))
	if err != nil {
		t.Fatalf("statetest: %s: %v", EnvURL, err)
	}
	ctx := context.Background()
	admin := redis.NewClient(opts)
	defer admin.Close()
	n, err := admin.Incr(ctx, "botd:test:next-db").Result()
	if err != nil {
		t.Fatalf("statetest: redis at %s: %v", opts.Addr, err)
	}
	dbs := 16
	if cfg, err := admin.ConfigGet(ctx, "databases").Result(); err == nil {
		if v, err := strconv.Atoi(cfg["databases"]); err == nil && v > 1 {
			dbs = v
		}
	}
	opts.DB = 1 + int(n)%(dbs-1)
	c := redis.NewClient(opts)
	if err := c.FlushDB(ctx).Err(); err != nil {
		t.Fatalf("statetest: flush db %d: %v", opts.DB, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Client returns a client on data no other running test sees: Redis(t)'s
// database on one server (or the in-process one), and on a cluster a
// cluster client under a key prefix of the test's own, which state, the
// rate limiter and the job queue all honour (state.KeyPrefix).
func Client(t testing.TB) redis.UniversalClient {
	t.Helper()
	u := parsed(t)
	if u == nil || u.Kind != redisurl.Cluster {
		return Redis(t)
	}
	c := u.NewClient()
	t.Cleanup(func() { _ = c.Close() })
	return state.WithKeyPrefix(c, newPrefix())
}

// Cluster returns a client on the Redis Cluster EnvURL names, under a key
// prefix of the test's own. Without one the test is skipped, or fails when
// EnvRequireCluster is 1.
func Cluster(t testing.TB) redis.UniversalClient {
	t.Helper()
	if u := parsed(t); u == nil || u.Kind != redisurl.Cluster {
		if os.Getenv(EnvRequireCluster) == "1" {
			t.Fatalf("this test needs a Redis Cluster: %s=1 but %s names none", EnvRequireCluster, EnvURL)
		}
		t.Skipf("this test needs a Redis Cluster: set %s=redis+cluster://host:port,…", EnvURL)
	}
	return Client(t)
}

// Key is key (as keys.go builds it, "botd:…") under c's key prefix.
func Key(c redis.UniversalClient, key string) string { return state.KeyPrefix(c) + key }

// URL returns a URL for fresh data, for tests that start botd as a whole
// (which takes a URL, not a client): a fresh database of the real server,
// or on a cluster the cluster's URL with a key_prefix of the test's own. It
// returns "" when no real server is configured, so botd falls back to its
// in-process store.
func URL(t testing.TB) string {
	t.Helper()
	u := parsed(t)
	if u == nil {
		return ""
	}
	if u.Kind == redisurl.Cluster {
		raw := os.Getenv(EnvURL)
		sep := "?"
		if strings.Contains(raw, "?") {
			sep = "&"
		}
		return raw + sep + "key_prefix=" + url.QueryEscape(newPrefix())
	}
	c := Redis(t)
	o := c.Options()
	s := "redis://"
	if o.Username != "" || o.Password != "" {
		s += url.UserPassword(o.Username, o.Password).String() + "@"
	}
	return s + o.Addr + "/" + strconv.Itoa(o.DB)
}

// parsed is EnvURL parsed, nil when it is empty.
func parsed(t testing.TB) *redisurl.URL {
	t.Helper()
	raw := os.Getenv(EnvURL)
	if raw == "" {
		return nil
	}
	u, err := redisurl.Parse(raw)
	if err != nil {
		t.Fatalf("statetest: %s: %v", EnvURL, err)
	}
	return u
}

// newPrefix is a key prefix no other test (or earlier run) uses.
func newPrefix() string {
	return "test:" + strings.ToLower(rand.Text()[:12]) + ":"
}

// Keys lists the keys matching pattern under c's key prefix (pattern
// "botd:todo:*" finds "PREFIX botd:todo:…"), on every master of a cluster.
func Keys(t testing.TB, c redis.UniversalClient, pattern string) []string {
	t.Helper()
	ctx := context.Background()
	pattern = Key(c, pattern)
	var out []string
	scan := func(ctx context.Context, n redis.UniversalClient) error {
		iter := n.Scan(ctx, 0, pattern, 1000).Iterator()
		for iter.Next(ctx) {
			out = append(out, iter.Val())
		}
		return iter.Err()
	}
	inner := c
	if p, ok := c.(interface{ Unwrap() redis.UniversalClient }); ok {
		inner = p.Unwrap()
	}
	var err error
	if cc, ok := inner.(*redis.ClusterClient); ok {
		var mu sync.Mutex
		err = cc.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
			var mine []string
			iter := m.Scan(ctx, 0, pattern, 1000).Iterator()
			for iter.Next(ctx) {
				mine = append(mine, iter.Val())
			}
			mu.Lock()
			out = append(out, mine...)
			mu.Unlock()
			return iter.Err()
		})
	} else {
		err = scan(ctx, inner)
	}
	if err != nil {
		t.Fatalf("statetest: scan %s: %v", pattern, err)
	}
	return out
}
