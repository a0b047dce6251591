-- Access point messages: the outbound queue and the inbox (PostgreSQL).
CREATE TABLE ap_outbound (
    id          TEXT PRIMARY KEY,          -- eb:MessageId, stable across retries
    client_key  TEXT UNIQUE,               -- backend idempotency key; NULL when none
    leg         TEXT NOT NULL,
    partner     TEXT NOT NULL,
    body        BYTEA,                      -- the submission, opaque to the store; NULL once purged
    state       TEXT NOT NULL,             -- queued | delivered | failed
    attempts    BIGINT NOT NULL DEFAULT 0,
    next_at     BIGINT NOT NULL,          -- unix ms of the next attempt
    lease_owner TEXT NOT NULL DEFAULT '',
    lease_until BIGINT NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT '',
    receipt     BYTEA,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX ap_outbound_due ON ap_outbound (state, next_at);

CREATE TABLE ap_inbound (
    seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id     TEXT NOT NULL UNIQUE,    -- duplicate elimination
    partner        TEXT NOT NULL,
    leg            TEXT NOT NULL,
    header         BYTEA NOT NULL,
    body           BYTEA,                    -- NULL once purged
    received_at    BIGINT NOT NULL,
    acked_at       BIGINT NOT NULL DEFAULT 0,
    delivery       TEXT NOT NULL,           -- pending | delivered | none
    attempts       BIGINT NOT NULL DEFAULT 0,
    next_at        BIGINT NOT NULL DEFAULT 0,
    lease_owner    TEXT NOT NULL DEFAULT '',
    lease_until    BIGINT NOT NULL DEFAULT 0,
    last_error     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ap_inbound_delivery ON ap_inbound (delivery, next_at);
CREATE INDEX ap_inbound_acked ON ap_inbound (acked_at, seq);
