-- A failed decision keeps its item open: a cycle refreshes it instead of opening a second item for
-- the same fingerprint, the queue still shows it, and it closes when the records agree.

-- A claim has its own time: a cycle refreshing an item (updated_at) must not make a dead claim look alive.
ALTER TABLE review_items ADD COLUMN claimed_at timestamptz;
UPDATE review_items SET claimed_at = updated_at WHERE status = 'deciding';

-- An item that a newer item of the same fingerprint took over.
ALTER TABLE review_items DROP CONSTRAINT review_items_status_check;
ALTER TABLE review_items ADD CONSTRAINT review_items_status_check
  CHECK (status IN ('open', 'deciding', 'approved', 'overridden', 'ignored', 'failed', 'resolved_elsewhere', 'superseded'));

-- Before the index covers failed items, at most one item per fingerprint may be open, deciding or
-- failed: a failed item whose fingerprint was opened again (or failed again later) is superseded.
UPDATE review_items AS f
   SET status = 'superseded', closed_at = now(), updated_at = now()
 WHERE f.status = 'failed'
   AND EXISTS (
     SELECT 1 FROM review_items AS o
      WHERE o.fingerprint = f.fingerprint
        AND o.id <> f.id
        AND (o.status IN ('open', 'deciding') OR (o.status = 'failed' AND o.id > f.id)));

DROP INDEX review_items_one_open;
CREATE UNIQUE INDEX review_items_one_open ON review_items (fingerprint) WHERE status IN ('open', 'deciding', 'failed');
