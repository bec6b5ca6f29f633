package flows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Records are what an interaction leaves behind once its card is in the
// group: a reminder that fires later, a todo that is closed later. Unlike
// an interaction (one member, minutes), a record is shared by the chat and
// lives as long as its card, so it has its own id, carried in the callback
// values of the group card's buttons, and its own compare-and-set version.
//
// One store keeps every flow's records (internal/state implements it on
// Redis): a record is a JSON document under its flow's kind and its id,
// with a version, and may belong to indexes (a chat's open todos). A flow
// declares its record type and reads and writes it through Records, the
// typed view; it needs no code in the store.

// RecordStore keeps records: versioned JSON documents by kind and id.
// Every change is a compare-and-set on the version, so concurrent writers
// (clicks from several members, a job) never lose an update.
type RecordStore interface {
	// CreateRecord saves a new record at version 1, joining the indexes
	// r.Index names with In set; ErrExists when the id is taken.
	CreateRecord(ctx context.Context, r StoredRecord) error
	// Record loads one record, or returns ErrNotFound.
	Record(ctx context.Context, kind, id string) (StoredRecord, error)
	// UpdateRecord saves r if the stored version is still r.Version, as
	// version r.Version+1, and moves it in or out of the indexes r.Index
	// names, in the same step. ErrConflict when the version moved on,
	// ErrNotFound when the record expired.
	UpdateRecord(ctx context.Context, r StoredRecord) error
	// ListRecords returns a page of the records in an index of kind,
	// highest score first, and how many the index holds.
	ListRecords(ctx context.Context, kind, index string, offset, limit int) ([]StoredRecord, int, error)
}

// StoredRecord is a record as the store keeps it.
type StoredRecord struct {
	Kind    string // the flow's name for its records: a lower-case word ("todo", "rem")
	ID      string
	Version int64  // UpdateRecord: the version the change was made from
	Data    []byte // JSON
	Index   []Index
}

// Index places a record in a list of its kind, ordered by Score.
type Index struct {
	Name  string // "open:oc_x": one list per chat, say
	Score float64
	In    bool // false: not (or no longer) in the list
}

// RecordMeta is what the store keeps about every record; a record type
// embeds it.
type RecordMeta struct {
	// Version increases by one on every successful update; updates carry
	// the version they read and fail with ErrConflict when it has moved on.
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Meta returns m: a record type gets it by embedding RecordMeta.
func (m *RecordMeta) Meta() *RecordMeta { return m }

// Record is a pointer to a flow's record type: it has an id and embeds
// RecordMeta. One that also has an Indexes method is kept in the indexes
// it names (each write sets its place in all of them).
type Record[T any] interface {
	*T
	RecordID() string
	Meta() *RecordMeta
}

// indexer is a record that belongs to indexes.
type indexer interface{ Indexes() []Index }

// Records is the typed view of a flow's records of one kind.
type Records[T any, P Record[T]] struct {
	kind  string
	store RecordStore
	now   func() time.Time
}

// RecordsOf is the view of the records of kind that h keeps.
func RecordsOf[T any, P Record[T]](h Host, kind string) Records[T, P] {
	return Records[T, P]{kind: kind, store: h.Records(), now: h.Now}
}

// Get loads the record id; errors wrap ErrNotFound when there is none.
func (rs Records[T, P]) Get(ctx context.Context, id string) (*T, error) {
	stored, err := rs.store.Record(ctx, rs.kind, id)
	if err != nil {
		return nil, err
	}
	return rs.decode(stored)
}

// Create saves r as a new record at version 1; ErrExists when its id is
// taken.
func (rs Records[T, P]) Create(ctx context.Context, r *T) error {
	saved := *r
	m := P(&saved).Meta()
	m.Version = 1
	m.CreatedAt, m.UpdatedAt = rs.now(), rs.now()
	stored, err := rs.encode(&saved)
	if err != nil {
		return err
	}
	if err := rs.store.CreateRecord(ctx, stored); err != nil {
		return err
	}
	*r = saved
	return nil
}

// updateAttempts bounds the reload-and-retry loop of Update. Each round
// someone's change lands, so a bound above the number of members who
// click one card at once always settles; it keeps a broken store from
// spinning.
const updateAttempts = 64

// Update applies change to cur and saves it with a compare-and-set. On
// ErrConflict it reloads the record and applies change again, so change
// must decide from the state it is given: it returns false when that state
// needs no change, and Update then returns the record as it is, with
// changed false. The cur passed in must not be used afterwards; use the
// result.
func (rs Records[T, P]) Update(ctx context.Context, cur *T, change func(*T) bool) (_ *T, changed bool, _ error) {
	id := P(cur).RecordID()
	for attempt := 1; ; attempt++ {
		if !change(cur) {
			return cur, false, nil
		}
		saved := *cur
		m := P(&saved).Meta()
		read := m.Version
		m.Version++
		m.UpdatedAt = rs.now()
		stored, err := rs.encode(&saved)
		if err == nil {
			stored.Version = read
			if err = rs.store.UpdateRecord(ctx, stored); err == nil {
				return &saved, true, nil
			}
		}
		if !errors.Is(err, ErrConflict) || attempt == updateAttempts {
			return nil, false, fmt.Errorf("update %s: %w", id, err)
		}
		if cur, err = rs.Get(ctx, id); err != nil {
			return nil, false, fmt.Errorf("reload %s: %w", id, err)
		}
	}
}

// List returns a page of the records in index, highest score first, and
// how many there are in all.
func (rs Records[T, P]) List(ctx context.Context, index string, offset, limit int) ([]*T, int, error) {
	stored, total, err := rs.store.ListRecords(ctx, rs.kind, index, offset, limit)
	if err != nil {
		return nil, 0, err
	}
	out := make([]*T, 0, len(stored))
	for _, s := range stored {
		r, err := rs.decode(s)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, r)
	}
	return out, total, nil
}

// encode is r as the store keeps it, with r's version in the JSON (the
// store keeps its own copy, which wins on load).
func (rs Records[T, P]) encode(r *T) (StoredRecord, error) {
	p := P(r)
	data, err := json.Marshal(r)
	if err != nil {
		return StoredRecord{}, fmt.Errorf("encode %s %s: %w", rs.kind, p.RecordID(), err)
	}
	s := StoredRecord{Kind: rs.kind, ID: p.RecordID(), Version: p.Meta().Version, Data: data}
	if ix, ok := any(p).(indexer); ok {
		s.Index = ix.Indexes()
	}
	return s, nil
}

func (rs Records[T, P]) decode(s StoredRecord) (*T, error) {
	r := new(T)
	if err := json.Unmarshal(s.Data, r); err != nil {
		return nil, fmt.Errorf("decode %s %s: %w", rs.kind, s.ID, err)
	}
	P(r).Meta().Version = s.Version
	return r, nil
}
