-- One-time use of SAML assertions (SAML 2.0 Profiles §4.1.4.5): the ID of
-- every assertion accepted, with the instant after which it is invalid
-- anyway (Unix milliseconds) and may be forgotten.
CREATE TABLE saml_replay (
	id TEXT PRIMARY KEY,
	expires INTEGER NOT NULL
);
CREATE INDEX saml_replay_expires ON saml_replay (expires);
