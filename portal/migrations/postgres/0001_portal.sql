-- Browser sessions of the procedure portal: the key is the SHA-256 of the
-- cookie's token, so a copy of the table does not hold usable cookies.
CREATE TABLE portal_sessions (
	id TEXT PRIMARY KEY,
	csrf TEXT NOT NULL,
	subject TEXT NOT NULL DEFAULT '',
	login_state TEXT NOT NULL DEFAULT '',
	pending_procedure TEXT NOT NULL DEFAULT '',
	pending_country TEXT NOT NULL DEFAULT '',
	return_to TEXT NOT NULL DEFAULT '',
	created BIGINT NOT NULL,
	expires BIGINT NOT NULL
);
CREATE INDEX portal_sessions_expires ON portal_sessions (expires);

-- Journeys started through the portal and the user who owns each.
CREATE TABLE portal_journeys (
	journey_id TEXT PRIMARY KEY,
	owner TEXT NOT NULL,
	procedure TEXT NOT NULL,
	country TEXT NOT NULL,
	created BIGINT NOT NULL
);

-- Requirements the user chose to go on without (after a failure).
CREATE TABLE portal_skipped (
	journey_id TEXT NOT NULL,
	requirement_id TEXT NOT NULL,
	PRIMARY KEY (journey_id, requirement_id)
);

-- Submitted procedures: one per journey, with the summary as JSON.
CREATE TABLE portal_submissions (
	reference TEXT PRIMARY KEY,
	journey_id TEXT NOT NULL UNIQUE,
	owner TEXT NOT NULL,
	procedure TEXT NOT NULL,
	country TEXT NOT NULL,
	summary TEXT NOT NULL,
	created BIGINT NOT NULL
);
