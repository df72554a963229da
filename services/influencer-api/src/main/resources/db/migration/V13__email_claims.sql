-- Issue 21. Only CREATE/DROP INDEX CONCURRENTLY statements, so Flyway runs this migration outside a
-- transaction and a deploy never blocks writes (as V10, docs/deploy-migrations.md).
--
-- An unverified registration no longer reserves its e-mail address. Several influencers may claim
-- one address while unverified; only verified addresses are unique (case-insensitive), so the first
-- claim verified owns the address and a third party's pending claim cannot block the owner.
-- InfluencerService removes the other pending claims' tokens when one is verified.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS influencers_email_verified_ci
    ON influencers (lower(email)) WHERE email_verified_at IS NOT NULL;
CREATE INDEX CONCURRENTLY IF NOT EXISTS influencers_email_lower ON influencers (lower(email));
DROP INDEX CONCURRENTLY IF EXISTS influencers_email_ci;
-- Retention (RetentionPurge): the purge deletes clicks and idempotency keys by age in batches, and
-- keeps a click a conversion points at.
CREATE INDEX CONCURRENTLY IF NOT EXISTS link_clicks_clicked_at ON link_clicks (clicked_at);
CREATE INDEX CONCURRENTLY IF NOT EXISTS conversions_click ON conversions (click_id) WHERE click_id IS NOT NULL;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idempotency_keys_created_at ON idempotency_keys (created_at);
