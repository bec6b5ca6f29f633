package state

// Every Redis key botd writes is built here, so the whole schema fits on one
// screen. All keys share one prefix so an operator can find (or flush) them,
// and so botd can share a Redis database with other software.
//
//	botd:itx:{id}      hash  interaction: v = version, d = JSON   TTL: InteractionTTL
//	botd:claim:{key}   string "1": event/message/replay claims    TTL: per claim
//	botd:cache:{key}   string cached values (tenant token; chat:{id}: chat info JSON)  TTL: per value
//	botd:outbox:{id}   hash   effect -> "started:{ms}" | "done:{result}"   TTL: InteractionTTL
//	botd:outbox:ambiguous  zset "{effect}:{id}" scored by ms: effects whose
//	                       outcome a crash left unknown; trimmed to InteractionTTL
//	botd:rem:{id}      hash  reminder: v = version, d = JSON      TTL: RecordTTL
//	botd:todo:{id}     hash  todo: v = version, d = JSON          TTL: RecordTTL
//	botd:todos:open:{chat}  zset todo ids scored by creation ms: the chat's open todos
//	botd:fair:m:{chat}:{open_id}  string  commands counted in the fair-use window   TTL: the window
//	botd:fair:c:{chat}            string  the chat's commands in the window        TTL: the window
//	botd:fair:n:{chat}:{open_id}  string  "slow down" notice sent in this window   TTL: to the window's end
//	botd:members:{chat}           set     the chat's member open_ids (see members.go)  TTL: 60 s
//	botd:members:{chat}:at        string  when the set was read; :failed, a failed read  TTL: short
//	botd:cache:chatfail:{id}      string  a failed chat lookup, "{kind}:{until_ms}"  TTL: 5 s, 30 s when gone
//	botd:due           zset  occurrences scored by due ms: "rem:{id}:{key}",
//	                         "tododue:{id}:{ms}" (see internal/schedule)
const prefix = "botd:"

func interactionKey(id string) string { return prefix + "itx:" + id }
func claimKey(key string) string      { return prefix + "claim:" + key }
func cacheKey(key string) string      { return prefix + "cache:" + key }
func outboxKey(id string) string      { return prefix + "outbox:" + id }
func reminderKey(id string) string    { return prefix + "rem:" + id }
func todoKey(id string) string        { return prefix + "todo:" + id }
func openTodosKey(chat string) string { return prefix + "todos:open:" + chat }

// DueKey is the due set: every scheduled occurrence, scored by its due time
// in Unix ms. Tests read it.
const DueKey = prefix + "due"

// AmbiguousKey lists effects whose outcome a crash left unknown (see
// flows.Outbox). Operators and the crash tests read it.
const AmbiguousKey = prefix + "outbox:ambiguous"
