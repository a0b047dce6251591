-- The role of a session opened by an OpenID Connect login, mapped from the
-- provider's claims at the login; empty for a session of a local account,
-- whose role is read from console_accounts at each request.
ALTER TABLE console_sessions ADD COLUMN role TEXT NOT NULL DEFAULT '';
