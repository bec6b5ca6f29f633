package flows

import (
	"context"
	"fmt"
	"strings"

	"go.uber.org/zap"
)

// Member indexes (memberindex.go) came with the web app: a record gets into
// them on its first write since. Records written by an older botd and not
// changed since would be missing from "my items"; BackfillMemberIndexes
// puts them in, once.

// Reindexer is a flow whose records' indexes can be worked out again from
// their stored JSON.
type Reindexer interface {
	Flow
	// RecordKind is the store's kind of its records.
	RecordKind() string
	// RecordIndexes are the indexes a record, stored as data, belongs in
	// (the record type's Indexes).
	RecordIndexes(data []byte) ([]Index, error)
}

// IndexBackfiller walks every record of a kind and adds each to the
// indexes indexes names for it (state.Store). It is bounded, idempotent
// (adding a record to an index it is in changes nothing) and remembers
// under name that it ran to the end, so it runs once per kind and name.
type IndexBackfiller interface {
	BackfillIndexes(ctx context.Context, kind, name string, indexes func(data []byte) ([]Index, error)) (added int, err error)
}

// memberIndexBackfill names the one backfill so far.
const memberIndexBackfill = "member_index_v1"

// BackfillMemberIndexes adds every record of the registered Reindexer
// flows to its member indexes. Only member indexes are touched: a
// record stays in them whatever becomes of it, so adding one late can
// never undo a change made meanwhile, as re-adding a todo to its chat's
// open list after it was closed would.
func (e *Engine) BackfillMemberIndexes(ctx context.Context, b IndexBackfiller) error {
	for _, f := range e.order {
		r, ok := f.(Reindexer)
		if !ok {
			continue
		}
		n, err := b.BackfillIndexes(ctx, r.RecordKind(), memberIndexBackfill, func(data []byte) ([]Index, error) {
			all, err := r.RecordIndexes(data)
			if err != nil {
				return nil, err
			}
			var member []Index
			for _, ix := range all {
				if ix.In && strings.HasPrefix(ix.Name, memberIndexPrefix) {
					member = append(member, ix)
				}
			}
			return member, nil
		})
		if err != nil {
			return fmt.Errorf("flows: backfill member indexes of %s: %w", r.RecordKind(), err)
		}
		if n > 0 {
			e.log.Info("member indexes backfilled", zap.String("kind", r.RecordKind()), zap.Int("entries", n))
		}
	}
	return nil
}
