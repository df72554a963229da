-- Search by tier (issue 5): the sort key "tier rank, then total staked" spanned two tables
-- (influencers.tier, staking_pools.total_staked), so every tier-sorted page sorted all pools. The
-- rank is copied onto the pool so one index (V10) serves the order. Triggers keep the copy exact
-- whoever writes the tier, including the previous release's code (expand/contract: this is the
-- expand step; influencers.tier stays the source of truth).
CREATE FUNCTION tier_rank(tier TEXT) RETURNS SMALLINT
    LANGUAGE sql IMMUTABLE STRICT
    RETURN CASE tier WHEN 'BRONZE' THEN 1 WHEN 'SILVER' THEN 2 WHEN 'GOLD' THEN 3 WHEN 'PLATINUM' THEN 4 END;

ALTER TABLE staking_pools ADD COLUMN tier_rank SMALLINT NOT NULL DEFAULT 1;
UPDATE staking_pools p SET tier_rank = tier_rank(i.tier) FROM influencers i WHERE i.id = p.influencer_id;

-- a new pool takes its influencer's rank
CREATE FUNCTION staking_pools_copy_tier_rank() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.tier_rank := (SELECT tier_rank(tier) FROM influencers WHERE id = NEW.influencer_id);
    RETURN NEW;
END
$$;
CREATE TRIGGER staking_pools_tier_rank BEFORE INSERT OR UPDATE OF influencer_id, tier_rank ON staking_pools
    FOR EACH ROW EXECUTE FUNCTION staking_pools_copy_tier_rank();

-- a tier change reaches the pool in the same transaction
CREATE FUNCTION influencers_push_tier_rank() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE staking_pools SET tier_rank = tier_rank(NEW.tier) WHERE influencer_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER influencers_tier_rank AFTER UPDATE OF tier ON influencers
    FOR EACH ROW WHEN (OLD.tier IS DISTINCT FROM NEW.tier) EXECUTE FUNCTION influencers_push_tier_rank();

-- Text search (V10 indexes username, display name and bio by trigram). pg_trgm ships with
-- PostgreSQL's contrib modules (the official images and the embedded test binaries) and is a trusted
-- extension, so the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
