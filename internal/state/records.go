package state

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/botd/botd/internal/flows"
)

// The flows' records (flows.RecordStore) are stored like interactions (a
// hash of version and JSON, created once, changed with a compare-and-set),
// under their flow's kind, without a TTL of their own: a reminder lives as
// long as its series, a todo as long as its card. RecordTTL bounds them
// after their last change. A record may belong to indexes of its kind
// (sorted sets of ids), which every write updates in the same script.
const RecordTTL = 400 * 24 * time.Hour

var _ flows.RecordStore = (*Store)(nil)

// createRecordCmd stores a new record unless its key exists, and places it
// in its indexes.
//
// KEYS[1] record key  KEYS[2..n] index keys
// ARGV[1] JSON  ARGV[2] TTL in ms  ARGV[3] record id
// ARGV[4], ARGV[5] for KEYS[2]: "1" when in the index, its score; and so on
// Returns 1 when created, 0 when the key exists.
var createRecordCmd = redis.NewScript(`
if redis.call("EXISTS", KEYS[1]) == 1 then return 0 end
redis.call("HSET", KEYS[1], "v", 1, "d", ARGV[1])
redis.call("PEXPIRE", KEYS[1], ARGV[2])
for i = 2, #KEYS do
  local j = 4 + (i - 2) * 2
  if ARGV[j] == "1" then
    redis.call("ZADD", KEYS[i], ARGV[j + 1], ARGV[3])
  else
    redis.call("ZREM", KEYS[i], ARGV[3])
  end
end
return 1`)

// updateRecordCmd replaces a record if its version is still the expected
// one, and moves it in or out of its indexes.
//
// KEYS[1] record key  KEYS[2..n] index keys
// ARGV[1] expected version  ARGV[2] new JSON  ARGV[3] TTL in ms  ARGV[4] record id
// ARGV[5], ARGV[6] for KEYS[2]: "1" when in the index, its score; and so on
// Returns 1 when updated, 0 on a version mismatch, -1 when the key is gone.
var updateRecordCmd = redis.NewScript(`
local v = redis.call("HGET", KEYS[1], "v")
if not v then return -1 end
if v ~= ARGV[1] then return 0 end
redis.call("HSET", KEYS[1], "v", tonumber(ARGV[1]) + 1, "d", ARGV[2])
redis.call("PEXPIRE", KEYS[1], ARGV[3])
for i = 2, #KEYS do
  local j = 5 + (i - 2) * 2
  if ARGV[j] == "1" then
    redis.call("ZADD", KEYS[i], ARGV[j + 1], ARGV[4])
  else
    redis.call("ZREM", KEYS[i], ARGV[4])
  end
end
return 1`)

// recordArgs checks r's kind, id and indexes and returns the script's
// keys and its index arguments.
func recordArgs(r flows.StoredRecord) (keys []string, indexArgs []any, err error) {
	if err := checkRecord(r.Kind, r.ID); err != nil {
		return nil, nil, err
	}
	keys = []string{recordKey(r.Kind, r.ID)}
	for _, ix := range r.Index {
		if !validIndexName(ix.Name) {
			return nil, nil, fmt.Errorf("state: record %s %s: bad index name %q", r.Kind, r.ID, ix.Name)
		}
		in := "0"
		if ix.In {
			in = "1"
		}
		keys = append(keys, indexKey(r.Kind, ix.Name))
		indexArgs = append(indexArgs, in, strconv.FormatFloat(ix.Score, 'f', -1, 64))
	}
	return keys, indexArgs, nil
}

// CreateRecord implements flows.RecordStore.
func (s *Store) CreateRecord(ctx context.Context, r flows.StoredRecord) error {
	keys, indexArgs, err := recordArgs(r)
	if err != nil {
		return err
	}
	args := append([]any{r.Data, RecordTTL.Milliseconds(), r.ID}, indexArgs...)
	n, err := createRecordCmd.Run(ctx, s.rdb, keys, args...).Int()
	if err != nil {
		return fmt.Errorf("state: create %s %s: %w", r.Kind, r.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("state: create %s %s: %w", r.Kind, r.ID, flows.ErrExists)
	}
	return nil
}

// Record implements flows.RecordStore. The version is the hash's "v",
// which the scripts keep; the JSON's copy is not trusted.
func (s *Store) Record(ctx context.Context, kind, id string) (flows.StoredRecord, error) {
	if err := checkRecord(kind, id); err != nil {
		return flows.StoredRecord{}, err
	}
	vals, err := s.rdb.HMGet(ctx, recordKey(kind, id), "v", "d").Result()
	if err != nil {
		return flows.StoredRecord{}, fmt.Errorf("state: load %s %s: %w", kind, id, err)
	}
	data, ok := vals[1].(string)
	if !ok {
		return flows.StoredRecord{}, fmt.Errorf("state: load %s %s: %w", kind, id, flows.ErrNotFound)
	}
	r := flows.StoredRecord{Kind: kind, ID: id, Data: []byte(data)}
	if v, ok := vals[0].(string); ok {
		_, _ = fmt.Sscan(v, &r.Version)
	}
	return r, nil
}

// UpdateRecord implements flows.RecordStore.
func (s *Store) UpdateRecord(ctx context.Context, r flows.StoredRecord) error {
	keys, indexArgs, err := recordArgs(r)
	if err != nil {
		return err
	}
	args := append([]any{r.Version, r.Data, RecordTTL.Milliseconds(), r.ID}, indexArgs...)
	n, err := updateRecordCmd.Run(ctx, s.rdb, keys, args...).Int()
	switch {
	case err != nil:
		return fmt.Errorf("state: update %s %s: %w", r.Kind, r.ID, err)
	case n == 1:
		return nil
	case n == 0:
		return fmt.Errorf("state: update %s %s at version %d: %w", r.Kind, r.ID, r.Version, flows.ErrConflict)
	default:
		return fmt.Errorf("state: update %s %s: %w", r.Kind, r.ID, flows.ErrNotFound)
	}
}

// ListRecords implements flows.RecordStore. Ids whose record has expired
// are dropped from the index as they are met.
func (s *Store) ListRecords(ctx context.Context, kind, index string, offset, limit int) ([]flows.StoredRecord, int, error) {
	if err := checkRecord(kind, "x"); err != nil {
		return nil, 0, err
	}
	if !validIndexName(index) || offset < 0 || limit <= 0 {
		return nil, 0, fmt.Errorf("state: list %s %q [%d, +%d]: bad arguments", kind, index, offset, limit)
	}
	key := indexKey(kind, index)
	total, err := s.rdb.ZCard(ctx, key).Result()
	if err != nil {
		return nil, 0, fmt.Errorf("state: count %s %s: %w", kind, index, err)
	}
	ids, err := s.rdb.ZRevRange(ctx, key, int64(offset), int64(offset+limit-1)).Result()
	if err != nil {
		return nil, 0, fmt.Errorf("state: list %s %s: %w", kind, index, err)
	}
	out := make([]flows.StoredRecord, 0, len(ids))
	for _, id := range ids {
		r, err := s.Record(ctx, kind, id)
		if err != nil {
			if errors.Is(err, flows.ErrNotFound) {
				_ = s.rdb.ZRem(ctx, key, id).Err()
				total--
				continue
			}
			return nil, 0, err
		}
		out = append(out, r)
	}
	return out, int(total), nil
}

// reservedKinds are the first words of botd's other keys (keys.go): a
// record kind, or its indexes' "{kind}s", must never be one of them.
var reservedKinds = []string{"itx", "claim", "cache", "outbox", "fair", "member", "due"}

// checkRecord refuses a kind or id that could make a key outside the
// record's own: a kind is a lower-case word (not ending in "s", so that a
// kind's record keys never meet another kind's indexes), an id is letters,
// digits, '_' and '-'.
func checkRecord(kind, id string) error {
	if len(kind) < 2 || len(kind) > 16 || kind[len(kind)-1] == 's' || slices.Contains(reservedKinds, kind) {
		return fmt.Errorf("state: bad record kind %q", kind)
	}
	for _, c := range kind {
		if c < 'a' || c > 'z' {
			return fmt.Errorf("state: bad record kind %q", kind)
		}
	}
	if id == "" || len(id) > 128 {
		return fmt.Errorf("state: bad record id %q", id)
	}
	for _, c := range id {
		if c != '_' && c != '-' && !('a' <= c && c <= 'z') && !('A' <= c && c <= 'Z') && !('0' <= c && c <= '9') {
			return fmt.Errorf("state: bad record id %q", id)
		}
	}
	return nil
}

// validIndexName: a short name without spaces or control characters
// ("open:oc_x").
func validIndexName(name string) bool {
	if name == "" || len(name) > 200 {
		return false
	}
	for _, c := range name {
		if c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}
