-- Reports of final send failures to the backend (PostgreSQL): one row per
-- outbound message that ended failed, queued in the transaction that
-- recorded the failure, and delivered at least once like a webhook push.
CREATE TABLE ap_failure_reports (
    message_id  TEXT PRIMARY KEY,          -- eb:MessageId of the failed message
    client_key  TEXT NOT NULL DEFAULT '',  -- the submission's idempotency key
    partner     TEXT NOT NULL,
    leg         TEXT NOT NULL,
    reason      TEXT NOT NULL,             -- the recorded error
    failed_at   BIGINT NOT NULL,          -- unix ms
    delivery    TEXT NOT NULL,             -- pending | delivered | none
    attempts    BIGINT NOT NULL DEFAULT 0,
    next_at     BIGINT NOT NULL,
    lease_owner TEXT NOT NULL DEFAULT '',
    lease_until BIGINT NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ap_failure_reports_due ON ap_failure_reports (delivery, next_at);
