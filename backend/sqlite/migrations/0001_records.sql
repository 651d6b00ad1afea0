-- Records: every store interface's small documents (see backend/internal/records).
CREATE TABLE records (
  kind    TEXT    NOT NULL,
  id      TEXT    NOT NULL,
  owner   TEXT    NOT NULL DEFAULT '',
  ref     TEXT    NOT NULL DEFAULT '',
  version INTEGER NOT NULL,
  data    BLOB    NOT NULL,
  expires INTEGER NOT NULL DEFAULT 0, -- Unix nanoseconds; 0 = never
  PRIMARY KEY (kind, id)
) WITHOUT ROWID;
CREATE INDEX records_owner ON records (kind, owner);
CREATE INDEX records_ref ON records (kind, ref);
CREATE INDEX records_expires ON records (kind, expires) WHERE expires <> 0;

-- Blobs: large ciphertexts in 1 MiB chunks, committed in one transaction.
CREATE TABLE blobs (
  id   TEXT    PRIMARY KEY,
  size INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE blob_chunks (
  id   TEXT    NOT NULL REFERENCES blobs (id) ON DELETE CASCADE,
  seq  INTEGER NOT NULL,
  data BLOB    NOT NULL,
  PRIMARY KEY (id, seq)
) WITHOUT ROWID;
