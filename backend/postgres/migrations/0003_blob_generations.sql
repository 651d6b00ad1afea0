-- Blobs are written as generations (backend/internal/records): a blobs row
-- is now one generation's chunk set, and blob_names maps a blob key to the
-- generation it shows. A put writes its chunks under a fresh generation, a
-- chunk per short transaction, and names it in one last transaction, so no
-- transaction waits on the uploading client. expires: 0 while a name
-- refers to it; while being written, the Unix nanoseconds after which a
-- sweep may purge it; in the past once it is garbage.
ALTER TABLE blobs ADD COLUMN expires bigint NOT NULL DEFAULT 0;
CREATE INDEX blobs_expires ON blobs (expires) WHERE expires <> 0;
CREATE TABLE blob_names (
  name text PRIMARY KEY,
  gen  text NOT NULL REFERENCES blobs (id)
);
CREATE INDEX blob_names_gen ON blob_names (gen);
-- Blobs written before this migration are generations named by their key.
INSERT INTO blob_names (name, gen) SELECT id, id FROM blobs;
