-- Incremental cycles, the blast-radius guard, claims that stay alive while their writes run, and
-- items of checks the policy no longer has.

-- A decision renews its claim while its writes are under way: it is never taken for abandoned.
ALTER TABLE review_items ADD COLUMN claim_renewed_at timestamptz;

-- `obsolete`: the check that raised the item is no longer in the policy.
ALTER TABLE review_items DROP CONSTRAINT review_items_status_check;
ALTER TABLE review_items ADD CONSTRAINT review_items_status_check
  CHECK (status IN ('open', 'deciding', 'approved', 'overridden', 'ignored', 'failed', 'resolved_elsewhere', 'superseded', 'obsolete'));

-- A guard item's planned writes are released by a person (`release`); an ambiguous match is
-- resolved by picking the record that belongs (`link`).
ALTER TABLE decision_log DROP CONSTRAINT decision_log_action_check;
ALTER TABLE decision_log ADD CONSTRAINT decision_log_action_check
  CHECK (action IN ('approve', 'override', 'ignore', 'retry', 'release', 'link'));

-- The last run of a check that saved cursors, found fast.
CREATE INDEX runs_check_cursors ON runs (check_name, id DESC) WHERE status IN ('succeeded', 'partial') AND dry_run = false;
-- Items by status and category for /recon status counts at scale.
CREATE INDEX review_items_status_category ON review_items (status, category);
CREATE INDEX review_items_open_opened ON review_items (opened_at, id) WHERE status IN ('open', 'deciding', 'failed');
