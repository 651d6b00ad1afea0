-- share: a head record for every audit chain (a copy of its last entry), so
-- that reading the head never walks the chain.
INSERT INTO records (kind, id, owner, ref, version, data, expires)
SELECT 'share.audit.head', a.ref, '', '', 1, a.data, 0
FROM records a
WHERE a.kind = 'share.audit'
  AND a.id = (SELECT max(b.id) FROM records b WHERE b.kind = 'share.audit' AND b.ref = a.ref)
  AND NOT EXISTS (SELECT 1 FROM records h WHERE h.kind = 'share.audit.head' AND h.id = a.ref);

-- share: a tombstone for every item deleted before deletion left one (its
-- audit chain outlived its record), so that its ID is never reused. The
-- tombstone names the actor of the chain's first delete event, the owner who
-- deleted the item first (a later delete event is a re-user's, whose ID
-- reuse this tombstone now prevents); without one (a crash before the event
-- was chained) it names nobody, and nobody may read the chain. Entries that
-- are not JSON are skipped.
INSERT INTO records (kind, id, owner, ref, version, data, expires)
SELECT 'share.item', c.ref,
  COALESCE((SELECT json_extract(CAST(d.data AS TEXT), '$.event.actor') FROM records d
            WHERE d.kind = 'share.audit' AND d.ref = c.ref
              AND CASE WHEN json_valid(CAST(d.data AS TEXT))
                       THEN json_extract(CAST(d.data AS TEXT), '$.event.action') END = 'delete'
            ORDER BY d.id ASC LIMIT 1), ''),
  '.deleted', 1, X'', 0
FROM (SELECT DISTINCT ref FROM records WHERE kind = 'share.audit') c
WHERE NOT EXISTS (SELECT 1 FROM records i WHERE i.kind = 'share.item' AND i.id = c.ref);
