-- The operator's console (SQLite): local accounts, sessions, and the audit
-- trail of console actions, hash-chained (see the package documentation).
CREATE TABLE console_accounts (
    name         TEXT PRIMARY KEY,
    role         TEXT NOT NULL,            -- administrator | operator | auditor
    hash         TEXT NOT NULL,            -- argon2id, PHC string format
    failed       INTEGER NOT NULL DEFAULT 0,  -- failed logins in a row
    locked_until INTEGER NOT NULL DEFAULT 0,  -- unix ms
    created_at   INTEGER NOT NULL
);
CREATE TABLE console_sessions (
    id_hash    TEXT PRIMARY KEY,           -- SHA-256 of the cookie value, hex
    account    TEXT NOT NULL,
    csrf       TEXT NOT NULL,
    expires_at INTEGER NOT NULL            -- unix ms
);
CREATE TABLE console_audit (
    seq     INTEGER PRIMARY KEY,
    time_ms INTEGER NOT NULL,
    actor   TEXT NOT NULL,
    role    TEXT NOT NULL,
    action  TEXT NOT NULL,
    target  TEXT NOT NULL,
    outcome TEXT NOT NULL,
    remote  TEXT NOT NULL,
    prev    TEXT NOT NULL,
    hash    TEXT NOT NULL
);
CREATE INDEX console_audit_actor ON console_audit (actor, seq);
CREATE TABLE console_audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO console_audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
