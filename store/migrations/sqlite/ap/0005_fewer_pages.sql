-- Fewer pages written per message (SQLite). Every commit writes each page it
-- changed to the write-ahead log, and the index entries no query needs cost a
-- page each:
--   - the uniqueness of client_key becomes a partial unique index: a
--     submission without a key (NULL) no longer has an entry;
--   - the due index of the outbound queue holds only queued messages (the
--     claim asks for state 'queued' by name), so recording a delivery
--     removes an entry and adds none;
--   - the delivery index of the inbox holds only messages waiting for a
--     webhook push, so a message the backend pulls has no entry;
--   - ap_inbound.seq loses AUTOINCREMENT, whose counter (sqlite_sequence)
--     was another page per received message. Rows of ap_inbound are never
--     deleted (retention removes bodies only), so a new seq is still greater
--     than every seq given before.
-- The two tables are rebuilt with their rows.
CREATE TABLE ap_outbound_new (
    id          TEXT PRIMARY KEY,          -- eb:MessageId, stable across retries
    client_key  TEXT,                      -- backend idempotency key; NULL when none
    leg         TEXT NOT NULL,
    partner     TEXT NOT NULL,
    body        BLOB,                      -- the submission, opaque to the store; NULL once purged
    state       TEXT NOT NULL,             -- queued | delivered | failed
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     INTEGER NOT NULL,          -- unix ms of the next attempt
    lease_owner TEXT NOT NULL DEFAULT '',
    lease_until INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT '',
    receipt     BLOB,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
INSERT INTO ap_outbound_new (id, client_key, leg, partner, body, state, attempts, next_at, lease_owner, lease_until, last_error, receipt, created_at, updated_at)
    SELECT id, client_key, leg, partner, body, state, attempts, next_at, lease_owner, lease_until, last_error, receipt, created_at, updated_at FROM ap_outbound;
DROP TABLE ap_outbound;
ALTER TABLE ap_outbound_new RENAME TO ap_outbound;
CREATE UNIQUE INDEX ap_outbound_client_key ON ap_outbound (client_key) WHERE client_key IS NOT NULL;
CREATE INDEX ap_outbound_due ON ap_outbound (next_at) WHERE state = 'queued';

CREATE TABLE ap_inbound_new (
    seq            INTEGER PRIMARY KEY,
    message_id     TEXT NOT NULL UNIQUE,    -- duplicate elimination
    partner        TEXT NOT NULL,
    leg            TEXT NOT NULL,
    header         BLOB NOT NULL,
    body           BLOB,                    -- NULL once purged
    received_at    INTEGER NOT NULL,
    acked_at       INTEGER NOT NULL DEFAULT 0,
    delivery       TEXT NOT NULL,           -- pending | delivered | none
    attempts       INTEGER NOT NULL DEFAULT 0,
    next_at        INTEGER NOT NULL DEFAULT 0,
    lease_owner    TEXT NOT NULL DEFAULT '',
    lease_until    INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT NOT NULL DEFAULT ''
);
INSERT INTO ap_inbound_new (seq, message_id, partner, leg, header, body, received_at, acked_at, delivery, attempts, next_at, lease_owner, lease_until, last_error)
    SELECT seq, message_id, partner, leg, header, body, received_at, acked_at, delivery, attempts, next_at, lease_owner, lease_until, last_error FROM ap_inbound;
DROP TABLE ap_inbound;
ALTER TABLE ap_inbound_new RENAME TO ap_inbound;
CREATE INDEX ap_inbound_delivery ON ap_inbound (next_at) WHERE delivery = 'pending';
CREATE INDEX ap_inbound_acked ON ap_inbound (acked_at, seq);
