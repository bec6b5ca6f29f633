package state

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Client is a go-redis client with what botd's packages need to know about
// how to use it: the key prefix its keys go under, and whether writes that
// acknowledge something wait for a replica. Connect makes one from the URL;
// tests make one with WithKeyPrefix. Store, Cache, FairUse and Members read
// both from the client they are given; the rate limiter and the job queue
// read the prefix (their own interfaces, the same KeyPrefix method).
type Client struct {
	redis.UniversalClient
	prefix string

	// wait > 0: on a Redis that fails over (Sentinel), the writes botd
	// acknowledges are waited on until one replica has them, for up to wait
	// (see barrier).
	wait time.Duration
	// noReplicaUntil (Unix ms): a WAIT found no replica then; until this
	// time none is waited for, so a primary left without replicas after a
	// failover costs one wait, not one per request.
	noReplicaUntil atomic.Int64
}

// replicaWait is how long an acknowledged write waits for a replica.
const replicaWait = 500 * time.Millisecond

// noReplicaPause is how long, after a WAIT found no replica, none is waited for.
const noReplicaPause = 10 * time.Second

// WithKeyPrefix returns c with every key botd builds put under prefix (""
// returns c itself). A database number isolates data on one server; on a
// cluster, which has one database, a prefix does.
func WithKeyPrefix(c redis.UniversalClient, prefix string) redis.UniversalClient {
	if prefix == "" {
		return c
	}
	return &Client{UniversalClient: c, prefix: prefix}
}

// KeyPrefix is the prefix of the keys botd builds on c.
func (c *Client) KeyPrefix() string { return c.prefix }

// Unwrap is the go-redis client.
func (c *Client) Unwrap() redis.UniversalClient { return c.UniversalClient }

// KeyPrefix is the key prefix c carries (see Client), "" for none.
func KeyPrefix(c any) string {
	if p, ok := c.(interface{ KeyPrefix() string }); ok {
		return p.KeyPrefix()
	}
	return ""
}

// waiter is the Client of rdb when its acknowledged writes wait for a
// replica, else nil.
func waiter(rdb any) *Client {
	if c, ok := rdb.(*Client); ok && c.wait > 0 {
		return c
	}
	return nil
}

// barrier runs fn's commands in one pipeline, on one connection, and then,
// on a Redis that fails over, WAITs there until one replica has every
// write made before (WAIT counts the primary's replication offset, which
// covers the writes of every connection that came first). A primary that
// is killed after that leaves nothing acknowledged behind: Sentinel
// promotes a replica that has it. botd calls it where a write is what it
// acknowledges or acts upon: a delivery's claims kept (Store.Keep, right
// before the 200), and an effect's outbox mark (Begin before the effect,
// Complete after it). When no replica answers in time the write stands
// anyway: botd stays up on a primary left alone, as Redis itself does.
func barrier(ctx context.Context, rdb redis.UniversalClient, fn func(p redis.Pipeliner)) error {
	w := waiter(rdb)
	now := time.Now().UnixMilli()
	wait := w != nil && now >= w.noReplicaUntil.Load()
	var acks *redis.Cmd
	cmds, _ := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		fn(p)
		if wait {
			acks = p.Do(ctx, "WAIT", 1, w.wait.Milliseconds())
		}
		return nil
	})
	// The writes' own errors count (a nil reply is an answer); the wait's
	// does not: the writes were made, and only the wait for a replica failed.
	for _, c := range cmds {
		if err := c.Err(); err != nil && err != redis.Nil && c != redis.Cmder(acks) {
			return err
		}
	}
	if wait {
		if n, err := acks.Int64(); err == nil && n == 0 {
			w.noReplicaUntil.Store(time.Now().Add(noReplicaPause).UnixMilli())
		}
	}
	return nil
}
