-- The history of a message's sending attempts that did not deliver it
-- (SQLite): one row per attempt that ended in an error, written in the
-- transaction that recorded its outcome: 'retried' (queued again) or
-- 'failed' (the final failure). The attempt that delivered a message is
-- its row in ap_outbound (state delivered, attempts, updated_at); an
-- attempt cut short by its worker's end leaves no row (the next claim
-- counts the next attempt). Nothing is written for a message delivered at
-- its first attempt.
CREATE TABLE ap_attempts (
    message_id TEXT NOT NULL,              -- eb:MessageId (ap_outbound.id)
    seq        INTEGER NOT NULL,           -- 1, 2, ... in the message's history (a resend continues it)
    attempt    INTEGER NOT NULL,           -- ap_outbound.attempts when it ended (a resend starts again at 1)
    ended_at   INTEGER NOT NULL,           -- unix ms
    outcome    TEXT NOT NULL,              -- retried | failed
    error      TEXT NOT NULL,
    PRIMARY KEY (message_id, seq)
);
