-- Search indexes over existing tables, built CONCURRENTLY so a deploy never blocks writes
-- (docs/deploy-migrations.md); Flyway runs a migration of only such statements outside a
-- transaction.
--   tier order: rank, then total staked, served from the index like the V4 orders
CREATE INDEX CONCURRENTLY IF NOT EXISTS staking_pools_search_tier
    ON staking_pools (tier_rank DESC, total_staked DESC, influencer_id) WHERE is_active;
--   case-insensitive substring search (ILIKE '%q%') on each searched field
CREATE INDEX CONCURRENTLY IF NOT EXISTS influencers_username_trgm ON influencers USING gin (username gin_trgm_ops);
CREATE INDEX CONCURRENTLY IF NOT EXISTS influencers_display_name_trgm ON influencers USING gin (display_name gin_trgm_ops);
CREATE INDEX CONCURRENTLY IF NOT EXISTS influencers_bio_trgm ON influencers USING gin (bio gin_trgm_ops);
--   APY: the rewards of the last 30 days, without reading stake/unstake/claim events
CREATE INDEX CONCURRENTLY IF NOT EXISTS staking_events_recent_rewards
    ON staking_events (created_at) INCLUDE (pool_id, amount) WHERE action = 'reward';
