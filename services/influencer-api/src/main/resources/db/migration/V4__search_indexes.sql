-- Search pages by total staked (default) and by staker count straight from an index over active
-- pools, with the influencer id as the stable tie-breaker the query orders by. Replaces the V3
-- index, which could not serve the tie-breaker (dropping an index is safe for older releases).
CREATE INDEX staking_pools_search_staked ON staking_pools (total_staked DESC, influencer_id) WHERE is_active;
CREATE INDEX staking_pools_search_stakers ON staking_pools (staker_count DESC, total_staked DESC, influencer_id)
    WHERE is_active;
DROP INDEX staking_pools_active_staked;
