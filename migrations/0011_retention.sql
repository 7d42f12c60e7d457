-- History kept only as long as it helps: what `recon forget` removed, and when webhook payloads
-- were pruned. The log names records by their ids and the person by a hash, never by the email.
CREATE TABLE forget_log (
  id            bigserial PRIMARY KEY,
  at            timestamptz NOT NULL DEFAULT now(),
  -- Who asked (the operator's name as given, or the Slack user), when known.
  actor         text,
  -- sha256 of the subject as given (lower-cased): the same request is recognised, the email is not kept.
  subject_hash  text NOT NULL,
  records       jsonb NOT NULL,
  removed       jsonb NOT NULL
);
-- A processed event whose payload was pruned keeps its type, time and outcome for the trace.
ALTER TABLE inbox ADD COLUMN payload_pruned_at timestamptz;
CREATE INDEX inbox_prunable ON inbox (processed_at) WHERE payload_pruned_at IS NULL AND status = 'done';
