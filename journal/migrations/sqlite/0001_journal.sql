-- The audit journal: one row per recorded event of an evidence exchange,
-- hash-chained (see the package documentation of journal for the encoding
-- of hash). personal is nonce || AES-256-GCM ciphertext of the personal data,
-- empty when the entry has none. Times are Unix milliseconds.
CREATE TABLE journal_entries (
	seq INTEGER PRIMARY KEY,
	time_ms INTEGER NOT NULL,
	node TEXT NOT NULL,
	event TEXT NOT NULL,
	conversation TEXT NOT NULL,
	exchange TEXT NOT NULL,
	message_id TEXT NOT NULL,
	proc TEXT NOT NULL,
	requester TEXT NOT NULL,
	provider TEXT NOT NULL,
	evidence_type TEXT NOT NULL,
	outcome TEXT NOT NULL,
	personal BLOB NOT NULL,
	prev TEXT NOT NULL,
	hash TEXT NOT NULL
);
CREATE INDEX journal_entries_conversation ON journal_entries (conversation, seq);
CREATE INDEX journal_entries_time ON journal_entries (time_ms, seq);

-- The head of the chain: one row, locked by every append (appends are
-- serialised on it) and moved forward by exactly one entry at a time.
CREATE TABLE journal_head (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	seq INTEGER NOT NULL,
	hash TEXT NOT NULL
);
INSERT INTO journal_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Defence in depth: the journal is append-only.
CREATE TRIGGER journal_entries_no_update BEFORE UPDATE ON journal_entries BEGIN SELECT RAISE(ABORT, 'journal_entries is append-only: UPDATE refused'); END;
CREATE TRIGGER journal_entries_no_delete BEFORE DELETE ON journal_entries BEGIN SELECT RAISE(ABORT, 'journal_entries is append-only: DELETE refused'); END;
CREATE TRIGGER journal_head_no_delete BEFORE DELETE ON journal_head BEGIN SELECT RAISE(ABORT, 'journal_head cannot be deleted'); END;
CREATE TRIGGER journal_head_forward BEFORE UPDATE ON journal_head WHEN NEW.seq <> OLD.seq + 1 OR NEW.id <> OLD.id BEGIN SELECT RAISE(ABORT, 'journal_head moves forward by one entry only'); END;
