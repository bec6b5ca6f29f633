package flows_test

import (
	"context"
	"sync"
	"testing"

	"github.com/botd/botd/internal/flows"
	"github.com/botd/botd/internal/flows/flowtest"
)

// indexedStore is the fake store with a flows.CommandIndex, as state.Store has.
type indexedStore struct {
	*flowtest.Store
	mu    sync.Mutex
	first map[string]string
}

func (s *indexedStore) CreateInteraction(ctx context.Context, it *flows.Interaction) error {
	if err := s.Store.CreateInteraction(ctx, it); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.first[it.SourceMessageID]; !ok && it.SourceMessageID != "" {
		s.first[it.SourceMessageID] = it.ID
	}
	return nil
}

func (s *indexedStore) FirstInteraction(_ context.Context, messageID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first[messageID], nil
}

// A command's event delivered again after a crash (its webhook claim was
// never kept) starts a second interaction; the member still gets one form,
// the first interaction's, whichever job runs first. Without the command
// index both forms are sent.
func TestRedeliveredCommandShowsOneForm(t *testing.T) {
	for _, order := range []string{"first job first", "second job first"} {
		t.Run(order, func(t *testing.T) {
			v := flowtest.New(t, bare{name: "demo"})
			store := &indexedStore{Store: v.Store, first: map[string]string{}}
			v.Rebuild(t, func(d *flows.Deps) { d.Store = store })
			ctx := context.Background()
			for range 2 { // the delivery, and its redelivery
				if err := v.E.HandleMessage(ctx, flowtest.Message("/demo")); err != nil {
					t.Fatal(err)
				}
			}
			jobs := v.Jobs.List()
			if len(jobs) != 2 {
				t.Fatalf("jobs %v, want two send_form", jobs)
			}
			if order == "second job first" {
				v.Run(t, jobs[1].Kind, jobs[1].ID)
			}
			v.Drain(t)
			if sends := v.Sender.Only(t, "send"); len(sends) != 1 {
				t.Fatalf("%d forms sent, want 1", len(sends))
			}
			if it := v.Store.Get(t, jobs[0].ID); it.EphemeralMessageID == "" {
				t.Errorf("the first interaction has no form: %+v", it)
			}
		})
	}
}
