-- Non-repudiation: an entry about an AS4 message references the eb:MessageId
-- of its signed receipt (receipt) and the digests that receipt's
-- NonRepudiationInformation carries (nrr); ref_to is the eb:RefToMessageId
-- of the message (the request an answer answers). All empty for the entries
-- of before, whose hash keeps the v1 encoding.
ALTER TABLE journal_entries ADD COLUMN receipt TEXT NOT NULL DEFAULT '';
ALTER TABLE journal_entries ADD COLUMN nrr TEXT NOT NULL DEFAULT '';
ALTER TABLE journal_entries ADD COLUMN ref_to TEXT NOT NULL DEFAULT '';
CREATE INDEX journal_entries_exchange ON journal_entries (exchange, seq);
CREATE INDEX journal_entries_message ON journal_entries (message_id, seq);

-- Retention: the entries up to journal_base.seq were purged; the chain goes
-- on from journal_base.hash, and a journal.purged entry of the chain
-- names that sequence number and hash. The base only moves forward.
CREATE TABLE journal_base (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	seq INTEGER NOT NULL,
	hash TEXT NOT NULL
);
INSERT INTO journal_base (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Only what is at or below the base may be deleted (a purge).
DROP TRIGGER journal_entries_no_delete;
CREATE TRIGGER journal_entries_no_delete BEFORE DELETE ON journal_entries WHEN OLD.seq > (SELECT seq FROM journal_base WHERE id = 1) BEGIN SELECT RAISE(ABORT, 'journal_entries is append-only: DELETE refused beyond the retention base'); END;
CREATE TRIGGER journal_base_no_delete BEFORE DELETE ON journal_base BEGIN SELECT RAISE(ABORT, 'journal_base cannot be deleted'); END;
CREATE TRIGGER journal_base_forward BEFORE UPDATE ON journal_base WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id BEGIN SELECT RAISE(ABORT, 'journal_base moves forward only'); END;
