package ratelimit

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Times in the scripts are integer milliseconds. Lua 5.1 numbers are doubles
// and turn into strings with 14 significant digits, enough for a Unix time
// in ms (13 digits) but not in µs, which would silently lose precision in
// every score passed back to Redis. A millisecond is far below the margin.

// allowScript admits one call if every rule has room and then records it in
// every rule's log; otherwise it records nothing and says how long to wait.
//
// Input:
//
//	KEYS[1..n]  the log of each rule, a sorted set of admission times; a key
//	            may appear for several rules (the app tier's per-second and
//	            per-minute rules share one log)
//	KEYS[n+1]   the pause key of the call's API: while it holds a time after
//	            now, the call is refused until then
//	ARGV[1]     now in ms, or 0 to read the server's clock (TIME)
//	ARGV[2]     a unique member for this admission
//	ARGV[3]     n, the number of rules
//	ARGV[2+2i]  the window of rule i in ms, i = 1..n
//	ARGV[3+2i]  the limit of rule i (≥ 1)
//
// Output:
//
//	{1, 0, 0}           admitted, and recorded in every log
//	{0, wait_ms, rule}  refused; wait_ms is how long until every blocking
//	                    rule has room (and any pause has ended), rule is the
//	                    index of the rule that needs the longest wait, 0 for
//	                    the pause
//
// A rule blocks when its window already holds limit entries; it has room
// again when the (count − limit + 1)-th oldest of them leaves the window,
// which is exact: no polling, no guess.
var allowScript = redis.NewScript(`
if redis.replicate_commands then redis.replicate_commands() end
local now = tonumber(ARGV[1])
if now == 0 then
	local t = redis.call('TIME')
	now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local n = tonumber(ARGV[3])

local wait, worst, blocked = 0, 0, false
local paused = tonumber(redis.call('GET', KEYS[n + 1]))
if paused and paused > now then
	wait, blocked = paused - now, true
end

-- The longest window of each log is how much of it to keep.
local span = {}
for i = 1, n do
	local w = tonumber(ARGV[2 + 2 * i])
	if (span[KEYS[i]] or 0) < w then span[KEYS[i]] = w end
end
for key, w in pairs(span) do
	redis.call('ZREMRANGEBYSCORE', key, '-inf', now - w)
end

for i = 1, n do
	local key, w, limit = KEYS[i], tonumber(ARGV[2 + 2 * i]), tonumber(ARGV[3 + 2 * i])
	local from = '(' .. (now - w)
	local count = redis.call('ZCOUNT', key, from, '+inf')
	if count >= limit then
		blocked = true
		local e = redis.call('ZRANGEBYSCORE', key, from, '+inf', 'WITHSCORES', 'LIMIT', count - limit, 1)
		local d = tonumber(e[2]) + w - now
		if d > wait then wait, worst = d, i end
	end
end
if blocked then
	return {0, wait, worst}
end

for key, w in pairs(span) do
	redis.call('ZADD', key, now, ARGV[2])
	redis.call('PEXPIRE', key, w + 1000)
end
return {1, 0, 0}
`)

// pauseScript stops an API's app tier for a while, for every replica.
//
// Input:
//
//	KEYS[1]  the pause key
//	ARGV[1]  now in ms, or 0 to read the server's clock (TIME)
//	ARGV[2]  how long to pause, in ms (> 0)
//
// Output: the end of the pause in ms. An existing pause that ends later is
// kept. The key holds the end time rather than relying on its TTL, so that
// the allow script compares times on one clock (and in-process test servers
// that do not expire keys in real time still work); the TTL only cleans up.
var pauseScript = redis.NewScript(`
if redis.replicate_commands then redis.replicate_commands() end
local now = tonumber(ARGV[1])
if now == 0 then
	local t = redis.call('TIME')
	now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local d = tonumber(ARGV[2])
local till = now + d
local cur = tonumber(redis.call('GET', KEYS[1]))
if cur and cur >= till then
	return cur
end
redis.call('SET', KEYS[1], till, 'PX', d + 1000)
return till
`)

// verdict is the allow script's answer.
type verdict struct {
	allowed bool
	wait    time.Duration
	rule    int // index into the call's rules + 1; 0 for the pause
}

// runAllow runs allowScript for rules, with their limits already adjusted
// for the caller's priority, their keys under prefix. nowMS is 0 to use the
// server's clock.
func runAllow(ctx context.Context, rdb redis.Scripter, prefix string, nowMS int64, member string, rules []rule, limits []int, pause string) (verdict, error) {
	keys := make([]string, 0, len(rules)+1)
	args := make([]any, 0, 3+2*len(rules))
	args = append(args, nowMS, member, len(rules))
	for i, r := range rules {
		keys = append(keys, prefix+r.key)
		args = append(args, r.window.Milliseconds(), limits[i])
	}
	keys = append(keys, prefix+pause)
	res, err := allowScript.Run(ctx, rdb, keys, args...).Int64Slice()
	if err != nil {
		return verdict{}, err
	}
	if len(res) != 3 {
		return verdict{}, fmt.Errorf("allow script returned %d values, want 3", len(res))
	}
	return verdict{allowed: res[0] == 1, wait: time.Duration(res[1]) * time.Millisecond, rule: int(res[2])}, nil
}

// runPause runs pauseScript and returns the end of the pause (server time).
func runPause(ctx context.Context, rdb redis.Scripter, nowMS int64, key string, d time.Duration) (time.Time, error) {
	ms := max(d.Milliseconds(), 1)
	till, err := pauseScript.Run(ctx, rdb, []string{key}, nowMS, strconv.FormatInt(ms, 10)).Int64()
	if err != nil {
		return time.Time{}, err
	}
	return time.UnixMilli(till), nil
}
