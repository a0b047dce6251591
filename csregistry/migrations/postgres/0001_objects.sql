-- Registry objects of the Evidence Broker and the DSD, one row per object:
-- its rim:RegistryObject element, in submission order (seq).
CREATE TABLE cs_objects (
	service TEXT NOT NULL,
	id TEXT NOT NULL,
	seq BIGINT NOT NULL,
	xml BYTEA NOT NULL,
	PRIMARY KEY (service, id)
);
