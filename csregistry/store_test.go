package csregistry_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/oots-go/oots/csregistry"
	"github.com/oots-go/oots/internal/demo"
	"github.com/oots-go/oots/internal/pgtest"
	"github.com/oots-go/oots/store"
)

// TestStores runs one behavioural suite against every Store: in memory,
// SQLite and PostgreSQL.
func TestStores(t *testing.T) {
	t.Run("memory", func(t *testing.T) {
		runStoreSuite(t, func(t *testing.T) (csregistry.Store, func() csregistry.Store) {
			s := csregistry.NewMemoryStore()
			return s, func() csregistry.Store { return s }
		})
	})
	t.Run("sqlite", func(t *testing.T) {
		runStoreSuite(t, func(t *testing.T) (csregistry.Store, func() csregistry.Store) {
			dsn := filepath.Join(t.TempDir(), "oots.db")
			return sqlStore(t, dsn), func() csregistry.Store { return sqlStore(t, dsn) }
		})
	})
	t.Run("postgres", func(t *testing.T) {
		srv := pgtest.Start(t)
		runStoreSuite(t, func(t *testing.T) (csregistry.Store, func() csregistry.Store) {
			dsn := srv.NewDatabase(t)
			return sqlStore(t, dsn), func() csregistry.Store { return sqlStore(t, dsn) }
		})
	})
}

func sqlStore(t *testing.T, dsn string) csregistry.Store {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := csregistry.NewSQLStore(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// runStoreSuite: newStore returns an empty store and a function that opens
// the same data again (a restart).
func runStoreSuite(t *testing.T, newStore func(t *testing.T) (csregistry.Store, func() csregistry.Store)) {
	ctx := context.Background()
	t.Run("apply and load", func(t *testing.T) {
		s, _ := newStore(t)
		if objs, err := s.Load(ctx); err != nil || len(objs) != 0 {
			t.Fatalf("empty store: %d objects, %v", len(objs), err)
		}
		put := []csregistry.StoredObject{
			{Service: csregistry.EvidenceBroker, ID: "urn:uuid:b", Seq: 2, XML: []byte("<b/>")},
			{Service: csregistry.EvidenceBroker, ID: "urn:uuid:a", Seq: 1, XML: []byte("<a/>")},
			{Service: csregistry.DataServiceDirectory, ID: "urn:uuid:a", Seq: 3, XML: []byte("<c/>")},
		}
		if err := s.Apply(ctx, put, nil); err != nil {
			t.Fatal(err)
		}
		objs, err := s.Load(ctx)
		if err != nil || len(objs) != 3 || objs[0].ID != "urn:uuid:a" || objs[1].ID != "urn:uuid:b" || objs[2].Service != csregistry.DataServiceDirectory {
			t.Fatalf("load: %+v %v", objs, err)
		}
		// Replace one, remove another.
		if err := s.Apply(ctx, []csregistry.StoredObject{{Service: csregistry.EvidenceBroker, ID: "urn:uuid:a", Seq: 1, XML: []byte("<a2/>")}},
			[]csregistry.StoredObject{{Service: csregistry.EvidenceBroker, ID: "urn:uuid:b"}}); err != nil {
			t.Fatal(err)
		}
		objs, _ = s.Load(ctx)
		if len(objs) != 2 || string(objs[0].XML) != "<a2/>" {
			t.Errorf("after replace and remove: %+v", objs)
		}
	})
	t.Run("cancelled apply writes nothing", func(t *testing.T) {
		s, _ := newStore(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		err := s.Apply(cctx, []csregistry.StoredObject{{Service: csregistry.EvidenceBroker, ID: "urn:uuid:a", Seq: 1, XML: []byte("<a/>")}}, nil)
		objs, _ := s.Load(ctx)
		if _, mem := s.(*csregistry.MemoryStore); !mem && (err == nil || len(objs) != 0) {
			t.Errorf("cancelled apply: %v, %d objects", err, len(objs))
		}
	})
	t.Run("registry survives a restart", func(t *testing.T) {
		s, reopen := newStore(t)
		r, err := csregistry.Open(ctx, csregistry.Config{Store: s})
		if err != nil {
			t.Fatal(err)
		}
		if err := demo.Load(ctx, r); err != nil {
			t.Fatal(err)
		}
		if _, err := r.SubmitXML(ctx, tddSubmission(t)); err != nil {
			t.Fatal(err)
		}
		r2, err := csregistry.Open(ctx, csregistry.Config{Store: reopen()})
		if err != nil {
			t.Fatal(err)
		}
		a, b := r.Snapshot(), r2.Snapshot()
		if len(b.Requirements()) != 5 || len(b.AllDataServices()) != 16 || a.Objects(csregistry.EvidenceBroker) != b.Objects(csregistry.EvidenceBroker) {
			t.Errorf("after restart: %d requirements, %d data services", len(b.Requirements()), len(b.AllDataServices()))
		}
		for i, rq := range a.Requirements() {
			if b.Requirements()[i].Requirement.Identifier.Value != rq.Requirement.Identifier.Value {
				t.Errorf("requirement %d: order not kept", i)
			}
		}
	})
}
