-- Consents to background exchanges (an extension of OOTS): given by the
-- user at the preview space, for one requester, procedure and evidence type,
-- until expires, unless withdrawn. subject is the eIDAS identity (issuing
-- country and local part) of the person or company; subject_key the
-- register's key.
CREATE TABLE provider_consents (
	id TEXT PRIMARY KEY,
	provider TEXT NOT NULL,
	subject TEXT NOT NULL,
	subject_key TEXT NOT NULL,
	requester TEXT NOT NULL,
	requester_name TEXT NOT NULL,
	procedure TEXT NOT NULL,
	evidence_type TEXT NOT NULL,
	evidence_title TEXT NOT NULL,
	granted BIGINT NOT NULL,
	expires BIGINT NOT NULL,
	withdrawn BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX provider_consents_subject ON provider_consents (subject);
-- Evidence sent, for the user's view of the use of their data: who asked,
-- for which procedure, which documents (titles and formats, not the
-- content), when, and the consent relied on ('' after a preview).
CREATE TABLE provider_disclosures (
	id TEXT PRIMARY KEY,
	provider TEXT NOT NULL,
	subject TEXT NOT NULL,
	requester TEXT NOT NULL,
	requester_name TEXT NOT NULL,
	procedure TEXT NOT NULL,
	evidence_type TEXT NOT NULL,
	conversation_id TEXT NOT NULL,
	documents TEXT NOT NULL,
	consent_id TEXT NOT NULL DEFAULT '',
	sent BIGINT NOT NULL
);
CREATE INDEX provider_disclosures_subject ON provider_disclosures (subject);
-- Logins at the page of consents and data use: the cookie's token hashed.
CREATE TABLE provider_accounts (
	id TEXT PRIMARY KEY,
	subject TEXT NOT NULL,
	csrf TEXT NOT NULL,
	expires BIGINT NOT NULL
);
