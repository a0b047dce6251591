-- Files that hold received payloads (SQLite): a row per file, written in the
-- transaction that stores its message, removed when the message's payloads
-- are purged. A payload file that no row names is an orphan (a receive that
-- crashed before its commit, a duplicate) and is removed by the sweep.
CREATE TABLE ap_payload_files (
    file       TEXT PRIMARY KEY,           -- name in the payload directory
    message_id TEXT NOT NULL
);
CREATE INDEX ap_payload_files_message ON ap_payload_files (message_id);
