-- The failed logins of the last minutes, counted by the login-failure
-- alert at each check, without reading the whole audit trail.
CREATE INDEX console_audit_action_time ON console_audit (action, time_ms);
