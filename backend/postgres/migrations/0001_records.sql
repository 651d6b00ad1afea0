-- Records: every store interface's small documents (see backend/internal/records).
CREATE TABLE records (
  kind    text   NOT NULL,
  id      text   NOT NULL,
  owner   text   NOT NULL DEFAULT '',
  ref     text   NOT NULL DEFAULT '',
  version bigint NOT NULL,
  data    bytea  NOT NULL,
  expires bigint NOT NULL DEFAULT 0, -- Unix nanoseconds; 0 = never
  PRIMARY KEY (kind, id)
);
CREATE INDEX records_owner ON records (kind, owner);
CREATE INDEX records_ref ON records (kind, ref);
CREATE INDEX records_expires ON records (kind, expires) WHERE expires <> 0;

-- Blobs: large ciphertexts in 1 MiB chunks, committed in one transaction.
CREATE TABLE blobs (
  id   text   PRIMARY KEY,
  size bigint NOT NULL
);
CREATE TABLE blob_chunks (
  id   text   NOT NULL REFERENCES blobs (id) ON DELETE CASCADE,
  seq  bigint NOT NULL,
  data bytea  NOT NULL,
  PRIMARY KEY (id, seq)
);
