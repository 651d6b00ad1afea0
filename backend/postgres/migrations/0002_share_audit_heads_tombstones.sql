-- share: a head record for every audit chain (a copy of its last entry), so
-- that reading the head never walks the chain. Entry IDs of one chain share
-- a prefix and end in a zero-padded sequence number: the greatest in byte
-- order is the last.
INSERT INTO records (kind, id, owner, ref, version, data, expires)
SELECT 'share.audit.head', a.ref, '', '', 1, a.data, 0
FROM records a
WHERE a.kind = 'share.audit'
  AND a.id COLLATE "C" = (SELECT max(b.id COLLATE "C") FROM records b WHERE b.kind = 'share.audit' AND b.ref = a.ref)
ON CONFLICT DO NOTHING;

-- share: a tombstone for every item deleted before deletion left one (its
-- audit chain outlived its record), so that its ID is never reused. The
-- tombstone names the actor of the chain's first delete event, the owner who
-- deleted the item first (a later delete event is a re-user's, whose ID
-- reuse this tombstone now prevents); without one (a crash before the event
-- was chained) it names nobody, and nobody may read the chain. An entry that
-- is not UTF-8 JSON is skipped: PostgreSQL 15 has no safe cast to jsonb, so
-- each parse runs in its own exception block, and only entries whose bytes
-- hold "delete" are parsed at all.
DO $$
DECLARE
  c record;
  d record;
  actor text;
BEGIN
  FOR c IN SELECT DISTINCT a.ref FROM records a
           WHERE a.kind = 'share.audit'
             AND NOT EXISTS (SELECT 1 FROM records i WHERE i.kind = 'share.item' AND i.id = a.ref)
  LOOP
    actor := NULL;
    FOR d IN SELECT data FROM records
             WHERE kind = 'share.audit' AND ref = c.ref AND position('"delete"'::bytea IN data) > 0
             ORDER BY id COLLATE "C"
    LOOP
      BEGIN
        IF convert_from(d.data, 'UTF8')::jsonb #>> '{event,action}' = 'delete' THEN
          actor := convert_from(d.data, 'UTF8')::jsonb #>> '{event,actor}';
        END IF;
      EXCEPTION WHEN data_exception THEN -- invalid UTF-8 or JSON
        NULL;
      END;
      EXIT WHEN actor IS NOT NULL;
    END LOOP;
    INSERT INTO records (kind, id, owner, ref, version, data, expires)
    VALUES ('share.item', c.ref, COALESCE(actor, ''), '.deleted', 1, ''::bytea, 0);
  END LOOP;
END
$$;
