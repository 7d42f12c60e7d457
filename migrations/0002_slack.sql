-- The Slack side: who decided what (including refusals), and the schedule slots replicas claim.

-- Every decision attempt from Slack, refused ones included: the change log holds the writes.
CREATE TABLE decision_log (
  id              bigserial PRIMARY KEY,
  at              timestamptz NOT NULL DEFAULT now(),
  review_item_id  bigint NOT NULL REFERENCES review_items (id),
  actor           text NOT NULL,
  action          text NOT NULL CHECK (action IN ('approve', 'override', 'ignore', 'retry')),
  outcome         text NOT NULL CHECK (outcome IN ('refused', 'already_decided', 'approved', 'overridden', 'ignored', 'stale', 'failed')),
  detail          jsonb
);
CREATE INDEX decision_log_item ON decision_log (review_item_id, at);

-- A schedule slot (`task:slotISO`) runs on the one replica that inserts it first.
CREATE TABLE schedule_slots (
  key         text PRIMARY KEY,
  claimed_by  text NOT NULL,
  claimed_at  timestamptz NOT NULL DEFAULT now()
);

-- Where the weekly digest and the posting of a cycle's escalations keep track.
ALTER TABLE review_items ADD COLUMN posted_at timestamptz;          -- posted, or counted in a cycle's summary
ALTER TABLE review_items ADD COLUMN closed_at timestamptz;          -- left open/deciding for good
ALTER TABLE review_items ADD COLUMN message_synced_at timestamptz;  -- its Slack message shows its latest state
