package state

// Every Redis key botd writes is built here, so the whole schema fits on one
// screen. All keys share one prefix so an operator can find (or flush) them,
// and so botd can share a Redis database with other software.
//
//	botd:itx:{id}      hash  interaction: v = version, d = JSON   TTL: InteractionTTL
//	botd:cmd:{message_id}  string  the first interaction the command's message started  TTL: InteractionTTL
//	botd:claim:{key}   string "1": event/message/replay claims    TTL: per claim
//	botd:cache:{key}   string cached values (tenant token; chat:{id}: chat info JSON)  TTL: per value
//	botd:outbox:{id}   hash   effect -> "started:{ms}" | "done:{result}"   TTL: InteractionTTL
//	botd:outbox:ambiguous  zset "{effect}:{id}" scored by ms: effects whose
//	                       outcome a crash left unknown; trimmed to InteractionTTL
//	botd:{kind}:{id}   hash  a flow's record: v = version, d = JSON   TTL: RecordTTL
//	                         (kinds: rem = reminder, todo; see records.go)
//	botd:{kind}s:{index}  zset a kind's record ids by score; botd:todos:open:{chat}
//	                         is the chat's open todos, by creation ms
//	botd:fair:m:{chat}:{open_id}  string  commands counted in the fair-use window   TTL: the window
//	botd:fair:c:{chat}            string  the chat's commands in the window        TTL: the window
//	botd:fair:n:{chat}:{open_id}  string  "slow down" notice sent in this window   TTL: to the window's end
//	botd:members:{chat}           set     the chat's member open_ids (see members.go)  TTL: 60 s
//	botd:members:{chat}:at        string  when the set was read; :failed, a failed read  TTL: short
//	botd:cache:chatfail:{id}      string  a failed chat lookup, "{kind}:{until_ms}"  TTL: 5 s, 30 s when gone
//	botd:cache:jsapi_ticket:v1:{app_id}  string  the JSSDK ticket and its expiry   TTL: to 10 min before expiry
//	botd:cache:websession:{sha256}       string  a web app session (the cookie's hash)  TTL: the session's life
//	botd:due           zset  occurrences scored by due ms: "rem:{id}:{key}",
//	                         "tododue:{id}:{ms}" (see internal/schedule)
const prefix = "botd:"

func interactionKey(id string) string   { return prefix + "itx:" + id }
func claimKey(key string) string        { return prefix + "claim:" + key }
func commandKey(msgID string) string    { return prefix + "cmd:" + msgID }
func cacheKey(key string) string        { return prefix + "cache:" + key }
func outboxKey(id string) string        { return prefix + "outbox:" + id }
func recordKey(kind, id string) string  { return prefix + kind + ":" + id }
func indexKey(kind, name string) string { return prefix + kind + "s:" + name }

// DueKey is the due set: every scheduled occurrence, scored by its due time
// in Unix ms. Tests read it.
const DueKey = prefix + "due"

// AmbiguousKey lists effects whose outcome a crash left unknown (see
// flows.Outbox). Operators and the crash tests read it.
const AmbiguousKey = prefix + "outbox:ambiguous"
