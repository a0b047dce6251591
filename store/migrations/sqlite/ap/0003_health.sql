-- The write probe of readiness (SQLite): each node rewrites its row; a
-- database that cannot be written (disk full, read-only) fails the probe.
CREATE TABLE ap_health (
    node       TEXT PRIMARY KEY,
    checked_at INTEGER NOT NULL            -- unix ms
);
