package state

import (
	"context"
	"fmt"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/botd/botd/internal/tenant"
)

// A store app serves many tenants from one Redis (keys.go): each tenant's
// keys sit under "P t:TENANT:", and the sets every replica reads whole
// (the due set, the ambiguous set) hold every tenant's members, qualified
// "TENANT/MEMBER". Store, Cache, Members and FairUse learn at construction
// whether they serve a store app (WithTenants); then every method takes
// its tenant from its context and refuses to work without one, rather
// than fall back on keys nobody owns.

// Option configures a Store, Cache, Members or FairUse.
type Option func(*options)

type options struct{ tenants bool }

// WithTenants(true) scopes every key by the tenant of the method's context
// (tenant.Require): a store app's state. A method called without a tenant
// returns an error wrapping tenant.ErrMissing. WithTenants(false), the
// default, keeps a self-built app's keys as they always were.
func WithTenants(on bool) Option { return func(o *options) { o.tenants = on } }

func applyOptions(opts []Option) options {
	var o options
	for _, f := range opts {
		f(&o)
	}
	return o
}

// scope is how a Store, Cache, Members or FairUse finds its keys.
type scope struct {
	keys    keyspace // a self-built app's keys; a store app's tenants' root
	tenants bool
}

func newScope(rdb any, opts []Option) scope {
	return scope{keys: newKeyspace(KeyPrefix(rdb)), tenants: applyOptions(opts).tenants}
}

// space is the keyspace of ctx: the one keyspace of a self-built app, or
// the keyspace of ctx's tenant.
func (s scope) space(ctx context.Context) (keyspace, error) {
	if !s.tenants {
		return s.keys, nil
	}
	key, err := tenantOf(ctx)
	if err != nil {
		return keyspace{}, err
	}
	return s.keys.forTenant(key), nil
}

// member is m as it goes into a set of every tenant (due, ambiguous):
// qualified by ctx's tenant in a store app.
func (s scope) member(ctx context.Context, m string) (string, error) {
	if !s.tenants {
		return m, nil
	}
	key, err := tenantOf(ctx)
	if err != nil {
		return "", err
	}
	return tenant.Qualify(key, m), nil
}

// tenantOf is ctx's tenant key, checked: it goes into keys and patterns.
func tenantOf(ctx context.Context) (string, error) {
	key, err := tenant.Require(ctx)
	if err != nil {
		return "", fmt.Errorf("state: %w", err)
	}
	if err := tenant.Check(key); err != nil {
		return "", fmt.Errorf("state: %w", err)
	}
	return key, nil
}

// Removed counts what RemoveTenant deleted.
type Removed struct {
	Keys      int // keys under the tenant's prefix
	Due       int // its members of the due set: its schedules
	Ambiguous int // its members of the ambiguous set
}

// Bounds of one RemoveTenant: a SCAN step's COUNT hint and the UNLINKs
// sent in one pipeline; and the keys one run deletes, past which it stops
// with an error (what is left is deleted by the next run: it is
// idempotent).
const (
	removeScanCount = 500
	maxRemoveKeys   = 5_000_000
)

// RemoveTenant deletes everything a store app keeps for one tenant: every
// key under its prefix, on every master of a cluster (SCAN MATCH, then
// UNLINK in pipelined batches of one key each, since a cluster refuses a
// multi-key UNLINK across slots), and its members of the due set (its
// schedules) and of the ambiguous set. It is what botd does when a tenant
// removes the app. It is idempotent: a run cut short (ctx, an error, the
// bound) leaves the rest to the next, and a run over nothing deletes
// nothing. Work of the tenant still in flight elsewhere (a job that was
// running) may write a key after the scan has passed it: such a key
// expires with its TTL, and a second run removes it at once.
//
// It works whatever the store's mode: it takes the tenant as an argument,
// not from ctx.
func (s *Store) RemoveTenant(ctx context.Context, tenantKey string) (Removed, error) {
	var out Removed
	if err := tenant.Check(tenantKey); err != nil {
		return out, fmt.Errorf("state: remove tenant: %w", err)
	}
	prefix := s.keys.forTenant(tenantKey).p
	var mu sync.Mutex // a cluster's masters are scanned at once
	seen := 0
	err := s.eachNode(ctx, func(ctx context.Context, node redis.Cmdable) error {
		var cursor uint64
		for {
			keys, next, err := node.Scan(ctx, cursor, globEscape(prefix)+"*", removeScanCount).Result()
			if err != nil {
				return err
			}
			if len(keys) > 0 {
				mu.Lock()
				seen += len(keys)
				over := seen > maxRemoveKeys
				mu.Unlock()
				if over {
					return fmt.Errorf("more than %d keys: stopped; run again to go on", maxRemoveKeys)
				}
				cmds, err := node.Pipelined(ctx, func(p redis.Pipeliner) error {
					for _, k := range keys {
						p.Unlink(ctx, k)
					}
					return nil
				})
				if err != nil {
					return err
				}
				n := 0
				for _, c := range cmds {
					if ic, ok := c.(*redis.IntCmd); ok {
						n += int(ic.Val())
					}
				}
				mu.Lock()
				out.Keys += n
				mu.Unlock()
			}
			if cursor = next; cursor == 0 {
				return nil
			}
		}
	})
	if err != nil {
		return out, fmt.Errorf("state: remove tenant %s: keys: %w", tenantKey, err)
	}
	pattern := globEscape(tenant.Qualify(tenantKey, "")) + "*"
	for i := range s.shards() {
		n, err := s.removeMembers(ctx, s.keys.due(i), pattern)
		out.Due += n
		if err != nil {
			return out, fmt.Errorf("state: remove tenant %s: schedules: %w", tenantKey, err)
		}
	}
	n, err := s.removeMembers(ctx, s.keys.ambiguous(), pattern)
	out.Ambiguous = n
	if err != nil {
		return out, fmt.Errorf("state: remove tenant %s: ambiguous effects: %w", tenantKey, err)
	}
	return out, nil
}

// removeMembers removes the members of the sorted set key that match
// pattern, a ZSCAN at a time.
func (s *Store) removeMembers(ctx context.Context, key, pattern string) (int, error) {
	removed := 0
	var cursor uint64
	for {
		pairs, next, err := s.rdb.ZScan(ctx, key, cursor, pattern, removeScanCount).Result()
		if err != nil {
			return removed, err
		}
		if len(pairs) > 0 {
			members := make([]any, 0, len(pairs)/2)
			for i := 0; i < len(pairs); i += 2 {
				members = append(members, pairs[i]) // member, score, member, score…
			}
			n, err := s.rdb.ZRem(ctx, key, members...).Result()
			removed += int(n)
			if err != nil {
				return removed, err
			}
		}
		if cursor = next; cursor == 0 {
			return removed, nil
		}
	}
}
