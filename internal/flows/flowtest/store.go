package flowtest

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/botd/botd/internal/flows"
)

// Store is a map-backed flows.Store, flows.RecordStore and flows.DueSet
// with a real compare-and-set on versions. Interactions and records are
// stored as JSON, so callers never share memory with it.
type Store struct {
	mu sync.Mutex
	m  map[string][]byte // interactions by id
	// BeforeUpdate, when set, runs (once) at the start of
	// UpdateInteraction, without the lock held: tests use it to slip in a
	// concurrent change.
	BeforeUpdate func(it *flows.Interaction)
	// FailCreate fails every CreateInteraction; FailUpdate the next
	// UpdateInteraction; FailRecord the next UpdateRecord.
	FailCreate error
	FailUpdate error
	FailRecord error

	records map[string]memRecord          // by kind:id
	indexes map[string]map[string]float64 // kind/index → id → score
	seq     int                           // records created so far
	reads   int                           // Record calls so far
	due     map[string]time.Time          // the due set
}

var (
	_ flows.Store       = (*Store)(nil)
	_ flows.RecordStore = (*Store)(nil)
	_ flows.DueSet      = (*Store)(nil)
)

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{m: map[string][]byte{}, records: map[string]memRecord{}, indexes: map[string]map[string]float64{},
		due: map[string]time.Time{}}
}

// CreateInteraction implements flows.Store.
func (s *Store) CreateInteraction(_ context.Context, it *flows.Interaction) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.FailCreate != nil {
		return s.FailCreate
	}
	if _, ok := s.m[it.ID]; ok {
		return flows.ErrExists
	}
	it.Version = 1
	return s.put(it)
}

// Interaction implements flows.Store.
func (s *Store) Interaction(_ context.Context, id string) (*flows.Interaction, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.m[id]
	if !ok {
		return nil, flows.ErrNotFound
	}
	var it flows.Interaction
	if err := json.Unmarshal(b, &it); err != nil {
		return nil, err
	}
	return &it, nil
}

// UpdateInteraction implements flows.Store.
func (s *Store) UpdateInteraction(_ context.Context, it *flows.Interaction) error {
	if hook := s.BeforeUpdate; hook != nil {
		s.BeforeUpdate = nil // once
		hook(it)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.FailUpdate; err != nil {
		s.FailUpdate = nil
		return err
	}
	b, ok := s.m[it.ID]
	if !ok {
		return flows.ErrNotFound
	}
	var cur flows.Interaction
	if err := json.Unmarshal(b, &cur); err != nil {
		return err
	}
	if cur.Version != it.Version {
		return flows.ErrConflict
	}
	it.Version++
	return s.put(it)
}

func (s *Store) put(it *flows.Interaction) error {
	b, err := json.Marshal(it)
	if err != nil {
		return err
	}
	s.m[it.ID] = b
	return nil
}

// Interactions is how many interactions the store holds.
func (s *Store) Interactions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// Modify changes a stored interaction as another writer would, bumping
// its version.
func (s *Store) Modify(t testing.TB, id string, change func(*flows.Interaction)) {
	t.Helper()
	it, err := s.Interaction(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	change(it)
	s.mu.Lock()
	defer s.mu.Unlock()
	it.Version++
	if err := s.put(it); err != nil {
		t.Fatal(err)
	}
}

// Get loads an interaction, failing the test when it is not there.
func (s *Store) Get(t testing.TB, id string) *flows.Interaction {
	t.Helper()
	it, err := s.Interaction(context.Background(), id)
	if err != nil {
		t.Fatalf("load %s: %v", id, err)
	}
	return it
}

// memRecord is one stored record.
type memRecord struct {
	version int64
	data    []byte
	seq     int // creation order: ties in an index list the newest first
}

func memIndexKey(kind, name string) string { return kind + "/" + name }

// CreateRecord implements flows.RecordStore.
func (s *Store) CreateRecord(_ context.Context, r flows.StoredRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := r.Kind + ":" + r.ID
	if _, ok := s.records[key]; ok {
		return flows.ErrExists
	}
	s.seq++
	s.records[key] = memRecord{version: 1, data: slices.Clone(r.Data), seq: s.seq}
	s.index(r)
	return nil
}

// Record implements flows.RecordStore.
func (s *Store) Record(_ context.Context, kind, id string) (flows.StoredRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	rec, ok := s.records[kind+":"+id]
	if !ok {
		return flows.StoredRecord{}, flows.ErrNotFound
	}
	return flows.StoredRecord{Kind: kind, ID: id, Version: rec.version, Data: slices.Clone(rec.data)}, nil
}

// UpdateRecord implements flows.RecordStore.
func (s *Store) UpdateRecord(_ context.Context, r flows.StoredRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.FailRecord; err != nil {
		s.FailRecord = nil
		return err
	}
	key := r.Kind + ":" + r.ID
	rec, ok := s.records[key]
	if !ok {
		return flows.ErrNotFound
	}
	if rec.version != r.Version {
		return flows.ErrConflict
	}
	s.records[key] = memRecord{version: r.Version + 1, data: slices.Clone(r.Data), seq: rec.seq}
	s.index(r)
	return nil
}

// index moves r in or out of the indexes it names; s.mu is held.
func (s *Store) index(r flows.StoredRecord) {
	for _, ix := range r.Index {
		k := memIndexKey(r.Kind, ix.Name)
		if s.indexes[k] == nil {
			s.indexes[k] = map[string]float64{}
		}
		if ix.In {
			s.indexes[k][r.ID] = ix.Score
		} else {
			delete(s.indexes[k], r.ID)
		}
	}
}

// ListRecords implements flows.RecordStore.
func (s *Store) ListRecords(_ context.Context, kind, index string, offset, limit int) ([]flows.StoredRecord, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ix := s.indexes[memIndexKey(kind, index)]
	ids := make([]string, 0, len(ix))
	for id := range ix {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { // highest score first, then newest
		if ix[ids[i]] != ix[ids[j]] {
			return ix[ids[i]] > ix[ids[j]]
		}
		return s.records[kind+":"+ids[i]].seq > s.records[kind+":"+ids[j]].seq
	})
	total := len(ids)
	offset = min(offset, total)
	var out []flows.StoredRecord
	for _, id := range ids[offset:min(total, offset+limit)] {
		rec := s.records[kind+":"+id]
		out = append(out, flows.StoredRecord{Kind: kind, ID: id, Version: rec.version, Data: slices.Clone(rec.data)})
	}
	return out, total, nil
}

// Reads is how many records were loaded so far.
func (s *Store) Reads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

// Schedule implements flows.DueSet.
func (s *Store) Schedule(_ context.Context, member string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.due[member] = at
	return nil
}

// Unschedule implements flows.DueSet.
func (s *Store) Unschedule(_ context.Context, members ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range members {
		delete(s.due, m)
	}
	return nil
}

// Due returns a copy of the due set: member → due time.
func (s *Store) Due() map[string]time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]time.Time, len(s.due))
	for m, at := range s.due {
		out[m] = at
	}
	return out
}

// TakeDue removes and returns the members due at now, earliest first, as
// the scheduler would.
func (s *Store) TakeDue(now time.Time) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for m, at := range s.due {
		if !at.After(now) {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return s.due[out[i]].Before(s.due[out[j]]) })
	for _, m := range out {
		delete(s.due, m)
	}
	return out
}
