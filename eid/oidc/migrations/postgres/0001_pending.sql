-- The logins begun and not finished, so that any instance of a cluster can
-- take the provider's callback. app keeps apart the relying parties
-- sharing the database (portal, preview space, console). The callback
-- deletes the row it reads; rows past expires (Unix milliseconds) are
-- deleted at the next login begun.
CREATE TABLE oidc_pending (
	app TEXT NOT NULL,
	state TEXT NOT NULL,
	provider TEXT NOT NULL,
	app_state TEXT NOT NULL,
	redirect_uri TEXT NOT NULL,
	nonce TEXT NOT NULL,
	code_verifier TEXT NOT NULL,
	browser TEXT NOT NULL,
	expires BIGINT NOT NULL,
	PRIMARY KEY (app, state)
);
CREATE INDEX oidc_pending_expires ON oidc_pending (expires);
