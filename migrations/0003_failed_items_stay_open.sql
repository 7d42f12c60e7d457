-- A failed decision keeps its item open: a cycle refreshes it instead of opening a second item for
-- the same fingerprint, the queue still shows it, and it closes when the records agree.

-- A claim has its own time: a cycle refreshing an item (updated_at) must not make a dead claim look alive.
ALTER TABLE review_items ADD COLUMN claimed_at timestamptz;
UPDATE review_items SET claimed_at = updated_at WHERE status = 'deciding';

-- Posting leases an item before sending it; a lease left by a process that died expires, so the
-- item is posted by a later cycle instead of never.
ALTER TABLE review_items ADD COLUMN post_claimed_at timestamptz;

-- An item that a newer item of the same fingerprint took over.
ALTER TABLE review_items DROP CONSTRAINT review_items_status_check;
ALTER TABLE review_items ADD CONSTRAINT review_items_status_check
  CHECK (status IN ('open', 'deciding', 'approved', 'overridden', 'ignored', 'failed', 'resolved_elsewhere', 'superseded'));

-- Before the index covers failed items, at most one item per fingerprint may be open, deciding or
-- failed. A failed item was left behind once a cycle opened a newer item for its fingerprint: that
-- newer item (whatever became of it: decided, ignored, resolved) carries the fingerprint on, and the
-- failed one is superseded rather than brought back with a Retry nobody should press.
UPDATE review_items AS f
   SET status = 'superseded', closed_at = date_trunc('milliseconds', now()), updated_at = date_trunc('milliseconds', now())
 WHERE f.status = 'failed'
   AND EXISTS (
     SELECT 1 FROM review_items AS o
      WHERE o.fingerprint = f.fingerprint
        AND (o.id > f.id OR o.status IN ('open', 'deciding')));

DROP INDEX review_items_one_open;
CREATE UNIQUE INDEX review_items_one_open ON review_items (fingerprint) WHERE status IN ('open', 'deciding', 'failed');
