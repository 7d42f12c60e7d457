-- The blast-radius guard over time and over both loops: a rolling budget of auto-fixes per check,
-- spent by cycles and by the fast loop alike, decided one caller at a time per check.

-- One row per check, locked (SELECT ... FOR UPDATE) while a caller spends the check's budget or
-- adds to its held writes, so two replicas never both take the last of it.
CREATE TABLE guard_checks (
  check_name  text PRIMARY KEY
);

-- One row per auto-fix a cycle or the fast loop was allowed to send: the budget spent.
CREATE TABLE guard_spend (
  id          bigserial PRIMARY KEY,
  check_name  text NOT NULL,
  origin      text NOT NULL,
  at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX guard_spend_check_at ON guard_spend (check_name, at);
