-- The procedures a consent covers, as the user chose them at the preview
-- (one row each): a background request is answered under the consent only
-- for one of them. A consent given before covers the procedure it was given
-- in (provider_consents.procedure).
CREATE TABLE provider_consent_procedures (
	consent_id TEXT NOT NULL REFERENCES provider_consents (id),
	procedure TEXT NOT NULL,
	PRIMARY KEY (consent_id, procedure)
);
INSERT INTO provider_consent_procedures (consent_id, procedure) SELECT id, procedure FROM provider_consents;
