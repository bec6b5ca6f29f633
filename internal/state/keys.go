package state

import (
	"strconv"

	"github.com/redis/go-redis/v9"
)

// Every Redis key botd writes is built here, so the whole schema fits on one
// screen. All keys share one prefix so an operator can find (or flush) them,
// and so botd can share a Redis database with other software. P is that
// prefix: "botd:", after the URL's key_prefix when it has one (KeyPrefix).
//
// A store app (BOTD_APP_TYPE=store, WithTenants) serves many tenants at
// once, and two of them may use the same chat, user and message ids: there
// every key of the table below except the due set and the ambiguous set is
// the tenant's, P being "botd:t:TENANT:" (after the key_prefix), where
// TENANT is the tenant_key of the context (tenant.Require; tenant.Check
// keeps ':', '{', '}', '*' and '/' out of it). The tenant is not a hash
// tag: one tenant's keys spread over every slot like anyone's, and the
// tags below still group what one script touches. The two sets every
// replica reads whole stay one (sharded) set for all tenants, their
// members qualified "TENANT/MEMBER" (tenant.Qualify), so that reading
// them costs the same for one tenant or ten thousand; nothing of a store
// app is ever written under a key without a tenant, and a tenant's keys
// are found with one pattern when it removes the app (RemoveTenant). A
// self-built app (the default) has one tenant, and its keys are the
// table's, unchanged, so its data survives an upgrade.
//
//	P itx:ID             hash  interaction: v = version, d = JSON   TTL: InteractionTTL
//	P cmd:MESSAGE_ID     string the first interaction the command's message started  TTL: InteractionTTL
//	P claim:KEY          string "lease" | "kept": event/message/replay claims    TTL: per claim
//	P cache:KEY          string cached values (tenant token; chat:ID: chat info JSON)  TTL: per value
//	P outbox:ID          hash   effect -> "started:MS" | "done:RESULT"   TTL: InteractionTTL
//	P outbox:ambiguous   zset   "EFFECT:ID" scored by ms: effects whose
//	                            outcome a crash left unknown; trimmed to InteractionTTL
//	P KIND:ID            hash   a flow's record: v = version, d = JSON, x = its
//	                            index places (records.go)   TTL: RecordTTL
//	                            (kinds: rem = reminder, todo; see records.go)
//	P KINDs:INDEX        zset   a kind's record ids by score; P todos:open:CHAT
//	                            is the chat's open todos, by creation ms
//	P ixv:{P KINDs:INDEX} hash  id -> "VERSION:MS": the record version each
//	                            entry of that index was written for (records.go)
//	P webshare:KIND:ID   hash   message id -> "MS JSON": copies of a record's
//	                            card shared from the web app (shares.go),
//	                            newest 50   TTL: RecordTTL
//	P fair:m:{CHAT}:OPEN_ID  string  commands counted in the fair-use window   TTL: the window
//	P fair:c:{CHAT}          string  the chat's commands in the window        TTL: the window
//	P fair:n:{CHAT}:OPEN_ID  string  "slow down" notice sent in this window   TTL: to the window's end
//	P members:{CHAT}         set     the chat's member open_ids (members.go)  TTL: 60 s
//	P members:{CHAT}:at      string  when the set was read; :failed, a failed read  TTL: short
//	P cache:chatfail:ID      string  a failed chat lookup, "KIND:UNTIL_MS"  TTL: 5 s, 30 s when gone
//	P cache:jsapi_ticket:v1:APP_ID  string  the JSSDK ticket and its expiry   TTL: to 10 min before expiry
//	P cache:websession:SHA256       string  a web app session (the cookie's hash)  TTL: the session's life
//	P due, P due:1 … P due:15  zset  occurrences scored by due ms: "rem:ID:KEY",
//	                            "tododue:ID:MS" (internal/schedule); one key
//	                            on one server, 16 shards on a cluster (due.go);
//	                            a store app's members are "TENANT/rem:ID:KEY"
//	                            (one set for every tenant, never under t:)
//	P outbox:ambiguous (above)  likewise one set; a store app's members are
//	                            "TENANT/EFFECT:ID"
//	P t:TENANT:…        a store app's tenant: every other key above, after
//	                            "t:TENANT:" (tenants.go; RemoveTenant deletes them)
//	P cache:KEY (no tenant)     a store app's own cache, the app's and not a
//	                            tenant's (NewCache without WithTenants): the
//	                            app_ticket, app token and tenant tokens
//	                            (internal/ephemeral), removal marks
//	                            "tenant_removed:TENANT" (internal/app)
//
// Elsewhere: the rate limiter's windows (internal/ratelimit/keys.go) and the
// job queue (asynq's asynq:{QUEUE}:… and botd's P jobs:{QUEUE}:…, see
// internal/jobs/orphans.go; QUEUE starts with the key_prefix).
//
// # Slot rules (Redis Cluster)
//
// A cluster hashes each key to one of 16384 slots, spread over the masters,
// and runs a script or a MULTI only when all its keys are in one slot. A
// key's slot is that of its hash tag, the text between its first '{' and the
// next '}', or of the whole key when it has none. The rules:
//
//  1. A key used alone needs no tag, and has none: its whole name spreads it
//     (itx, cmd, claim, cache, outbox, records, indexes, due shards). Its
//     name stays what older botd wrote, so data survives an upgrade.
//  2. Keys that change together in one script or MULTI share a tag: the
//     fair-use counters of a chat ({CHAT}), a chat's member set and its
//     stamps ({CHAT}), an index and its versions (the tag is the index's
//     whole key, which puts the versions in the index's own slot), the rate
//     limiter's windows of one API ({API}), a job queue's keys ({QUEUE}).
//     The tag is the narrowest thing they have in common, so different
//     chats, records and interactions spread over every slot.
//  3. Nothing atomic spans two records, interactions or chats. Where botd
//     once changed such keys in one script it now takes ordered steps that a
//     crash between cannot make wrong (store.go: a command's first
//     interaction, claims; outbox.go: the ambiguous set; records.go: the
//     indexes, with versions), and each is tested on a real cluster.
//  4. No key or slot takes all the traffic. The due set, read by every
//     replica every 500 ms and written by every schedule, is sharded on a
//     cluster (due.go). The ambiguous set is written only when a crash left
//     an effect's outcome unknown. A rate-limit API's slot carries at most
//     that API's platform quota (50 calls/s) plus the refusals of in-process
//     queue heads: far below one master's capacity, and it cannot be split
//     without splitting the quota. The job queues (two asynq queues, one
//     slot each) are the remaining hot slots: see internal/jobs.
//  5. Nothing scans the key space in serving: every "all of them" read goes
//     through an index (a zset). A scan, where one cannot be avoided (the
//     one-time index backfill, backfill.go; a tenant's removal,
//     tenants.go), visits every master (ForEachMaster): SCAN on a cluster
//     client sees one node only.
//  6. A store app's tenant is never a tag, so it adds no slot and moves no
//     key out of the slot it shares with its script's others: a tenant's
//     keys carry the same tags as a self-built app's, behind "t:TENANT:".
//     Its members of the shared sets (due, ambiguous) are hashed to a
//     shard with their tenant, so tenants spread over the due shards too.
//
// Names that end up inside a tag (chat ids, index names) never hold '{' or
// '}' by the time they get here: records.go refuses such index names, and a
// chat id in a tag keeps its keys together even if it did (they all cut the
// tag at the same '}').
const prefix = "botd:"

// keyspace builds the keys of one key prefix, and of one tenant of a
// store app.
type keyspace struct {
	p    string // the keys' prefix: root, or root + "t:TENANT:" for a tenant
	root string // the key_prefix + "botd:": the sets of every tenant (due, ambiguous)
}

func newKeyspace(keyPrefix string) keyspace {
	return keyspace{p: keyPrefix + prefix, root: keyPrefix + prefix}
}

// tenantSpace is the first word of a tenant's keys: "P t:TENANT:". A record
// kind is two letters or more (checkRecord), so no other key starts so.
const tenantSpace = "t:"

// forTenant is the keyspace of a store app's tenant key (already checked).
func (k keyspace) forTenant(key string) keyspace {
	return keyspace{p: k.root + tenantSpace + key + ":", root: k.root}
}

func (k keyspace) interaction(id string) string  { return k.p + "itx:" + id }
func (k keyspace) claim(key string) string       { return k.p + "claim:" + key }
func (k keyspace) command(msgID string) string   { return k.p + "cmd:" + msgID }
func (k keyspace) cache(key string) string       { return k.p + "cache:" + key }
func (k keyspace) outbox(id string) string       { return k.p + "outbox:" + id }
func (k keyspace) ambiguous() string             { return k.root + "outbox:ambiguous" }
func (k keyspace) record(kind, id string) string { return k.p + kind + ":" + id }
func (k keyspace) index(kind, name string) string {
	return k.p + kind + "s:" + name
}

// indexVersions is in the slot of index(kind, name): its tag is that key.
func (k keyspace) indexVersions(kind, name string) string {
	return k.p + "ixv:{" + k.index(kind, name) + "}"
}

// due is shard i of the due set; shard 0 is the due set of a single server
// (and of older botd).
func (k keyspace) due(i int) string {
	if i == 0 {
		return k.root + "due"
	}
	return k.root + "due:" + strconv.Itoa(i)
}

func (k keyspace) fairMember(chat, openID string) string {
	return k.p + "fair:m:{" + chat + "}:" + openID
}
func (k keyspace) fairChat(chat string) string { return k.p + "fair:c:{" + chat + "}" }
func (k keyspace) fairNotice(chat, openID string) string {
	return k.p + "fair:n:{" + chat + "}:" + openID
}

func (k keyspace) shares(kind, id string) string { return k.p + "webshare:" + kind + ":" + id }

func (k keyspace) members(chat string) string       { return k.p + "members:{" + chat + "}" }
func (k keyspace) membersAt(chat string) string     { return k.p + "members:{" + chat + "}:at" }
func (k keyspace) membersFailed(chat string) string { return k.p + "members:{" + chat + "}:failed" }

// DueKey is the due set of a single server: every scheduled occurrence,
// scored by its due time in Unix ms (on a cluster, its shard 0). Tests and
// the playground read it.
const DueKey = prefix + "due"

// AmbiguousKey lists effects whose outcome a crash left unknown (see
// flows.Outbox). Operators and the crash tests read it, after the
// key_prefix if there is one (KeyPrefix).
const AmbiguousKey = prefix + "outbox:ambiguous"

// clustered reports whether c talks to a Redis Cluster.
func clustered(c any) bool {
	for {
		switch v := c.(type) {
		case *redis.ClusterClient:
			return true
		case interface{ Unwrap() redis.UniversalClient }:
			c = v.Unwrap()
		default:
			return false
		}
	}
}
