package state

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/botd/botd/internal/flows"
)

// Stepped makes s work as on a Redis Cluster whatever its server: records
// written in steps (records.go), the due set sharded (due.go). Tests run
// the cluster's code on one server too.
func Stepped(s *Store) *Store { s.cluster = true; return s }

// SetGrace shortens inFlightGrace.
func SetGrace(s *Store, d time.Duration) { s.grace = d }

// JoinOnly runs the first step of a stepped write of r at version and
// stops, as a crash right after it would.
func JoinOnly(ctx context.Context, s *Store, r flows.StoredRecord, version int64) error {
	k, err := s.space(ctx)
	if err != nil {
		return err
	}
	return s.place(ctx, k, r, version, true)
}

// LeaveOnly runs the last step of a stepped write of r at version alone,
// as a writer delayed past later writes would.
func LeaveOnly(ctx context.Context, s *Store, r flows.StoredRecord, version int64) error {
	k, err := s.space(ctx)
	if err != nil {
		return err
	}
	return s.place(ctx, k, r, version, false)
}

// FlagAmbiguous flags an effect of the interaction as ambiguous.
func FlagAmbiguous(ctx context.Context, s *Store, interactionID, effect string) error {
	return s.flag(ctx, interactionID, effect, time.Now().UnixMilli(), false)
}

// DueShard is member's due-set key on s, under its key prefix.
func DueShardKey(s *Store, member string) string { return s.keys.due(dueShard(member, s.shards())) }

// DueShards is the number of due-set keys of a cluster.
const DueShards = dueShards

// CASOnly runs the middle step of a stepped update of r alone (the
// record's compare-and-set), as a crash right after it would leave it.
func CASOnly(ctx context.Context, s *Store, r flows.StoredRecord) error {
	return updateRecordCmd.Run(ctx, s.rdb, []string{s.keys.record(r.Kind, r.ID)},
		r.Version, r.Data, RecordTTL.Milliseconds(), r.ID, places(r)).Err()
}

// Keys builds the keys of a key prefix, for the slot tests.
type Keys = keyspace

// NewKeys is newKeyspace.
func NewKeys(prefix string) Keys { return newKeyspace(prefix) }

// ForTenant is the keyspace of a store app's tenant.
func (k keyspace) ForTenant(key string) Keys { return k.forTenant(key) }

func (k keyspace) Interaction(id string) string           { return k.interaction(id) }
func (k keyspace) Command(msg string) string              { return k.command(msg) }
func (k keyspace) Claim(key string) string                { return k.claim(key) }
func (k keyspace) Outbox(id string) string                { return k.outbox(id) }
func (k keyspace) Ambiguous() string                      { return k.ambiguous() }
func (k keyspace) Record(kind, id string) string          { return k.record(kind, id) }
func (k keyspace) Index(kind, name string) string         { return k.index(kind, name) }
func (k keyspace) IndexVersions(kind, name string) string { return k.indexVersions(kind, name) }
func (k keyspace) Due(i int) string                       { return k.due(i) }
func (k keyspace) FairMember(chat, id string) string      { return k.fairMember(chat, id) }
func (k keyspace) FairChat(chat string) string            { return k.fairChat(chat) }
func (k keyspace) FairNotice(chat, id string) string      { return k.fairNotice(chat, id) }
func (k keyspace) Members(chat string) string             { return k.members(chat) }
func (k keyspace) MembersAt(chat string) string           { return k.membersAt(chat) }
func (k keyspace) MembersFailed(chat string) string       { return k.membersFailed(chat) }

// WithReplicaWait is c with its acknowledged writes waiting for a replica
// for up to d, as Connect makes it for Sentinel.
func WithReplicaWait(c redis.UniversalClient, d time.Duration) redis.UniversalClient {
	return &Client{UniversalClient: c, prefix: KeyPrefix(c), wait: d}
}

// ForgetNoReplica forgets that a WAIT found no replica.
func ForgetNoReplica(c redis.UniversalClient) { c.(*Client).noReplicaUntil.Store(0) }
