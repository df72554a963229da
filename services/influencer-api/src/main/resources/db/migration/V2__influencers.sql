-- Influencers: one per user; the wallet is the user's (proven at sign-in), never a body field.
-- Username and email are unique case-insensitively, enforced here rather than by a racy check.
CREATE TABLE influencers (
    id                 UUID        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id            UUID        NOT NULL REFERENCES users (id),
    username           TEXT        NOT NULL,
    email              TEXT        NOT NULL,
    email_verified_at  TIMESTAMPTZ,
    tier               TEXT        NOT NULL DEFAULT 'BRONZE',
    display_name       TEXT        NOT NULL,
    bio                TEXT,
    avatar             TEXT,
    cover_image        TEXT,
    social_links       JSONB       NOT NULL DEFAULT '{}'::jsonb,
    categories         TEXT[]      NOT NULL DEFAULT '{}',
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT influencers_one_per_user UNIQUE (user_id),
    CONSTRAINT influencers_username_format CHECK (username ~ '^[A-Za-z0-9_-]{3,30}$'),
    CONSTRAINT influencers_email_length CHECK (length(email) BETWEEN 3 AND 254),
    CONSTRAINT influencers_tier_known CHECK (tier IN ('BRONZE', 'SILVER', 'GOLD', 'PLATINUM')),
    CONSTRAINT influencers_display_name_length CHECK (length(display_name) BETWEEN 1 AND 100),
    CONSTRAINT influencers_bio_length CHECK (bio IS NULL OR length(bio) <= 500)
);
CREATE UNIQUE INDEX influencers_username_ci ON influencers (lower(username));
CREATE UNIQUE INDEX influencers_email_ci ON influencers (lower(email));
CREATE INDEX influencers_tier ON influencers (tier);

-- Email verification: only the SHA-256 of the token is stored; single use, 24 h.
CREATE TABLE email_verifications (
    token_hash     BYTEA       PRIMARY KEY,
    influencer_id  UUID        NOT NULL REFERENCES influencers (id),
    expires_at     TIMESTAMPTZ NOT NULL,
    used_at        TIMESTAMPTZ,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT email_verifications_hash_length CHECK (octet_length(token_hash) = 32)
);
CREATE INDEX email_verifications_influencer ON email_verifications (influencer_id);
