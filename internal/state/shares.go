package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/botd/botd/internal/flows"
)

// The copies of a record's card members shared from the web app
// (flows.ShareStore): one hash per record, P webshare:KIND:ID, message id
// -> "MS JSON" (when it was shared, then the flows.Share). One key per
// record, used alone: no tag (keys.go, rule 1). It lives as long as its
// record (RecordTTL from the last share) and holds the newest
// flows.MaxShares.

var _ flows.ShareStore = (*Store)(nil)

// addSharesCmd adds copies, keeping a copy already there as it was, then
// drops the oldest beyond the bound.
//
// KEYS[1] the record's shares
// ARGV[1] the bound  ARGV[2] TTL in ms  ARGV[3], ARGV[4]: a message id and
// its value; and so on
// Returns how many the hash holds.
var addSharesCmd = redis.NewScript(`
for i = 3, #ARGV, 2 do
  redis.call("HSETNX", KEYS[1], ARGV[i], ARGV[i + 1])
end
local n = redis.call("HLEN", KEYS[1])
local bound = tonumber(ARGV[1])
if n > bound then
  local all = redis.call("HGETALL", KEYS[1])
  local entries = {}
  for j = 1, #all, 2 do
    entries[#entries + 1] = {all[j], tonumber(string.match(all[j + 1], "^(%d+)")) or 0}
  end
  table.sort(entries, function(a, b)
    if a[2] == b[2] then return a[1] < b[1] end
    return a[2] < b[2]
  end)
  for j = 1, n - bound do
    redis.call("HDEL", KEYS[1], entries[j][1])
  end
  n = bound
end
redis.call("PEXPIRE", KEYS[1], ARGV[2])
return n`)

// AddShares implements flows.ShareStore.
func (s *Store) AddShares(ctx context.Context, kind, id string, shares []flows.Share) error {
	if err := checkRecord(kind, id); err != nil {
		return err
	}
	if len(shares) == 0 {
		return nil
	}
	k, err := s.space(ctx)
	if err != nil {
		return fmt.Errorf("state: shares of %s %s: %w", kind, id, err)
	}
	args := []any{flows.MaxShares, RecordTTL.Milliseconds()}
	for _, sh := range shares {
		if sh.MessageID == "" || strings.ContainsAny(sh.MessageID, " \t\r\n") {
			return fmt.Errorf("state: shares of %s %s: bad message id %q", kind, id, sh.MessageID)
		}
		at := sh.At
		if at.IsZero() {
			at = s.now()
		}
		data, err := json.Marshal(sh)
		if err != nil {
			return fmt.Errorf("state: shares of %s %s: %w", kind, id, err)
		}
		args = append(args, sh.MessageID, strconv.FormatInt(at.UnixMilli(), 10)+" "+string(data))
	}
	if err := addSharesCmd.Run(ctx, s.rdb, []string{k.shares(kind, id)}, args...).Err(); err != nil {
		return fmt.Errorf("state: shares of %s %s: %w", kind, id, err)
	}
	return nil
}

// Share implements flows.ShareStore.
func (s *Store) Share(ctx context.Context, kind, id, messageID string) (flows.Share, bool, error) {
	if err := checkRecord(kind, id); err != nil {
		return flows.Share{}, false, err
	}
	k, err := s.space(ctx)
	if err != nil {
		return flows.Share{}, false, fmt.Errorf("state: share %s of %s %s: %w", messageID, kind, id, err)
	}
	raw, err := s.rdb.HGet(ctx, k.shares(kind, id), messageID).Result()
	if errors.Is(err, redis.Nil) {
		return flows.Share{}, false, nil
	}
	if err != nil {
		return flows.Share{}, false, fmt.Errorf("state: share %s of %s %s: %w", messageID, kind, id, err)
	}
	_, data, _ := strings.Cut(raw, " ")
	var sh flows.Share
	if err := json.Unmarshal([]byte(data), &sh); err != nil {
		return flows.Share{}, false, fmt.Errorf("state: share %s of %s %s: %w", messageID, kind, id, err)
	}
	sh.MessageID = messageID
	return sh, true, nil
}
