-- The logins begun and not finished, so that any instance of a cluster can
-- answer the node's POST and the application's callback. app keeps apart
-- the service providers sharing the database (portal, preview space).
-- answered: 0 begun, 1 the node's answer being verified (the ACS takes it
-- once), 2 its outcome stored. outcome is JSON: the verified subject
-- (personal data) or the refusal, held only between the ACS and Finish,
-- which deletes the row; rows past expires (Unix milliseconds) are deleted
-- at the next login begun.
CREATE TABLE saml_pending (
	app TEXT NOT NULL,
	relay TEXT NOT NULL,
	country TEXT NOT NULL,
	app_state TEXT NOT NULL,
	callback TEXT NOT NULL,
	request_id TEXT NOT NULL,
	browser TEXT NOT NULL,
	expires INTEGER NOT NULL,
	answered INTEGER NOT NULL DEFAULT 0,
	outcome TEXT,
	PRIMARY KEY (app, relay)
);
CREATE INDEX saml_pending_expires ON saml_pending (expires);
