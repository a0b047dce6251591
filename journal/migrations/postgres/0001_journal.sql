-- The audit journal: one row per recorded event of an evidence exchange,
-- hash-chained (see the package documentation of journal for the encoding
-- of hash). personal is nonce || AES-256-GCM ciphertext of the personal data,
-- empty when the entry has none. Times are Unix milliseconds.
CREATE TABLE journal_entries (
	seq BIGINT PRIMARY KEY,
	time_ms BIGINT NOT NULL,
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
	personal BYTEA NOT NULL,
	prev TEXT NOT NULL,
	hash TEXT NOT NULL
);
CREATE INDEX journal_entries_conversation ON journal_entries (conversation, seq);
CREATE INDEX journal_entries_time ON journal_entries (time_ms, seq);

-- The head of the chain: one row, locked (SELECT … FOR UPDATE) by every
-- append, so that the nodes of a cluster append one at a time, and moved
-- forward by exactly one entry at a time.
CREATE TABLE journal_head (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	seq BIGINT NOT NULL,
	hash TEXT NOT NULL
);
INSERT INTO journal_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Defence in depth: the journal is append-only.
CREATE FUNCTION journal_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'journal: % on % refused: the journal is append-only', TG_OP, TG_TABLE_NAME; END $$;
CREATE FUNCTION journal_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.seq <> OLD.seq + 1 OR NEW.id <> OLD.id THEN RAISE EXCEPTION 'journal: journal_head moves forward by one entry only'; END IF; RETURN NEW; END $$;
CREATE TRIGGER journal_entries_no_change BEFORE UPDATE OR DELETE ON journal_entries FOR EACH ROW EXECUTE FUNCTION journal_refuse();
CREATE TRIGGER journal_entries_no_truncate BEFORE TRUNCATE ON journal_entries FOR EACH STATEMENT EXECUTE FUNCTION journal_refuse();
CREATE TRIGGER journal_head_no_delete BEFORE DELETE ON journal_head FOR EACH ROW EXECUTE FUNCTION journal_refuse();
CREATE TRIGGER journal_head_no_truncate BEFORE TRUNCATE ON journal_head FOR EACH STATEMENT EXECUTE FUNCTION journal_refuse();
CREATE TRIGGER journal_head_forward BEFORE UPDATE ON journal_head FOR EACH ROW EXECUTE FUNCTION journal_head_forward();
