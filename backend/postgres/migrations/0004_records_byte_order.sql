-- Range scans of records (driver.Store.Range: the owner index of share
-- items) compare IDs in byte order, which the primary key's collation need
-- not be.
CREATE INDEX records_kind_id_c ON records (kind, id COLLATE "C");
