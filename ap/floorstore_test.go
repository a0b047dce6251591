package ap_test

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/store"
)

// floorStore is a test double of the store for one measurement: the
// exchange benchmark's "floor" store keeps the two queues in maps in
// memory, so that the benchmark shows what an exchange costs with a store
// that costs (almost) nothing. It is not durable and not a store anyone
// should run: the calls a benchmark exchange does not make go to the
// SQLite database it embeds.
type floorStore struct {
	*store.DB
	mu     sync.Mutex
	out    map[string]*apstore.Outbound
	queued map[string]bool // ids of queued messages
	in     map[string]*apstore.Inbound
	seq    int64
}

func newFloorStore(db *store.DB) *floorStore {
	return &floorStore{DB: db, out: map[string]*apstore.Outbound{}, queued: map[string]bool{}, in: map[string]*apstore.Inbound{}}
}

func (s *floorStore) Enqueue(_ context.Context, m *apstore.Outbound) (*apstore.Outbound, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.out[m.ID]; o != nil {
		c := *o
		return &c, false, nil
	}
	o := *m
	if o.Created.IsZero() {
		o.Created = time.Now()
	}
	if o.NextAt.IsZero() {
		o.NextAt = o.Created
	}
	o.State, o.Updated = apstore.OutQueued, o.Created
	if o.LeaseOwner != "" {
		o.Attempts = 1
	}
	s.out[o.ID], s.queued[o.ID] = &o, true
	c := o
	return &c, true, nil
}

func (s *floorStore) Outbound(_ context.Context, id string) (*apstore.Outbound, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.out[id]
	if o == nil {
		return nil, apstore.ErrNotFound
	}
	c := *o
	return &c, nil
}

func (s *floorStore) ClaimOutbound(_ context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]*apstore.Outbound, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var claimed []*apstore.Outbound
	for id := range s.queued {
		o := s.out[id]
		if len(claimed) == limit || o.NextAt.After(now) || o.LeaseUntil.After(now) {
			continue
		}
		o.LeaseOwner, o.LeaseUntil, o.Attempts, o.Updated = owner, now.Add(lease), o.Attempts+1, now
		c := *o
		claimed = append(claimed, &c)
	}
	slices.SortStableFunc(claimed, func(a, b *apstore.Outbound) int { return a.NextAt.Compare(b.NextAt) })
	return claimed, nil
}

func (s *floorStore) FinishOutbound(_ context.Context, id, owner string, r apstore.Result) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.out[id]
	if o == nil || !s.queued[id] || o.LeaseOwner != owner {
		return apstore.ErrLeaseLost
	}
	o.State, o.NextAt, o.LastError, o.Receipt, o.Updated = r.State, r.NextAt, r.Error, r.Receipt, r.Timestamp
	o.LeaseOwner, o.LeaseUntil = "", time.Time{}
	if r.State != apstore.OutQueued {
		delete(s.queued, id)
	}
	return nil
}

func (s *floorStore) Receive(_ context.Context, m *apstore.Inbound) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.in[m.MessageID] != nil {
		return true, nil
	}
	s.seq++
	c := *m
	c.Seq = s.seq
	s.in[m.MessageID] = &c
	return false, nil
}

func (s *floorStore) Inbound(_ context.Context, id string) (*apstore.Inbound, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.in[id]
	if m == nil {
		return nil, apstore.ErrNotFound
	}
	c := *m
	return &c, nil
}
