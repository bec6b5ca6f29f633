package state

// Every Redis key botd writes is built here, so the whole schema fits on one
// screen. All keys share one prefix so an operator can find (or flush) them,
// and so botd can share a Redis database with other software.
//
//	botd:itx:{id}      hash  interaction: v = version, d = JSON   TTL: InteractionTTL
//	botd:claim:{key}   string "1": event/message/replay claims    TTL: per claim
//	botd:cache:{key}   string cached values (tenant token)        TTL: per value
//	botd:outbox:{id}   hash   effect -> "started:{ms}" | "done:{result}"   TTL: InteractionTTL
//	botd:outbox:ambiguous  zset "{effect}:{id}" scored by ms: effects whose
//	                       outcome a crash left unknown; trimmed to InteractionTTL
const prefix = "botd:"

func interactionKey(id string) string { return prefix + "itx:" + id }
func claimKey(key string) string      { return prefix + "claim:" + key }
func cacheKey(key string) string      { return prefix + "cache:" + key }
func outboxKey(id string) string      { return prefix + "outbox:" + id }

// AmbiguousKey lists effects whose outcome a crash left unknown (see
// flows.Outbox). Operators and the crash tests read it.
const AmbiguousKey = prefix + "outbox:ambiguous"
