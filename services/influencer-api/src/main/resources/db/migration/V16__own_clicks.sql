-- Issue 21: attribution by link code alone must not credit the influencer's own click.
--
-- /r/{code} is public and a click stores only peppered hashes, so the click path cannot know who
-- clicked. What it can know is where the influencer's own authenticated requests came from: the
-- links routes (the influencer's dashboard) record the peppered hash of the caller's network (an
-- IPv4 address, or the /64 of an IPv6 address, as the rate limits bucket them) with the time it
-- was last seen. A click from a network its link's influencer used within the attribution window
-- (30 days) is marked is_own, and link-code attribution skips it.
--
-- Rolling update (docs/deploy-migrations.md): a new table and a column with a constant default
-- (no table rewrite since PostgreSQL 11); the previous release neither reads nor writes them.
CREATE TABLE user_networks (
    user_id       UUID        NOT NULL REFERENCES users (id),
    network_hash  BYTEA       NOT NULL,
    last_seen     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, network_hash),
    CONSTRAINT user_networks_hash_length CHECK (octet_length(network_hash) = 32)
);
-- the retention purge deletes networks not seen within the window
CREATE INDEX user_networks_last_seen ON user_networks (last_seen);

ALTER TABLE link_clicks ADD COLUMN is_own BOOLEAN NOT NULL DEFAULT false;
