-- Evidence requests already processed, by eb:MessageId (exactly-once
-- delivery, recorded in the transaction of the state change).
CREATE TABLE provider_messages (
	message_id TEXT PRIMARY KEY,
	processed INTEGER NOT NULL
);
-- Preview sessions: one per first request that needed a preview. The
-- evidence documents (JSON) are purged once the exchange is answered.
CREATE TABLE provider_sessions (
	token TEXT PRIMARY KEY,
	state TEXT NOT NULL,
	provider TEXT NOT NULL,
	party TEXT NOT NULL,
	conversation_id TEXT NOT NULL,
	exchange_id TEXT NOT NULL,
	version TEXT NOT NULL,
	c1_scheme TEXT NOT NULL,
	c1_value TEXT NOT NULL,
	c4_scheme TEXT NOT NULL,
	c4_value TEXT NOT NULL,
	first_message_id TEXT NOT NULL,
	first_request BLOB NOT NULL,
	subject_key TEXT NOT NULL,
	second_message_id TEXT NOT NULL DEFAULT '',
	second_request BLOB,
	return_location TEXT NOT NULL DEFAULT '',
	return_url TEXT NOT NULL DEFAULT '',
	documents BLOB,
	arrive_by INTEGER NOT NULL,
	decide_by INTEGER NOT NULL,
	viewer TEXT NOT NULL DEFAULT '',
	csrf TEXT NOT NULL DEFAULT '',
	created INTEGER NOT NULL,
	updated INTEGER NOT NULL,
	revision INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX provider_sessions_state ON provider_sessions (state, decide_by);
-- Answers to send: written in the transaction that decides them, deleted
-- (with the evidence they carry) once the access point has taken them.
CREATE TABLE provider_outbox (
	client_key TEXT PRIMARY KEY,
	submission BLOB NOT NULL,
	created INTEGER NOT NULL
);
