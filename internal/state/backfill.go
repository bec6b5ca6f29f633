package state

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/botd/botd/internal/flows"
)

// BackfillIndexes (flows.IndexBackfiller) puts records into indexes that
// did not exist when they were last written: the web app's member indexes,
// which older botd never wrote. It is the one scan of the key space
// (keys.go, rule 5), and it is made to run once:
//
//   - it is marked done, per kind and name, under P cache:backfill:NAME:KIND,
//     for RecordTTL: by then every record it could have missed has expired;
//   - it visits at most maxBackfill records per run; a run cut short (by
//     the bound, an error or ctx) leaves no mark, and the next start
//     begins again;
//   - it only adds entries, for the record's current version, so it is
//     idempotent, and safe beside writers of the indexes it may touch only
//     when those indexes never lose an entry while the record lives, as
//     member indexes (flows.BackfillMemberIndexes passes only those).
//
// On a cluster it scans every master, and adds each entry with the
// record's version as a write does (placeCmd), so readers treat it as the
// record's own.

// maxBackfill bounds the records one run visits.
const maxBackfill = 200_000

// backfillScanCount is the COUNT hint of each SCAN step.
const backfillScanCount = 500

var _ flows.IndexBackfiller = (*Store)(nil)

// BackfillIndexes implements flows.IndexBackfiller: every record of kind
// is added to the indexes indexes returns for its JSON. A record that
// cannot be read or decoded is skipped. It returns how many index entries
// it wrote.
//
// A store app's store has nothing to backfill, and does nothing: it never
// ran without member indexes (store apps came after them), and a
// self-built app's records, whose keys are no tenant's, are none of its
// tenants' either.
func (s *Store) BackfillIndexes(ctx context.Context, kind, name string, indexes func(data []byte) ([]flows.Index, error)) (int, error) {
	if err := checkRecord(kind, "x"); err != nil {
		return 0, err
	}
	if name == "" || strings.ContainsAny(name, " :{}*?[]\\") {
		return 0, fmt.Errorf("state: backfill %q: bad name", name)
	}
	if s.tenants {
		return 0, nil
	}
	mark := s.keys.cache("backfill:" + name + ":" + kind)
	if n, err := s.rdb.Exists(ctx, mark).Result(); err != nil {
		return 0, fmt.Errorf("state: backfill %s of %s: %w", name, kind, err)
	} else if n == 1 {
		return 0, nil
	}
	b := &backfill{s: s, kind: kind, indexes: indexes}
	prefix := s.keys.record(kind, "")
	pattern := globEscape(prefix) + "*"
	if err := s.eachNode(ctx, func(ctx context.Context, node redis.Cmdable) error {
		return b.scan(ctx, node, prefix, pattern)
	}); err != nil {
		return b.added(), fmt.Errorf("state: backfill %s of %s: %w", name, kind, err)
	}
	if err := s.rdb.Set(ctx, mark, strconv.Itoa(b.added()), RecordTTL).Err(); err != nil {
		return b.added(), fmt.Errorf("state: backfill %s of %s: mark done: %w", name, kind, err)
	}
	return b.added(), nil
}

// errBackfillBound stops a run that met more than maxBackfill records.
var errBackfillBound = fmt.Errorf("more than %d records: stopped; the next start goes on", maxBackfill)

type backfill struct {
	s       *Store
	kind    string
	indexes func([]byte) ([]flows.Index, error)

	mu             sync.Mutex // the scans of a cluster's masters run at once
	visited, wrote int
}

func (b *backfill) added() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.wrote
}

// scan walks one node's record keys of the kind.
func (b *backfill) scan(ctx context.Context, node redis.Cmdable, prefix, pattern string) error {
	var cursor uint64
	for {
		keys, next, err := node.Scan(ctx, cursor, pattern, backfillScanCount).Result()
		if err != nil {
			return err
		}
		for _, key := range keys {
			id := strings.TrimPrefix(key, prefix)
			if checkRecord(b.kind, id) != nil {
				continue // not a record key: an id never holds ':'
			}
			b.mu.Lock()
			b.visited++
			over := b.visited > maxBackfill
			b.mu.Unlock()
			if over {
				return errBackfillBound
			}
			if err := b.one(ctx, id); err != nil {
				return err
			}
		}
		if cursor = next; cursor == 0 {
			return nil
		}
	}
}

// one adds record id to its indexes.
func (b *backfill) one(ctx context.Context, id string) error {
	r, _, err := b.s.record(ctx, b.kind, id)
	if errors.Is(err, flows.ErrNotFound) {
		return nil // expired meanwhile
	}
	if err != nil {
		return err
	}
	ix, err := b.indexes(r.Data)
	if err != nil {
		return nil // undecodable: nothing to place it by
	}
	var in []flows.Index
	for _, i := range ix {
		if i.In && validIndexName(i.Name) {
			in = append(in, i)
		}
	}
	if len(in) == 0 {
		return nil
	}
	r.Index = in
	if b.s.cluster {
		err = b.s.place(ctx, b.s.keys, r, r.Version, true)
	} else {
		_, err = b.s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, i := range in {
				p.ZAdd(ctx, b.s.keys.index(b.kind, i.Name), redis.Z{Score: i.Score, Member: id})
			}
			return nil
		})
	}
	if err != nil {
		return fmt.Errorf("index %s %s: %w", b.kind, id, err)
	}
	b.mu.Lock()
	b.wrote += len(in)
	b.mu.Unlock()
	return nil
}

// eachNode runs fn on the one server, or on every master of a cluster.
func (s *Store) eachNode(ctx context.Context, fn func(context.Context, redis.Cmdable) error) error {
	inner := s.rdb
	for {
		u, ok := inner.(interface{ Unwrap() redis.UniversalClient })
		if !ok {
			break
		}
		inner = u.Unwrap()
	}
	if cc, ok := inner.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error { return fn(ctx, m) })
	}
	return fn(ctx, inner)
}

// globEscape escapes the characters SCAN's MATCH reads as a pattern.
func globEscape(s string) string {
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune(`*?[]\`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}
