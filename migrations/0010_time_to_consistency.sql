-- Time to consistency: when the source of a write changed (the record's own timestamp for the
-- field, else the record's), so each applied write measures how long the target disagreed.
ALTER TABLE write_intents ADD COLUMN source_changed_at timestamptz;
ALTER TABLE changes ADD COLUMN source_changed_at timestamptz;
CREATE INDEX changes_consistency ON changes (at) WHERE outcome = 'applied' AND source_changed_at IS NOT NULL;
