package state

import (
	"context"
	"fmt"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/botd/botd/internal/redisurl"
)

// Conn is a Redis connection: to one server, a Sentinel-managed primary, a
// Redis Cluster, or the in-process Redis-compatible server used when no URL
// is configured.
type Conn struct {
	// Client is the client botd's packages share, carrying the URL's
	// key_prefix if it has one (WithKeyPrefix): *redis.Client for one
	// server and for Sentinel, *redis.ClusterClient for a cluster.
	Client redis.UniversalClient
	// Kind is the deployment the URL names.
	Kind redisurl.Kind
	// Embedded is true when Client talks to the in-process server: state is
	// lost when the process exits and only one replica may run.
	Embedded bool
	embedded *miniredis.Miniredis
}

// Connect opens url (see internal/redisurl for its forms) and pings it. An
// empty url starts the in-process server instead and logs a warning,
// because nothing there survives a restart.
func Connect(ctx context.Context, url string, log *zap.Logger) (*Conn, error) {
	if url == "" {
		mr, err := miniredis.Run() // listens on 127.0.0.1 only
		if err != nil {
			return nil, fmt.Errorf("state: start in-process redis: %w", err)
		}
		log.Warn("no redis URL configured: using an in-process store; state is not durable and only one replica may run",
			zap.String("addr", mr.Addr()))
		return &Conn{Client: redis.NewClient(&redis.Options{Addr: mr.Addr()}), Embedded: true, embedded: mr}, nil
	}
	u, err := redisurl.Parse(url)
	if err != nil {
		// The error never quotes the URL, which may hold a password.
		return nil, fmt.Errorf("state: redis URL: %w", err)
	}
	c := u.NewClient()
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := ping(pctx, c); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("state: ping redis at %s: %w", u, err)
	}
	log.Info("connected to redis", zap.String("url", u.String()), zap.Stringer("kind", u.Kind))
	var client redis.UniversalClient = c
	if u.Kind == redisurl.Sentinel || u.KeyPrefix != "" {
		w := &Client{UniversalClient: c, prefix: u.KeyPrefix}
		if u.Kind == redisurl.Sentinel {
			// A failover must not lose what botd acknowledged (barrier).
			w.wait = replicaWait
		}
		client = w
	}
	return &Conn{Client: client, Kind: u.Kind}, nil
}

// ping asks every master of a cluster, so that botd does not start on a
// cluster it reaches only part of; one server (or the primary Sentinel
// names) otherwise.
func ping(ctx context.Context, c redis.UniversalClient) error {
	if cc, ok := c.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
			return m.Ping(ctx).Err()
		})
	}
	return c.Ping(ctx).Err()
}

// Ping reports whether Redis answers; /readyz uses it.
func (c *Conn) Ping(ctx context.Context) error {
	return c.Client.Ping(ctx).Err()
}

// Close closes the client and stops the in-process server, if any.
func (c *Conn) Close() error {
	err := c.Client.Close()
	if c.embedded != nil {
		c.embedded.Close()
	}
	return err
}
