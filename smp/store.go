package smp

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/oots-go/oots/store"
)

// ErrNotFound: no such participant or service metadata in a Store.
var ErrNotFound = errors.New("smp: not found")

// Store holds what an SMP publishes. Participant identifiers are compared
// without regard to case, document type identifiers exactly.
type Store interface {
	// PutParticipant creates the service group of a participant (no-op if
	// it exists).
	PutParticipant(ctx context.Context, participant ID) error
	// DeleteParticipant removes a participant and all its service
	// metadata; ErrNotFound if unknown.
	DeleteParticipant(ctx context.Context, participant ID) error
	// ServiceGroup returns a participant's service group; ErrNotFound if
	// unknown.
	ServiceGroup(ctx context.Context, participant ID) (*ServiceGroup, error)
	// PutServiceMetadata creates or replaces the metadata of a document
	// type; ErrNotFound if the participant is unknown.
	PutServiceMetadata(ctx context.Context, m *ServiceMetadata) error
	// DeleteServiceMetadata removes it; ErrNotFound if absent.
	DeleteServiceMetadata(ctx context.Context, participant, documentType ID) error
	// ServiceMetadata returns it; ErrNotFound if absent.
	ServiceMetadata(ctx context.Context, participant, documentType ID) (*ServiceMetadata, error)
	// Participants lists the participants, sorted.
	Participants(ctx context.Context) ([]ID, error)
}

// MemoryStore is a Store in memory, for tests and demonstrations.
type MemoryStore struct {
	mu    sync.Mutex
	parts map[string]ID
	meta  map[string]map[string]ServiceMetadata
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{parts: map[string]ID{}, meta: map[string]map[string]ServiceMetadata{}}
}

// PutParticipant implements Store.
func (s *MemoryStore) PutParticipant(_ context.Context, p ID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := participantKey(p)
	if _, ok := s.parts[k]; !ok {
		s.parts[k] = p
		s.meta[k] = map[string]ServiceMetadata{}
	}
	return nil
}

// DeleteParticipant implements Store.
func (s *MemoryStore) DeleteParticipant(_ context.Context, p ID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := participantKey(p)
	if _, ok := s.parts[k]; !ok {
		return ErrNotFound
	}
	delete(s.parts, k)
	delete(s.meta, k)
	return nil
}

// ServiceGroup implements Store.
func (s *MemoryStore) ServiceGroup(_ context.Context, p ID) (*ServiceGroup, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := participantKey(p)
	id, ok := s.parts[k]
	if !ok {
		return nil, ErrNotFound
	}
	g := &ServiceGroup{Participant: id}
	for _, m := range s.meta[k] {
		g.DocumentTypes = append(g.DocumentTypes, m.DocumentType)
	}
	sortIDs(g.DocumentTypes)
	return g, nil
}

// PutServiceMetadata implements Store.
func (s *MemoryStore) PutServiceMetadata(_ context.Context, m *ServiceMetadata) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := participantKey(m.Participant)
	if _, ok := s.parts[k]; !ok {
		return ErrNotFound
	}
	b, _ := json.Marshal(m) // a deep copy
	var c ServiceMetadata
	json.Unmarshal(b, &c)
	c.Participant = s.parts[k]
	s.meta[k][m.DocumentType.String()] = c
	return nil
}

// DeleteServiceMetadata implements Store.
func (s *MemoryStore) DeleteServiceMetadata(_ context.Context, p, d ID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := participantKey(p)
	if _, ok := s.meta[k][d.String()]; !ok {
		return ErrNotFound
	}
	delete(s.meta[k], d.String())
	return nil
}

// ServiceMetadata implements Store.
func (s *MemoryStore) ServiceMetadata(_ context.Context, p, d ID) (*ServiceMetadata, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.meta[participantKey(p)][d.String()]
	if !ok {
		return nil, ErrNotFound
	}
	b, _ := json.Marshal(m)
	var c ServiceMetadata
	json.Unmarshal(b, &c)
	return &c, nil
}

// Participants implements Store.
func (s *MemoryStore) Participants(context.Context) ([]ID, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []ID
	for _, id := range s.parts {
		ids = append(ids, id)
	}
	sortIDs(ids)
	return ids, nil
}

func sortIDs(ids []ID) {
	slices.SortFunc(ids, func(a, b ID) int { return strings.Compare(a.String(), b.String()) })
}

//go:embed migrations
var migrations embed.FS

// Component is the name of the SMP's migrations in the node's database
// (package store); its tables are prefixed smp_.
const Component = "smp"

// SQLStore is the Store in the node's database (package store: SQLite or
// PostgreSQL), tables smp_participants and smp_services.
type SQLStore struct {
	db *store.DB
}

var _ Store = (*SQLStore)(nil)

// NewSQLStore applies the SMP's migrations to db and returns the store.
func NewSQLStore(ctx context.Context, db *store.DB) (*SQLStore, error) {
	if err := db.MigrateFS(ctx, Component, migrations); err != nil {
		return nil, fmt.Errorf("smp: %w", err)
	}
	return &SQLStore{db: db}, nil
}

// PutParticipant implements Store.
func (s *SQLStore) PutParticipant(ctx context.Context, p ID) error {
	_, err := s.db.SQL().ExecContext(ctx, s.db.Rebind(`INSERT INTO smp_participants (pkey, scheme, value) VALUES (?, ?, ?) ON CONFLICT (pkey) DO NOTHING`),
		participantKey(p), p.Scheme, p.Value)
	if err != nil {
		return fmt.Errorf("smp: storing participant %s: %w", p, err)
	}
	return nil
}

// DeleteParticipant implements Store. The participant's service metadata
// goes with it.
func (s *SQLStore) DeleteParticipant(ctx context.Context, p ID) error {
	tx, err := s.db.SQL().BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("smp: %w", err)
	}
	defer tx.Rollback()
	k := participantKey(p)
	if _, err := tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM smp_services WHERE pkey = ?`), k); err != nil {
		return fmt.Errorf("smp: deleting participant %s: %w", p, err)
	}
	res, err := tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM smp_participants WHERE pkey = ?`), k)
	if err != nil {
		return fmt.Errorf("smp: deleting participant %s: %w", p, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return tx.Commit()
}

func (s *SQLStore) participant(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, p ID) (ID, error) {
	var id ID
	err := q.QueryRowContext(ctx, s.db.Rebind(`SELECT scheme, value FROM smp_participants WHERE pkey = ?`), participantKey(p)).Scan(&id.Scheme, &id.Value)
	if errors.Is(err, sql.ErrNoRows) {
		return id, ErrNotFound
	}
	if err != nil {
		return id, fmt.Errorf("smp: reading participant %s: %w", p, err)
	}
	return id, nil
}

// ServiceGroup implements Store.
func (s *SQLStore) ServiceGroup(ctx context.Context, p ID) (*ServiceGroup, error) {
	id, err := s.participant(ctx, s.db.SQL(), p)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.SQL().QueryContext(ctx, s.db.Rebind(`SELECT metadata FROM smp_services WHERE pkey = ?`), participantKey(p))
	if err != nil {
		return nil, fmt.Errorf("smp: %w", err)
	}
	defer rows.Close()
	g := &ServiceGroup{Participant: id}
	for rows.Next() {
		var js string
		if err := rows.Scan(&js); err != nil {
			return nil, fmt.Errorf("smp: %w", err)
		}
		var m ServiceMetadata
		if err := json.Unmarshal([]byte(js), &m); err != nil {
			return nil, fmt.Errorf("smp: stored metadata of %s: %w", p, err)
		}
		g.DocumentTypes = append(g.DocumentTypes, m.DocumentType)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("smp: %w", err)
	}
	sortIDs(g.DocumentTypes)
	return g, nil
}

// PutServiceMetadata implements Store.
func (s *SQLStore) PutServiceMetadata(ctx context.Context, m *ServiceMetadata) error {
	tx, err := s.db.SQL().BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("smp: %w", err)
	}
	defer tx.Rollback()
	id, err := s.participant(ctx, tx, m.Participant)
	if err != nil {
		return err
	}
	c := *m
	c.Participant = id
	js, err := json.Marshal(&c)
	if err != nil {
		return fmt.Errorf("smp: %w", err)
	}
	_, err = tx.ExecContext(ctx, s.db.Rebind(`INSERT INTO smp_services (pkey, dkey, metadata) VALUES (?, ?, ?)
		ON CONFLICT (pkey, dkey) DO UPDATE SET metadata = excluded.metadata`), participantKey(id), m.DocumentType.String(), string(js))
	if err != nil {
		return fmt.Errorf("smp: storing metadata of %s for %s: %w", m.DocumentType, id, err)
	}
	return tx.Commit()
}

// DeleteServiceMetadata implements Store.
func (s *SQLStore) DeleteServiceMetadata(ctx context.Context, p, d ID) error {
	res, err := s.db.SQL().ExecContext(ctx, s.db.Rebind(`DELETE FROM smp_services WHERE pkey = ? AND dkey = ?`), participantKey(p), d.String())
	if err != nil {
		return fmt.Errorf("smp: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// ServiceMetadata implements Store.
func (s *SQLStore) ServiceMetadata(ctx context.Context, p, d ID) (*ServiceMetadata, error) {
	var js string
	err := s.db.SQL().QueryRowContext(ctx, s.db.Rebind(`SELECT metadata FROM smp_services WHERE pkey = ? AND dkey = ?`), participantKey(p), d.String()).Scan(&js)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("smp: %w", err)
	}
	var m ServiceMetadata
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		return nil, fmt.Errorf("smp: stored metadata of %s for %s: %w", d, p, err)
	}
	return &m, nil
}

// Participants implements Store.
func (s *SQLStore) Participants(ctx context.Context) ([]ID, error) {
	rows, err := s.db.SQL().QueryContext(ctx, `SELECT scheme, value FROM smp_participants`)
	if err != nil {
		return nil, fmt.Errorf("smp: %w", err)
	}
	defer rows.Close()
	var ids []ID
	for rows.Next() {
		var id ID
		if err := rows.Scan(&id.Scheme, &id.Value); err != nil {
			return nil, fmt.Errorf("smp: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("smp: %w", err)
	}
	sortIDs(ids)
	return ids, nil
}
