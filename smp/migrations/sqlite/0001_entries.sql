-- SMP entries: one row per participant (service group), keyed by its
-- case-folded "scheme::value", and one row per service metadata (document
-- type of a participant), the metadata as JSON.
CREATE TABLE smp_participants (
	pkey TEXT PRIMARY KEY,
	scheme TEXT NOT NULL,
	value TEXT NOT NULL
);
CREATE TABLE smp_services (
	pkey TEXT NOT NULL REFERENCES smp_participants (pkey) ON DELETE CASCADE,
	dkey TEXT NOT NULL,
	metadata TEXT NOT NULL,
	PRIMARY KEY (pkey, dkey)
);
