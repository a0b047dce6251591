-- Journeys of the evidence requester: one row per journey (eb:ConversationId)
-- with its state as JSON, a version for optimistic concurrency, and the next
-- time the timeout sweep must look at it.
CREATE TABLE requester_journeys (
	id TEXT PRIMARY KEY,
	client_key TEXT UNIQUE,
	state TEXT NOT NULL,
	version BIGINT NOT NULL,
	next_check BIGINT,
	data BYTEA NOT NULL,
	created BIGINT NOT NULL,
	updated BIGINT NOT NULL
);
CREATE INDEX requester_journeys_next_check ON requester_journeys (next_check);
-- Evidence requests sent: correlation of answers by requestId and eb:MessageId.
CREATE TABLE requester_requests (
	request_id TEXT PRIMARY KEY,
	message_id TEXT,
	journey_id TEXT NOT NULL,
	req_index INTEGER NOT NULL
);
CREATE INDEX requester_requests_message ON requester_requests (message_id);
-- Received messages already processed (exactly-once delivery).
CREATE TABLE requester_received (
	message_id TEXT PRIMARY KEY,
	journey_id TEXT,
	outcome TEXT NOT NULL,
	received BIGINT NOT NULL
);
-- Evidence files received.
CREATE TABLE requester_evidence (
	id TEXT PRIMARY KEY,
	journey_id TEXT NOT NULL,
	name TEXT NOT NULL,
	mime_type TEXT NOT NULL,
	data BYTEA NOT NULL
);
CREATE INDEX requester_evidence_journey ON requester_evidence (journey_id);
