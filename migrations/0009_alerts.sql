-- Recon's own health, as alerts posted once when a state starts and once when it clears. A state in
-- force has one row (cleared_at null); replicas judging the same state at once race on the unique
-- index (INSERT ... ON CONFLICT DO NOTHING) and on the clearing UPDATE, so only one posts each change.
CREATE TABLE alerts (
  id          bigserial PRIMARY KEY,
  -- `kind:subject`, such as `credentials:stripe`, `check_failing:payment-status`, `dead_letters:inbox`.
  key         text NOT NULL,
  kind        text NOT NULL,
  subject     text NOT NULL,
  started_at  timestamptz NOT NULL DEFAULT now(),
  -- When the state began, as the facts say (the oldest dead letter, the guard item's opening); else started_at.
  since       timestamptz NOT NULL DEFAULT now(),
  what        text NOT NULL,
  todo        text NOT NULL,
  detail      jsonb NOT NULL DEFAULT '{}'::jsonb,
  cleared_at  timestamptz,
  slack_channel text,
  slack_ts    text
);
CREATE UNIQUE INDEX alerts_one_in_force ON alerts (key) WHERE cleared_at IS NULL;
CREATE INDEX alerts_started ON alerts (started_at);
