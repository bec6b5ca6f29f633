package state

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/botd/botd/internal/flows"
)

// The flows' records (flows.RecordStore) are stored like interactions (a
// hash of version and JSON, created once, changed with a compare-and-set),
// under their flow's kind, without a TTL of their own: a reminder lives as
// long as its series, a todo as long as its card. RecordTTL bounds them
// after their last change. A record may belong to indexes of its kind
// (sorted sets of ids), which every write updates (see below).
const RecordTTL = 400 * 24 * time.Hour

var _ flows.RecordStore = (*Store)(nil)

// A record's hash holds, besides v and d, the index places its current
// version asked for: x, one line per index, "1 NAME" (in) or "0 NAME"
// (out). Readers of an index check an entry against it (ListRecords).
//
// Indexes on one server (and with Sentinel) change in the record's own
// script, atomically. On a cluster they cannot: an index is shared by many
// records (a chat's open todos) and one record sits in several indexes (a
// chat's, its creator's, its assignee's), so an index is in another slot
// than the record's. There a write takes three steps, each atomic in its
// own slot:
//
//  1. joins: the record's id is added to each index it is now in, before
//     the record changes, so that a record whose version says "in" is
//     always in the index (a crash after this step leaves an entry too
//     many, never one too few);
//  2. the record's compare-and-set, as on one server;
//  3. leaves: once the record has changed, its id is removed from each
//     index it is now out of.
//
// Each entry's place is written with the record version it is for, in a
// hash beside the index (ixv, same slot), and a step for an older version
// than the entry's is ignored: two writers whose steps interleave, or a
// step delayed by a retry, cannot undo a newer version's place. What can
// be left behind is an entry too many: from a write whose compare-and-set
// lost, or a crash between the steps. Readers skip such an entry and
// remove it, unless it is younger than inFlightGrace and for a version
// newer than the record's: a write that may still be in flight.
const inFlightGrace = 5 * time.Minute

// createRecordCmd stores a new record unless its key exists, and places it
// in its indexes (on a cluster, KEYS holds the record key only).
//
// KEYS[1] record key  KEYS[2..n] index keys
// ARGV[1] JSON  ARGV[2] TTL in ms  ARGV[3] record id  ARGV[4] index places (x)
// ARGV[5], ARGV[6] for KEYS[2]: "1" when in the index, its score; and so on
// Returns 1 when created, 0 when the key exists.
var createRecordCmd = redis.NewScript(`
if redis.call("EXISTS", KEYS[1]) == 1 then return 0 end
redis.call("HSET", KEYS[1], "v", 1, "d", ARGV[1], "x", ARGV[4])
redis.call("PEXPIRE", KEYS[1], ARGV[2])
for i = 2, #KEYS do
  local j = 5 + (i - 2) * 2
  if ARGV[j] == "1" then
    redis.call("ZADD", KEYS[i], ARGV[j + 1], ARGV[3])
  else
    redis.call("ZREM", KEYS[i], ARGV[3])
  end
end
return 1`)

// updateRecordCmd replaces a record if its version is still the expected
// one, and moves it in or out of its indexes (on a cluster, KEYS holds the
// record key only).
//
// KEYS[1] record key  KEYS[2..n] index keys
// ARGV[1] expected version  ARGV[2] new JSON  ARGV[3] TTL in ms  ARGV[4] record id
// ARGV[5] index places (x)
// ARGV[6], ARGV[7] for KEYS[2]: "1" when in the index, its score; and so on
// Returns 1 when updated, 0 on a version mismatch, -1 when the key is gone.
var updateRecordCmd = redis.NewScript(`
local v = redis.call("HGET", KEYS[1], "v")
if not v then return -1 end
if v ~= ARGV[1] then return 0 end
redis.call("HSET", KEYS[1], "v", tonumber(ARGV[1]) + 1, "d", ARGV[2], "x", ARGV[5])
redis.call("PEXPIRE", KEYS[1], ARGV[3])
for i = 2, #KEYS do
  local j = 6 + (i - 2) * 2
  if ARGV[j] == "1" then
    redis.call("ZADD", KEYS[i], ARGV[j + 1], ARGV[4])
  else
    redis.call("ZREM", KEYS[i], ARGV[4])
  end
end
return 1`)

// placeCmd is one step of a record's write on a cluster: it joins or
// leaves one index, for one record version, unless the entry is for a
// newer version.
//
// KEYS[1] index  KEYS[2] the index's versions (same slot)
// ARGV[1] record id  ARGV[2] version  ARGV[3] "1" join, "0" leave  ARGV[4] score
// Returns 1 when done, 0 when the entry is for a newer version.
var placeCmd = redis.NewScript(`
local cur = redis.call("HGET", KEYS[2], ARGV[1])
if cur then
  local v = tonumber(string.match(cur, "^(%d+):"))
  if v and v > tonumber(ARGV[2]) then return 0 end
end
if ARGV[3] == "1" then
  local t = redis.call("TIME")
  redis.call("ZADD", KEYS[1], ARGV[4], ARGV[1])
  redis.call("HSET", KEYS[2], ARGV[1], ARGV[2] .. ":" .. string.format("%.0f", tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)))
else
  redis.call("ZREM", KEYS[1], ARGV[1])
  redis.call("HDEL", KEYS[2], ARGV[1])
end
return 1`)

// pruneCmd removes an index entry a reader found stale: its record is gone
// or says it is out of the index, at version ARGV[2] (0: gone). It keeps
// the entry when it is for a newer version and younger than the grace: a
// write may be in flight.
//
// KEYS[1] index  KEYS[2] the index's versions
// ARGV[1] record id  ARGV[2] the record's version  ARGV[3] grace (ms)
// Returns 1 when removed, 0 when kept.
var pruneCmd = redis.NewScript(`
local cur = redis.call("HGET", KEYS[2], ARGV[1])
if cur then
  local v, ms = string.match(cur, "^(%d+):(%d+)$")
  if v and tonumber(v) > tonumber(ARGV[2]) then
    local t = redis.call("TIME")
    local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    if now - tonumber(ms) < tonumber(ARGV[3]) then return 0 end
  end
end
redis.call("ZREM", KEYS[1], ARGV[1])
redis.call("HDEL", KEYS[2], ARGV[1])
return 1`)

// places is the x field of r's hash: its index places, one a line.
func places(r flows.StoredRecord) string {
	var b strings.Builder
	for i, ix := range r.Index {
		if i > 0 {
			b.WriteByte('\n')
		}
		if ix.In {
			b.WriteString("1 ")
		} else {
			b.WriteString("0 ")
		}
		b.WriteString(ix.Name)
	}
	return b.String()
}

// placeIn reads what a record's x says about index: in, out, or unknown
// (a record written before x existed, or one that never named the index).
func placeIn(x, index string) (in, known bool) {
	for line := range strings.SplitSeq(x, "\n") {
		if name, ok := strings.CutPrefix(line, "1 "); ok && name == index {
			return true, true
		}
		if name, ok := strings.CutPrefix(line, "0 "); ok && name == index {
			return false, true
		}
	}
	return false, false
}

// checkIndexes checks r's kind, id and index names.
func checkIndexes(r flows.StoredRecord) error {
	if err := checkRecord(r.Kind, r.ID); err != nil {
		return err
	}
	for _, ix := range r.Index {
		if !validIndexName(ix.Name) {
			return fmt.Errorf("state: record %s %s: bad index name %q", r.Kind, r.ID, ix.Name)
		}
	}
	return nil
}

// recordArgs returns the one-server script's keys and its index arguments.
func recordArgs(k keyspace, r flows.StoredRecord) (keys []string, indexArgs []any) {
	keys = []string{k.record(r.Kind, r.ID)}
	for _, ix := range r.Index {
		in := "0"
		if ix.In {
			in = "1"
		}
		keys = append(keys, k.index(r.Kind, ix.Name))
		indexArgs = append(indexArgs, in, strconv.FormatFloat(ix.Score, 'f', -1, 64))
	}
	return keys, indexArgs
}

// place runs placeCmd for r's indexes that are in (join) or out (leave)
// at version, in one pipeline.
func (s *Store) place(ctx context.Context, k keyspace, r flows.StoredRecord, version int64, join bool) error {
	var cmds []*redis.Cmd
	_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error { // each command's own error is read below
		for _, ix := range r.Index {
			if ix.In != join {
				continue
			}
			in := "0"
			if join {
				in = "1"
			}
			cmds = append(cmds, placeCmd.Eval(ctx, p,
				[]string{k.index(r.Kind, ix.Name), k.indexVersions(r.Kind, ix.Name)},
				r.ID, version, in, strconv.FormatFloat(ix.Score, 'f', -1, 64)))
		}
		return nil
	})
	for _, c := range cmds {
		if err := c.Err(); err != nil {
			return err
		}
	}
	return nil
}

// CreateRecord implements flows.RecordStore.
func (s *Store) CreateRecord(ctx context.Context, r flows.StoredRecord) error {
	if err := checkIndexes(r); err != nil {
		return err
	}
	k, err := s.space(ctx)
	if err != nil {
		return fmt.Errorf("state: create %s %s: %w", r.Kind, r.ID, err)
	}
	keys, indexArgs := recordArgs(k, r)
	if s.cluster {
		if err := s.place(ctx, k, r, 1, true); err != nil {
			return fmt.Errorf("state: create %s %s: join its indexes: %w", r.Kind, r.ID, err)
		}
		keys, indexArgs = keys[:1], nil
	}
	args := append([]any{r.Data, RecordTTL.Milliseconds(), r.ID, places(r)}, indexArgs...)
	n, err := createRecordCmd.Run(ctx, s.rdb, keys, args...).Int()
	if err != nil {
		return fmt.Errorf("state: create %s %s: %w", r.Kind, r.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("state: create %s %s: %w", r.Kind, r.ID, flows.ErrExists)
	}
	if s.cluster {
		if err := s.place(ctx, k, r, 1, false); err != nil {
			return fmt.Errorf("state: create %s %s: leave indexes: %w", r.Kind, r.ID, err)
		}
	}
	return nil
}

// Record implements flows.RecordStore. The version is the hash's "v",
// which the scripts keep; the JSON's copy is not trusted.
func (s *Store) Record(ctx context.Context, kind, id string) (flows.StoredRecord, error) {
	r, _, err := s.record(ctx, kind, id)
	return r, err
}

// record loads a record and its index places (x).
func (s *Store) record(ctx context.Context, kind, id string) (flows.StoredRecord, string, error) {
	if err := checkRecord(kind, id); err != nil {
		return flows.StoredRecord{}, "", err
	}
	k, err := s.space(ctx)
	if err != nil {
		return flows.StoredRecord{}, "", fmt.Errorf("state: load %s %s: %w", kind, id, err)
	}
	vals, err := s.rdb.HMGet(ctx, k.record(kind, id), "v", "d", "x").Result()
	if err != nil {
		return flows.StoredRecord{}, "", fmt.Errorf("state: load %s %s: %w", kind, id, err)
	}
	data, ok := vals[1].(string)
	if !ok {
		return flows.StoredRecord{}, "", fmt.Errorf("state: load %s %s: %w", kind, id, flows.ErrNotFound)
	}
	r := flows.StoredRecord{Kind: kind, ID: id, Data: []byte(data)}
	if v, ok := vals[0].(string); ok {
		_, _ = fmt.Sscan(v, &r.Version)
	}
	x, _ := vals[2].(string)
	return r, x, nil
}

// UpdateRecord implements flows.RecordStore.
func (s *Store) UpdateRecord(ctx context.Context, r flows.StoredRecord) error {
	if err := checkIndexes(r); err != nil {
		return err
	}
	k, err := s.space(ctx)
	if err != nil {
		return fmt.Errorf("state: update %s %s: %w", r.Kind, r.ID, err)
	}
	keys, indexArgs := recordArgs(k, r)
	if s.cluster {
		if err := s.place(ctx, k, r, r.Version+1, true); err != nil {
			return fmt.Errorf("state: update %s %s: join its indexes: %w", r.Kind, r.ID, err)
		}
		keys, indexArgs = keys[:1], nil
	}
	args := append([]any{r.Version, r.Data, RecordTTL.Milliseconds(), r.ID, places(r)}, indexArgs...)
	n, err := updateRecordCmd.Run(ctx, s.rdb, keys, args...).Int()
	switch {
	case err != nil:
		return fmt.Errorf("state: update %s %s: %w", r.Kind, r.ID, err)
	case n == 0:
		return fmt.Errorf("state: update %s %s at version %d: %w", r.Kind, r.ID, r.Version, flows.ErrConflict)
	case n != 1:
		return fmt.Errorf("state: update %s %s: %w", r.Kind, r.ID, flows.ErrNotFound)
	}
	if s.cluster {
		if err := s.place(ctx, k, r, r.Version+1, false); err != nil {
			return fmt.Errorf("state: update %s %s: leave indexes: %w", r.Kind, r.ID, err)
		}
	}
	return nil
}

// ListRecords implements flows.RecordStore. An entry whose record has
// expired, or whose record now says it is out of the index (a step a
// crash cut short on a cluster, see above), is skipped and dropped as it
// is met, and not counted.
func (s *Store) ListRecords(ctx context.Context, kind, index string, offset, limit int) ([]flows.StoredRecord, int, error) {
	if err := checkRecord(kind, "x"); err != nil {
		return nil, 0, err
	}
	if !validIndexName(index) || offset < 0 || limit <= 0 {
		return nil, 0, fmt.Errorf("state: list %s %q [%d, +%d]: bad arguments", kind, index, offset, limit)
	}
	k, err := s.space(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("state: list %s %s: %w", kind, index, err)
	}
	key := k.index(kind, index)
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
		r, x, err := s.record(ctx, kind, id)
		switch {
		case errors.Is(err, flows.ErrNotFound):
			r.Version = 0
		case err != nil:
			return nil, 0, err
		}
		if in, known := placeIn(x, index); err == nil && (in || !known) {
			out = append(out, r)
			continue
		}
		total--
		prune := []string{key, k.indexVersions(kind, index)}
		_ = pruneCmd.Run(ctx, s.rdb, prune, id, r.Version, s.grace.Milliseconds()).Err() // the next reader tries again
	}
	return out, int(total), nil
}

// reservedKinds are the first words of botd's other keys (keys.go): a
// record kind, or its indexes' "{kind}s", must never be one of them.
var reservedKinds = []string{"itx", "cmd", "claim", "cache", "outbox", "fair", "member", "due", "ixv", "rl", "job", "webshare"}

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

// validIndexName: a short name without spaces, control characters or
// braces ("open:oc_x"). A brace would move the index's hash tag (keys.go)
// away from its versions' on a cluster.
func validIndexName(name string) bool {
	if name == "" || len(name) > 200 {
		return false
	}
	for _, c := range name {
		if c <= ' ' || c == 0x7f || c == '{' || c == '}' {
			return false
		}
	}
	return true
}
