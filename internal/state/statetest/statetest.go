// Package statetest gives tests a Redis: a real server when
// BOTD_TEST_REDIS_URL names one (as in CI), else an in-process one.
package statetest

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// EnvURL names the real Redis server tests should use.
const EnvURL = "BOTD_TEST_REDIS_URL"

// Redis returns a client on an empty database that no other running test
// uses. With a real server, test packages run in parallel against it, so each
// call takes the next database number from a counter in database 0 (start the
// server with many databases, e.g. --databases 1024) and flushes it.
func Redis(t testing.TB) *redis.Client {
	t.Helper()
	url := os.Getenv(EnvURL)
	if url == "" {
		mr := miniredis.RunT(t)
		c := redis.NewClient(&redis.Options{Addr: mr.Addr()})
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	opts, err := redis.ParseURL(url)
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

// URL returns a redis:// URL for a fresh database, for tests that start botd
// as a whole (which takes a URL, not a client). It returns "" when no real
// server is configured, so botd falls back to its in-process store.
func URL(t testing.TB) string {
	t.Helper()
	if os.Getenv(EnvURL) == "" {
		return ""
	}
	c := Redis(t)
	o := c.Options()
	u := "redis://"
	if o.Username != "" || o.Password != "" {
		u += o.Username + ":" + o.Password + "@"
	}
	return u + o.Addr + "/" + strconv.Itoa(o.DB)
}
