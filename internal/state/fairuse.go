package state

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/botd/botd/internal/flows"
)

// Keys of the fair-use counters (see flows.FairUse), all of one chat in the
// chat's slot ({CHAT}, keys.go), since one script reads and writes them:
//
//	botd:fair:m:{CHAT}:OPEN_ID  string "START_MS:N": commands of one member in one chat this window
//	botd:fair:c:{CHAT}          string "START_MS:N": commands admitted in one chat this window
//	botd:fair:n:{CHAT}:OPEN_ID  string "END_MS": the member was told to slow down until then
//
// Each expires when its window ends.

// FairUse is flows.FairUseCounter on Redis: fixed windows that start at the
// first command, shared by every replica, decided in one script run per
// command (one round trip, atomic, so racing replicas never admit more than
// the cap or notify twice).
type FairUse struct {
	rdb redis.Scripter
	scope
}

var _ flows.FairUseCounter = (*FairUse)(nil)

// NewFairUse returns the counters on rdb, under its key prefix if it has
// one (WithKeyPrefix). WithTenants(true) makes them a store app's: each
// tenant's chats counted apart (tenants.go).
func NewFairUse(rdb redis.Scripter, opts ...Option) *FairUse {
	return &FairUse{rdb: rdb, scope: newScope(rdb, opts)}
}

// fairUseCmd counts one command.
//
// KEYS[1] the member's counter  KEYS[2] the chat's counter  KEYS[3] the member's notice flag
// ARGV[1] member cap (0: none)  ARGV[2] chat cap (0: none)  ARGV[3] window in ms
// Returns {refused, notify, retry_ms}: refused 0 (admitted), 1 (member cap)
// or 2 (chat cap); notify 1 on the member's first refusal in the window;
// retry_ms until the refusing window ends.
//
// The member's counter counts every command, refused ones too (a member
// who keeps typing stays refused), but the chat's counts only what the
// member cap let through, so a flood by one member never fills the chat's
// cap for the others. The notice flag holds the end of the window the
// member was told about, so the first refusal of a later window is told
// again.
//
// Windows are read against the server's clock (TIME), not only left to
// key expiry: replicas with skewed clocks agree, and the in-process store,
// whose keys do not expire by themselves, keeps working.
var fairUseCmd = redis.NewScript(`
local mcap, ccap, win = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function ms(x) return string.format("%.0f", x) end
-- read returns a window's start and count; a window that has passed reads as a new one.
local function read(key)
  local v = redis.call("GET", key)
  if v then
    local s, n = string.match(v, "^(%d+):(%d+)$")
    if s and now - tonumber(s) < win then return tonumber(s), tonumber(n) end
  end
  return now, 0
end
local function write(key, s, n)
  redis.call("SET", key, ms(s) .. ":" .. ms(n), "PX", ms(s + win - now))
end
local refused, ends = 0, 0
if mcap > 0 then
  local s, n = read(KEYS[1])
  write(KEYS[1], s, n + 1)
  if n + 1 > mcap then refused, ends = 1, s + win end
end
if refused == 0 and ccap > 0 then
  local s, n = read(KEYS[2])
  if n >= ccap then
    refused, ends = 2, s + win
  else
    write(KEYS[2], s, n + 1)
  end
end
if refused == 0 then return {0, 0, 0} end
local notify = 0
local told = tonumber(redis.call("GET", KEYS[3]) or "0") or 0
if told <= now then
  notify = 1
  redis.call("SET", KEYS[3], ms(ends), "PX", ms(ends - now))
end
return {refused, notify, ends - now}`)

// CountCommand counts one command by openID in chatID against caps.
func (f *FairUse) CountCommand(ctx context.Context, chatID, openID string, caps flows.FairUse) (flows.FairUseVerdict, error) {
	if !caps.On() {
		return flows.FairUseVerdict{Allowed: true}, nil
	}
	if chatID == "" {
		return flows.FairUseVerdict{}, errors.New("state: fair use: no chat")
	}
	k, err := f.space(ctx)
	if err != nil {
		return flows.FairUseVerdict{}, fmt.Errorf("state: fair use in %s: %w", chatID, err)
	}
	keys := []string{k.fairMember(chatID, openID), k.fairChat(chatID), k.fairNotice(chatID, openID)}
	res, err := fairUseCmd.Run(ctx, f.rdb, keys, caps.MemberCommands, caps.ChatCommands, caps.Window.Milliseconds()).Int64Slice()
	if err != nil {
		return flows.FairUseVerdict{}, fmt.Errorf("state: fair use in %s: %w", chatID, err)
	}
	if len(res) != 3 {
		return flows.FairUseVerdict{}, fmt.Errorf("state: fair use in %s: script answered %v", chatID, res)
	}
	if res[0] == 0 {
		return flows.FairUseVerdict{Allowed: true}, nil
	}
	return flows.FairUseVerdict{
		Notify:  res[1] == 1,
		ChatCap: res[0] == 2,
		RetryIn: time.Duration(res[2]) * time.Millisecond,
	}, nil
}
