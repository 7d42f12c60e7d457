-- One budget per vendor credential, shared by every replica on this database (see
-- docs/architecture.md, "Rate limits across replicas"). A replica asks before each request;
-- people's requests may use the whole limit, background ones stop short of a reserve.

-- One row per budget (vendor, credential, which limit). `sent` holds when each request of the
-- current rolling window was admitted (epoch ms, database clock, oldest first); a long window (a
-- daily limit) is counted instead, in `used` since `window_start`. `paused_until`: a 429 seen by
-- any replica stops every replica until then.
CREATE TABLE vendor_budgets (
  key           text PRIMARY KEY,
  sent          double precision[] NOT NULL DEFAULT '{}',
  window_start  double precision NOT NULL DEFAULT 0,
  used          integer NOT NULL DEFAULT 0,
  paused_until  double precision NOT NULL DEFAULT 0,
  -- Background pacing across the fleet: a bucket of sends refilled one per pace (null: full).
  bucket        double precision,
  bucket_at     double precision NOT NULL DEFAULT 0
);

-- The replicas that asked lately: a replica cut off from this table falls back to the limit
-- divided by how many it last saw.
CREATE TABLE budget_replicas (
  replica  text PRIMARY KEY,
  seen_at  timestamptz NOT NULL
);

-- Every 429 a vendor answered, for `recon status` (the last hour); pruned after a day.
CREATE TABLE vendor_throttles (
  id       bigserial PRIMARY KEY,
  key      text NOT NULL,
  replica  text NOT NULL,
  at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX vendor_throttles_at ON vendor_throttles (at);

-- Admits one request of budget `p_key` now, or says how long to wait. One statement, so one round
-- trip; the row lock makes replicas take turns. `p_cap` is how many requests of the window this
-- caller may see taken (the whole limit for a person, less the reserve for a cycle). Background
-- callers are also paced fleet-wide (`p_pace_ms` > 0: after a burst of `p_burst`, one per pace),
-- so that slots free all through the window and a person never waits for a whole window.
-- Returns wait_ms (0: admitted), the requests in the window, the replicas seen in the last 30 s,
-- and the time the request was admitted at (for recon_budget_settle).
CREATE FUNCTION recon_budget_take(p_key text, p_replica text, p_cap integer, p_window_ms double precision, p_rolling boolean, p_pace_ms double precision, p_burst double precision)
RETURNS TABLE (wait_ms double precision, in_window integer, replicas integer, admitted_at double precision)
LANGUAGE plpgsql AS $$
DECLARE
  now_ms double precision := extract(epoch FROM clock_timestamp()) * 1000;
  budget vendor_budgets%ROWTYPE;
  kept double precision[];
  n integer;
  start double precision;
  level double precision;
BEGIN
  INSERT INTO budget_replicas AS r (replica, seen_at) VALUES (p_replica, clock_timestamp())
    ON CONFLICT (replica) DO UPDATE SET seen_at = excluded.seen_at WHERE r.seen_at < excluded.seen_at - interval '1 second';
  SELECT count(*)::integer INTO replicas FROM budget_replicas WHERE seen_at > clock_timestamp() - interval '30 seconds';
  INSERT INTO vendor_budgets (key) VALUES (p_key) ON CONFLICT (key) DO NOTHING;
  SELECT * INTO budget FROM vendor_budgets WHERE key = p_key FOR UPDATE;

  IF p_rolling THEN
    SELECT coalesce(array_agg(t ORDER BY t), '{}') INTO kept FROM unnest(budget.sent) AS t WHERE t > now_ms - p_window_ms;
    n := coalesce(array_length(kept, 1), 0);
    in_window := n;
    level := CASE WHEN p_pace_ms > 0 THEN least(p_burst, coalesce(budget.bucket + (now_ms - budget.bucket_at) / p_pace_ms, p_burst)) END;
    IF budget.paused_until > now_ms THEN
      wait_ms := budget.paused_until - now_ms;
    ELSIF n < p_cap AND (level IS NULL OR level >= 1) THEN
      kept := kept || now_ms;
      admitted_at := now_ms;
      in_window := n + 1;
      wait_ms := 0;
      IF level IS NOT NULL THEN
        UPDATE vendor_budgets SET bucket = level - 1, bucket_at = now_ms WHERE key = p_key;
      END IF;
    ELSIF n < p_cap THEN
      -- Paced: the next background send is due when the bucket holds one again.
      wait_ms := greatest(1, ceil((1 - level) * p_pace_ms));
    ELSE
      -- The slot this caller needs frees when enough of the oldest leave the window.
      wait_ms := greatest(1, kept[n - p_cap + 1] + p_window_ms - now_ms);
    END IF;
    UPDATE vendor_budgets SET sent = kept WHERE key = p_key;
  ELSE
    start := floor(now_ms / p_window_ms) * p_window_ms;
    n := CASE WHEN budget.window_start = start THEN budget.used ELSE 0 END;
    in_window := n;
    IF budget.paused_until > now_ms THEN
      wait_ms := budget.paused_until - now_ms;
    ELSIF n < p_cap THEN
      n := n + 1;
      in_window := n;
      wait_ms := 0;
      admitted_at := now_ms;
    ELSE
      wait_ms := greatest(1, start + p_window_ms - now_ms);
    END IF;
    UPDATE vendor_budgets SET window_start = start, used = n WHERE key = p_key;
  END IF;
  RETURN NEXT;
END
$$;

-- The vendor said how many requests remain in its window (HubSpot's X-HubSpot-RateLimit-Remaining):
-- other apps share that budget, so when the vendor counts more used than the ledger does, the
-- difference is booked as used now, for every replica.
CREATE FUNCTION recon_budget_observe(p_key text, p_used integer, p_window_ms double precision, p_rolling boolean)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  now_ms double precision := extract(epoch FROM clock_timestamp()) * 1000;
  budget vendor_budgets%ROWTYPE;
  kept double precision[];
  n integer;
  start double precision;
BEGIN
  INSERT INTO vendor_budgets (key) VALUES (p_key) ON CONFLICT (key) DO NOTHING;
  SELECT * INTO budget FROM vendor_budgets WHERE key = p_key FOR UPDATE;
  IF p_rolling THEN
    SELECT coalesce(array_agg(t ORDER BY t), '{}') INTO kept FROM unnest(budget.sent) AS t WHERE t > now_ms - p_window_ms;
    n := coalesce(array_length(kept, 1), 0);
    IF p_used > n THEN
      UPDATE vendor_budgets SET sent = kept || array_fill(now_ms, ARRAY[p_used - n]) WHERE key = p_key;
    END IF;
  ELSE
    start := floor(now_ms / p_window_ms) * p_window_ms;
    n := CASE WHEN budget.window_start = start THEN budget.used ELSE 0 END;
    IF p_used > n THEN
      UPDATE vendor_budgets SET window_start = start, used = p_used WHERE key = p_key;
    END IF;
  END IF;
END
$$;

-- The response of the request admitted at p_admitted arrived: its slot counts from now, as the
-- vendor counts a request when it arrives and a request slowed on its way must not let the next
-- window's requests land inside the vendor's window. Only ever moves a time later.
CREATE FUNCTION recon_budget_settle(p_key text, p_admitted double precision)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  now_ms double precision := extract(epoch FROM clock_timestamp()) * 1000;
BEGIN
  UPDATE vendor_budgets
  SET sent = ARRAY(SELECT t FROM unnest(array_replace(sent, p_admitted, greatest(p_admitted, now_ms))) AS t ORDER BY t)
  WHERE key = p_key AND p_admitted = ANY (sent);
END
$$;
