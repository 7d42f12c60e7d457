-- The fast loop: webhook events stored durably before they are answered, then processed by
-- workers that claim them (FOR UPDATE SKIP LOCKED, so replicas share the work), retried with
-- backoff, and kept as dead letters after too many attempts.
CREATE TABLE inbox (
  id               bigserial PRIMARY KEY,
  provider         text NOT NULL,
  event_id         text NOT NULL,
  type             text NOT NULL,
  object_type      text,
  object_id        text,
  occurred_at      timestamptz,
  received_at      timestamptz NOT NULL DEFAULT now(),
  payload          jsonb NOT NULL,
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processing', 'done', 'dead')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  claimed_at       timestamptz,
  claimed_by       text,
  processed_at     timestamptz,
  -- What processing did: written, escalated, agreed, echo (Recon's own write coming back), unmatched, ...
  outcome          text,
  -- The systems written to (`hubspot` for a Stripe event that updated a deal): for the digest's directions.
  wrote_to         text,
  last_error       text,
  UNIQUE (provider, event_id)
);
CREATE INDEX inbox_ready ON inbox (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX inbox_processing ON inbox (claimed_at) WHERE status = 'processing';
CREATE INDEX inbox_dead ON inbox (received_at) WHERE status = 'dead';
CREATE INDEX inbox_received ON inbox (received_at);

-- Events of a type no check uses: answered 200, not stored, counted per day.
CREATE TABLE inbox_dropped (
  day       date NOT NULL,
  provider  text NOT NULL,
  type      text NOT NULL,
  count     bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (day, provider, type)
);

-- Where the replay of missed Stripe events resumes (the newest event id and time seen).
CREATE TABLE fastloop_cursors (
  provider    text PRIMARY KEY,
  cursor      text NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
