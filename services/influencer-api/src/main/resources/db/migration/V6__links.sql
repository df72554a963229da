-- Referral links (issue 6): one row per link an influencer generates. The public code is 8
-- URL-safe characters, unique by constraint (the generator retries on a collision).
CREATE TABLE links (
    id               UUID        PRIMARY KEY DEFAULT gen_random_uuid(),
    influencer_id    UUID        NOT NULL REFERENCES influencers (id),
    product_id       TEXT        NOT NULL,
    code             CHAR(8)     NOT NULL,
    promo_code       TEXT,
    destination_url  TEXT        NOT NULL,
    expires_at       TIMESTAMPTZ,
    is_active        BOOLEAN     NOT NULL DEFAULT true,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT links_code_unique UNIQUE (code),
    CONSTRAINT links_code_format CHECK (code ~ '^[A-Za-z0-9_-]{8}$'),
    CONSTRAINT links_product_id_length CHECK (length(product_id) BETWEEN 1 AND 100),
    CONSTRAINT links_promo_code_length CHECK (promo_code IS NULL OR length(promo_code) BETWEEN 1 AND 50),
    CONSTRAINT links_destination_length CHECK (length(destination_url) BETWEEN 1 AND 2048)
);
-- "my links" newest first, and the active-link count of the tier limit
CREATE INDEX links_influencer_created ON links (influencer_id, created_at DESC);
CREATE INDEX links_influencer_active ON links (influencer_id) WHERE is_active;

-- One row per followed redirect. No raw IP: ip_hash and ua_hash are SHA-256 of a server pepper
-- plus the value. counted = false marks clicks over the per-IP rate limit; metrics skip them.
CREATE TABLE link_clicks (
    id          UUID        PRIMARY KEY DEFAULT gen_random_uuid(),
    link_id     UUID        NOT NULL REFERENCES links (id),
    clicked_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    ip_hash     BYTEA       NOT NULL,
    ua_hash     BYTEA,
    referrer    TEXT,
    country     CHAR(2),
    is_bot      BOOLEAN     NOT NULL DEFAULT false,
    counted     BOOLEAN     NOT NULL DEFAULT true,
    CONSTRAINT link_clicks_ip_hash_length CHECK (octet_length(ip_hash) = 32),
    CONSTRAINT link_clicks_referrer_length CHECK (referrer IS NULL OR length(referrer) <= 512)
);
-- metrics and the daily series: a link's clicks by time
CREATE INDEX link_clicks_link_time ON link_clicks (link_id, clicked_at);
-- unique visitors of a link
CREATE INDEX link_clicks_link_ip ON link_clicks (link_id, ip_hash) WHERE counted AND NOT is_bot;
