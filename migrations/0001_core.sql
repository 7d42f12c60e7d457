-- Recon's core tables: the id map, cycles, what they found, what was written, and what waits for a person.

-- The real-world customer (or deal) behind records in several systems.
CREATE TABLE entities (
  id          bigserial PRIMARY KEY,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- The id map: which record of which system belongs to which entity, and how we knew.
CREATE TABLE links (
  id           bigserial PRIMARY KEY,
  entity_id    bigint NOT NULL REFERENCES entities (id),
  system       text NOT NULL,
  object       text NOT NULL,
  external_id  text NOT NULL,
  matched_by   text NOT NULL CHECK (matched_by IN ('link', 'shared_id', 'email', 'person')),
  matched_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (system, object, external_id)
);
CREATE INDEX links_entity ON links (entity_id);

-- One reconciliation of one check: its mode, cursors and figures.
CREATE TABLE runs (
  id           bigserial PRIMARY KEY,
  cycle_id     text NOT NULL,
  check_name   text NOT NULL,
  mode         text NOT NULL CHECK (mode IN ('full', 'incremental')),
  dry_run      boolean NOT NULL DEFAULT false,
  status       text NOT NULL CHECK (status IN ('running', 'succeeded', 'partial', 'failed')),
  started_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  cursors      jsonb NOT NULL DEFAULT '{}'::jsonb,
  stats        jsonb NOT NULL DEFAULT '{}'::jsonb,
  error        text
);
CREATE INDEX runs_check_started ON runs (check_name, started_at DESC);

-- Every disagreement a run found, and what the engine decided about it.
CREATE TABLE discrepancies (
  id            bigserial PRIMARY KEY,
  run_id        bigint NOT NULL REFERENCES runs (id),
  check_name    text NOT NULL,
  fingerprint   text NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('value_mismatch', 'missing_in_target', 'missing_in_source', 'ambiguous_match', 'mapping_gap')),
  category      text NOT NULL,
  entity_key    text NOT NULL,
  source_key    text,
  target_key    text,
  source_value  jsonb,
  target_value  jsonb,
  resolution    text NOT NULL CHECK (resolution IN ('auto_fix', 'escalate', 'suppressed', 'noop')),
  reason        text,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX discrepancies_run ON discrepancies (run_id);
CREATE INDEX discrepancies_fingerprint ON discrepancies (fingerprint);

-- A write Recon is about to make. Settled once its outcome is in the change log; an unsettled
-- intent after a crash is resolved by re-reading the target before anything else is written.
CREATE TABLE write_intents (
  idempotency_key  text PRIMARY KEY,
  run_id           bigint REFERENCES runs (id),
  actor            text NOT NULL,
  origin           text NOT NULL,
  check_name       text,
  fingerprint      text,
  system           text NOT NULL,
  object           text NOT NULL,
  external_id      text NOT NULL,
  field            text NOT NULL,
  before           jsonb,
  after            jsonb,
  rule             text,
  reason           text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  settled_at       timestamptz
);
CREATE INDEX write_intents_unsettled ON write_intents (created_at) WHERE settled_at IS NULL;

-- The change log: append-only, one row per write attempt.
CREATE TABLE changes (
  id               bigserial PRIMARY KEY,
  at               timestamptz NOT NULL DEFAULT now(),
  actor            text NOT NULL,
  origin           text NOT NULL,
  run_id           bigint REFERENCES runs (id),
  check_name       text,
  fingerprint      text,
  system           text NOT NULL,
  object           text NOT NULL,
  external_id      text NOT NULL,
  field            text NOT NULL,
  before           jsonb,
  after            jsonb,
  rule             text,
  reason           text,
  outcome          text NOT NULL CHECK (outcome IN ('applied', 'noop', 'stale', 'failed')),
  error            text,
  idempotency_key  text NOT NULL
);
CREATE INDEX changes_record ON changes (system, object, external_id, at DESC);
CREATE INDEX changes_run ON changes (run_id);
-- At most one successful application per idempotency key, whatever crashes in between.
CREATE UNIQUE INDEX changes_applied_once ON changes (idempotency_key) WHERE outcome = 'applied';

CREATE FUNCTION changes_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the change log is append-only: % is not allowed', TG_OP;
END;
$$;
CREATE TRIGGER changes_append_only BEFORE UPDATE OR DELETE ON changes
  FOR EACH ROW EXECUTE FUNCTION changes_are_append_only();

-- An escalation waiting for a person, and what became of it.
CREATE TABLE review_items (
  id              bigserial PRIMARY KEY,
  fingerprint     text NOT NULL,
  check_name      text NOT NULL,
  kind            text NOT NULL,
  category        text NOT NULL,
  reason          text NOT NULL,
  -- 'message' items are posted one by one; 'exceptions' items (unmatched records) go in a report.
  presentation    text NOT NULL CHECK (presentation IN ('message', 'exceptions')),
  entity_key      text NOT NULL,
  source          jsonb,
  target          jsonb,
  suggestion      jsonb,
  status          text NOT NULL CHECK (status IN ('open', 'deciding', 'approved', 'overridden', 'ignored', 'failed', 'resolved_elsewhere')),
  opened_run_id   bigint REFERENCES runs (id),
  last_seen_run_id bigint REFERENCES runs (id),
  opened_at       timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  decided_by      text,
  decided_at      timestamptz,
  decision        jsonb,
  slack_channel   text,
  slack_ts        text
);
-- One open item per fingerprint.
CREATE UNIQUE INDEX review_items_one_open ON review_items (fingerprint) WHERE status IN ('open', 'deciding');
CREATE INDEX review_items_check_status ON review_items (check_name, status);

-- An Ignore still in force: the fingerprint is not escalated again until it expires.
CREATE TABLE suppressions (
  id              bigserial PRIMARY KEY,
  fingerprint     text NOT NULL,
  check_name      text NOT NULL,
  created_by      text NOT NULL,
  reason          text,
  review_item_id  bigint REFERENCES review_items (id),
  created_at      timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz
);
CREATE INDEX suppressions_fingerprint ON suppressions (fingerprint);
