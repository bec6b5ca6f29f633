// Package ratelimit paces calls to the Open API so that they stay inside the
// platform's documented quotas (docs/feishu-platform.md §12.1), across every
// replica of botd, and use nearly all of them.
//
// # The quotas
//
// The limits stack: one call counts against several of them, and exceeding
// any one is refused (HTTP 429 and code 99991400, or 230020 for the
// per-chat and per-user message limits):
//
//	ephemeral/v1/send     40/s per chat          + app tier of ephemeral.send
//	ephemeral/v1/delete                          + app tier of ephemeral.delete
//	im/v1/messages        5/s per chat (all bots) + app tier of im.message.create
//	                      5/s per user (p2p)
//	PATCH im/v1/messages  5/s per message        + app tier of im.message.patch
//	GET im/v1/chats/:id                          + app tier of im.chat.get
//	GET im/v1/chats/:id/members                  + app tier of im.chat.members.get
//
// where the app tier of each API is its own pair of counters: at most 50 in
// any second AND at most 1000 in any minute. The PATCH app tier is not
// confirmed by the docs; pacing it costs nothing at botd's volumes.
//
// # Pace, never drop
//
// A call waits for its turn instead of failing: Limiter.Wait sleeps in the
// process while the wait is short, and re-checks. When the wait would exceed
// Limits.MaxWait (2 s by default) it returns a *WaitError instead, which
// says Retryable, RetryDelay and Paced, so the job queue reschedules the job
// for then without counting a failure and no worker is held for long. A call
// that gets a WaitError has consumed nothing.
//
// Within a process, the waiters for the same quota (same rules, same
// priority) stand in line and only the one at the head polls Redis (see
// queue.go). Without that, every waiter wakes each time a slot frees and
// all but one go back to sleep: dozens of script runs per admission, and
// the CPU they burn delays the admitted calls unevenly, which the margin
// below then has to absorb.
//
// # Why a sliding-window log, in one Lua script
//
// Several replicas share one Redis, so the state lives there and every
// decision is one atomic script run. A GCRA or token bucket (redis_rate and
// friends) has a single rate and a burst: to guarantee "≤ 50 in any second"
// and "≤ 1000 in any minute" with one bucket, it must give up half of one of
// them (it admits burst + rate×T in any window T). So each rule is an exact
// sliding-window log instead: a sorted set of admission times, trimmed to the
// window. The app tier keeps ONE log per API, counted over the last second
// and over the last minute; bulk and interactive calls share it.
//
// All the rules of one call are checked in one script run and the call is
// recorded in all of them only if all have room, so a rule that blocks never
// wastes another rule's allowance. When refused, the script returns how long
// until every blocking rule has room: for a full rule, the time at which the
// entry that must leave the window does (exact, not a guess), the longest
// over the blocking rules.
//
// The script reads the time from the Redis server (TIME), not from the
// callers, so replicas whose clocks disagree still agree on the windows.
// Tests may pass the time in instead (Options.Now) to step it by hand.
//
// # Margin
//
// The platform counts requests when they arrive, we when we admit them; the
// two differ by the time a request takes to get there, and what matters is
// how much that time varies from one request to the next (the offset
// between the clocks cancels out in a sliding window). Every window is
// therefore widened by Limits.Margin, an absolute duration (50 ms by
// default): a log that admits ≤ N in any W+m never puts more than N into any
// platform window of length W, fixed or sliding, as long as the transit time
// varies by less than m. At 50 ms that is 95.2% of the per-second figure and
// 99.9% of the per-minute one. If the platform refuses anyway, the 429's
// x-ogw-ratelimit-reset is honoured: the Sender pauses that API's app tier
// for every replica (Limiter.Pause) and the job is retried after the reset.
//
// # Priorities
//
// flows.PriorityFrom(ctx) decides how much of the app tier a call may use:
// bulk work (reminders, nudges) only Limits.BulkShare of it (80% by
// default), interactive work all of it, so a member waiting for a form
// always finds room even during a reminder storm. Per-chat, per-user and
// per-message limits are the same for both: they protect the chat, not
// the app.
//
// # Keys
//
// All keys live under "botd:rl:" (see keys.go) and carry a TTL of their
// longest window plus a second, so idle chats and messages leave nothing
// behind. One Redis database (or key prefix) serves one app. A store app
// (Options.PerTenant) keeps every tenant's windows apart, as the platform
// counts them, with the tenant inside each key's hash tag; a call whose
// context has no tenant is refused, never counted in shared windows. The keys of
// one call are passed to the script as KEYS, and share the hash tag of
// their API, so a Redis Cluster runs the script in that API's slot.
//
// # Turning it off
//
// Limits.Off (BOTD_RATE_LIMITS=off) and a nil *Limiter both mean no pacing
// at all: Wait returns at once and the Sender passes calls straight through.
package ratelimit
