-- A customer's timeline (`recon trace`): the rows about one record, found by its id without a scan.
CREATE INDEX review_items_source_id ON review_items ((source->>'id'));
CREATE INDEX review_items_target_id ON review_items ((target->>'id'));
CREATE INDEX discrepancies_source_key ON discrepancies (source_key);
CREATE INDEX discrepancies_target_key ON discrepancies (target_key);
CREATE INDEX inbox_object ON inbox (object_id);
CREATE INDEX changes_external_id ON changes (external_id, at);
CREATE INDEX links_external_id ON links (external_id);
-- The Stripe customer a Stripe event is about (its own id for a customer event), as the trace asks for it.
CREATE INDEX inbox_stripe_owner ON inbox ((CASE WHEN payload->'data'->'object'->>'object' = 'customer' THEN payload->'data'->'object'->>'id' ELSE payload->'data'->'object'->>'customer' END));
