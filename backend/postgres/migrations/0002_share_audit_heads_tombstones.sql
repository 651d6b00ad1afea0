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
-- tombstone names the actor of the chain's last delete event, the owner who
-- deleted it; without one (a crash before the event was chained) it names
-- nobody, and nobody may read the chain.
INSERT INTO records (kind, id, owner, ref, version, data, expires)
SELECT 'share.item', c.ref,
  COALESCE((SELECT convert_from(d.data, 'UTF8')::jsonb #>> '{event,actor}' FROM records d
            WHERE d.kind = 'share.audit' AND d.ref = c.ref
              AND convert_from(d.data, 'UTF8')::jsonb #>> '{event,action}' = 'delete'
            ORDER BY d.id COLLATE "C" DESC LIMIT 1), ''),
  '.deleted', 1, ''::bytea, 0
FROM (SELECT DISTINCT ref FROM records WHERE kind = 'share.audit') c
WHERE NOT EXISTS (SELECT 1 FROM records i WHERE i.kind = 'share.item' AND i.id = c.ref);
