-- Push-notification channels Recon opened with a system that needs one per watched resource
-- (Google Calendar's events.watch): renewed before they expire, stopped when replaced.
CREATE TABLE push_channels (
  id           text PRIMARY KEY,
  system       text NOT NULL,
  resource_id  text NOT NULL,
  address      text NOT NULL,
  expires_at   timestamptz NOT NULL,
  opened_at    timestamptz NOT NULL DEFAULT now(),
  closed_at    timestamptz
);
CREATE INDEX push_channels_open ON push_channels (system, expires_at) WHERE closed_at IS NULL;
