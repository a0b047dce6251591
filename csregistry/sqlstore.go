package csregistry

import (
	"context"
	"embed"
	"fmt"

	"github.com/oots-go/oots/store"
)

//go:embed migrations
var migrations embed.FS

// Component is the name of the registry's migrations in the node's database
// (package store): its tables are prefixed cs_.
const Component = "cs"

// SQLStore is the Store of the registry in the node's database (package
// store: SQLite or PostgreSQL), table cs_objects. Apply runs in one database
// transaction.
type SQLStore struct {
	db *store.DB
}

var _ Store = (*SQLStore)(nil)

// NewSQLStore applies the registry's migrations to db and returns the store.
func NewSQLStore(ctx context.Context, db *store.DB) (*SQLStore, error) {
	if err := db.MigrateFS(ctx, Component, migrations); err != nil {
		return nil, fmt.Errorf("csregistry: %w", err)
	}
	return &SQLStore{db: db}, nil
}

// Load returns every object in seq order.
func (s *SQLStore) Load(ctx context.Context) ([]StoredObject, error) {
	rows, err := s.db.SQL().QueryContext(ctx, `SELECT service, id, seq, xml FROM cs_objects ORDER BY seq, service, id`)
	if err != nil {
		return nil, fmt.Errorf("csregistry: %w", err)
	}
	defer rows.Close()
	var out []StoredObject
	for rows.Next() {
		var o StoredObject
		var svc string
		if err := rows.Scan(&svc, &o.ID, &o.Seq, &o.XML); err != nil {
			return nil, fmt.Errorf("csregistry: %w", err)
		}
		o.Service = Service(svc)
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("csregistry: %w", err)
	}
	return out, nil
}

// Apply deletes remove and upserts put in one transaction.
func (s *SQLStore) Apply(ctx context.Context, put, remove []StoredObject) error {
	tx, err := s.db.SQL().BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("csregistry: %w", err)
	}
	defer tx.Rollback()
	del := s.db.Rebind(`DELETE FROM cs_objects WHERE service = ? AND id = ?`)
	for _, o := range remove {
		if _, err := tx.ExecContext(ctx, del, string(o.Service), o.ID); err != nil {
			return fmt.Errorf("csregistry: removing %s: %w", o.ID, err)
		}
	}
	ins := s.db.Rebind(`INSERT INTO cs_objects (service, id, seq, xml) VALUES (?, ?, ?, ?)
		ON CONFLICT (service, id) DO UPDATE SET seq = excluded.seq, xml = excluded.xml`)
	for _, o := range put {
		if _, err := tx.ExecContext(ctx, ins, string(o.Service), o.ID, o.Seq, o.XML); err != nil {
			return fmt.Errorf("csregistry: storing %s: %w", o.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("csregistry: %w", err)
	}
	return nil
}
