// Package csregistry holds the content of the OOTS Common Services registries
// — the Evidence Broker (requirements, reference frameworks, evidence type
// lists, evidence types) and the Data Service Directory (data service
// evidence types and evidence providers) — and changes it with the RegRep LCM
// protocol (SPEC.md §3.5).
//
// A Registry keeps the registry objects of both services as an immutable
// Snapshot that the query servers (packages eb and dsd) read without locks.
// Submit applies one lcm:SubmitObjectsRequest, Remove one
// lcm:RemoveObjectsRequest: the request is checked against the official LCM
// rule files (EB-SUB, DSD-SUB through package schematron) and against the
// integrity of the registry that would result (every association joins
// objects of the right kinds, every requirement has a reference framework…),
// written to the Store in one transaction, and only then published. A
// request that fails any check changes nothing and is answered with its
// LCM:ERR code (LCM:ERR:0001 object, LCM:ERR:0002 association, LCM:ERR:0003
// integrity of the data set).
//
// The Store is the durable record; queries are answered from the snapshot,
// which is rebuilt from the store at start-up (Open). SQLStore keeps the
// objects in the node's database (package store: SQLite or PostgreSQL, table
// cs_objects, migrations of component "cs"); MemoryStore in memory only
// (tests, demos). A node that shares a PostgreSQL database with others sees
// their LCM changes after a restart (Open): the snapshot is not refreshed
// from the database while running.
//
// FromAnswer turns a Common Services answer (EB-REQ, EB-EVI, DSD-RESP) back
// into submissions, so that the content of a captured answer of the
// Commission's services can be loaded; LoadDir loads every submission and
// answer of a folder (bulk load). The demo data set is data of package
// internal/demo (demo.CommonServices, demo.Load).
//
// Who submits: Submit and SubmitXML are the operator's (bulk loads); a
// Member State's request goes through SubmitAs and SubmitXMLAs with its
// Submitter, and is held to the rules of the 2.0 submission model: it
// changes only its own Member State's objects (authority), an object it
// changes needs a new version (rim:VersionInfo), and — for everyone — an
// evidence type classification the DSD uses cannot leave the Evidence
// Broker (a value in use cannot be removed). Snapshot.Submissions gives a
// Member State's part of the registries as the submissions it publishes;
// package lcm carries them over AS4.
//
// Not implemented: the classification schemes of the 2.0 model as registry
// objects of their own (rim:ClassificationScheme with its nodes: the code
// lists of the Semantic Repository are not held here, so the in-use rule
// covers the evidence type classifications only), a version history (a new
// version replaces the object), and the UpdateObjectsRequest of RegRep.
//
// This package is not a supported API: it may change in any release (see
// the README, "Which packages are a supported API").
package csregistry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/oots-go/oots/edm"
)

// Service names a registry: the Evidence Broker or the Data Service Directory.
type Service string

// Services.
const (
	EvidenceBroker       Service = "eb"
	DataServiceDirectory Service = "dsd"
)

// StoredObject is one registry object as the Store keeps it: the service it
// belongs to, its id (urn:uuid:…), its position in submission order and its
// rim:RegistryObject element serialised.
type StoredObject struct {
	Service Service
	ID      string
	Seq     int64
	XML     []byte
}

// Store is the durable record of the registries. Apply writes one LCM
// request: it stores put and deletes remove (ids) in one transaction, or
// changes nothing and returns an error. Load returns every object, in Seq
// order.
type Store interface {
	Load(ctx context.Context) ([]StoredObject, error)
	Apply(ctx context.Context, put []StoredObject, remove []StoredObject) error
}

// Config configures a Registry.
type Config struct {
	// Store is the durable record; nil means a new MemoryStore.
	Store Store
	// Logger receives the precise cause of every rejected request; nil
	// discards.
	Logger *slog.Logger
	// TolerateRules lists official rule ids whose failures do not reject an
	// LCM request. The TDD 1.0 rule files predate the 2.0 catalogue (its
	// procedure codes and the acceptance Semantic Repository URIs), so
	// loading the content of the Commission's 2.0 answers needs, for
	// instance, R-EB-SUB-C012. Empty: every error finding rejects.
	TolerateRules []string
	// SkipRules turns the rule files off (only the model and integrity
	// checks run): for bulk loads of data already checked elsewhere.
	SkipRules bool
}

// Registry is the content of the Evidence Broker and the DSD. It is safe for
// concurrent use: queries read the current Snapshot, LCM requests are
// serialised.
type Registry struct {
	cfg  Config
	log  *slog.Logger
	mu   sync.Mutex // serialises writers
	snap atomic.Pointer[Snapshot]
	seq  int64
}

// Open returns the registry whose content is in cfg.Store.
//
// Errors: the store's error; ErrCorrupt when a stored object cannot be read
// back or the stored data set is inconsistent.
func Open(ctx context.Context, cfg Config) (*Registry, error) {
	if cfg.Store == nil {
		cfg.Store = NewMemoryStore()
	}
	r := &Registry{cfg: cfg, log: cfg.Logger}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	stored, err := cfg.Store.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("csregistry: loading the store: %w", err)
	}
	byService := map[Service][]StoredObject{}
	for _, s := range stored {
		byService[s.Service] = append(byService[s.Service], s)
		r.seq = max(r.seq, s.Seq)
	}
	objs := make(map[Service][]*entry, 2)
	for svc, ss := range byService {
		os, err := decodeObjects(ss)
		if err != nil {
			return nil, fmt.Errorf("%w: %s objects: %w", ErrCorrupt, svc, err)
		}
		for i, o := range os {
			objs[svc] = append(objs[svc], &entry{obj: o, seq: ss[i].Seq})
		}
	}
	snap, err := build(objs[EvidenceBroker], objs[DataServiceDirectory])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	r.snap.Store(snap)
	return r, nil
}

// ErrCorrupt is returned by Open when the store holds data that cannot be
// read back or is inconsistent.
var ErrCorrupt = errors.New("csregistry: stored registry is corrupt")

// Snapshot returns the current content. It never changes; a later LCM
// request publishes a new one.
func (r *Registry) Snapshot() *Snapshot { return r.snap.Load() }

// MemoryStore is a Store in memory: for tests and demos. It is safe for
// concurrent use.
type MemoryStore struct {
	mu   sync.Mutex
	objs map[string]StoredObject // key: service + " " + id
	// FailApply, when set, is returned by Apply (to test that a failed write
	// publishes nothing).
	FailApply error
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{objs: map[string]StoredObject{}} }

// Load returns the stored objects in Seq order.
func (m *MemoryStore) Load(context.Context) ([]StoredObject, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]StoredObject, 0, len(m.objs))
	for _, o := range m.objs {
		out = append(out, o)
	}
	sortStored(out)
	return out, nil
}

// Apply stores put and deletes remove, or returns FailApply and changes
// nothing.
func (m *MemoryStore) Apply(_ context.Context, put, remove []StoredObject) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.FailApply != nil {
		return m.FailApply
	}
	for _, o := range remove {
		delete(m.objs, string(o.Service)+" "+o.ID)
	}
	for _, o := range put {
		m.objs[string(o.Service)+" "+o.ID] = o
	}
	return nil
}

var _ Store = (*MemoryStore)(nil)

// kindOf tells the registry a submission goes to.
func serviceOf(k edm.Kind) (Service, bool) {
	switch k {
	case edm.KindEBSubmission:
		return EvidenceBroker, true
	case edm.KindDSDSubmission:
		return DataServiceDirectory, true
	}
	return "", false
}
