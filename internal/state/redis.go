package state

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// Conn is a Redis connection, either to a real server or to the in-process
// Redis-compatible server used when no URL is configured.
type Conn struct {
	Client *redis.Client
	// Embedded is true when Client talks to the in-process server: state is
	// lost when the process exits and only one replica may run.
	Embedded bool
	embedded *miniredis.Miniredis
}

// Connect opens url (redis:// or rediss://, with db, user and password in the
// URL) and pings it. An empty url starts the in-process server instead and
// logs a warning, because nothing there survives a restart.
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
	opts, err := redis.ParseURL(url)
	if err != nil {
		// The URL may hold a password: never echo it.
		return nil, errors.New("state: redis URL is not a valid redis:// or rediss:// URL")
	}
	// Bounded timeouts: a webhook must answer within 3 s even when Redis hangs.
	opts.DialTimeout = 2 * time.Second
	opts.ReadTimeout = time.Second
	opts.WriteTimeout = time.Second
	c := redis.NewClient(opts)
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := c.Ping(pctx).Err(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("state: ping redis at %s: %w", opts.Addr, err)
	}
	return &Conn{Client: c}, nil
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
