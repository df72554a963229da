-- Merchant products and their conversions (issue 6, docs/contracts/conversions.md).
--
-- A product is a merchant integration: its id is the slug links name in links.product_id (checked
-- by the application when a link is generated, not by a foreign key, so links written by the
-- previous release stay valid: expand/contract, docs/deploy-migrations.md).
CREATE TABLE products (
    id              TEXT        PRIMARY KEY,
    name            TEXT        NOT NULL,
    commission_bps  INTEGER     NOT NULL,
    is_active       BOOLEAN     NOT NULL DEFAULT true,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT products_id_format CHECK (id ~ '^[A-Za-z0-9._:-]{1,100}$'),
    CONSTRAINT products_name_length CHECK (length(name) BETWEEN 1 AND 200),
    CONSTRAINT products_commission_bps CHECK (commission_bps BETWEEN 0 AND 10000)
);

-- The keys a product signs conversions with. The server must recompute the HMAC, so it needs the
-- secret itself: it is stored AES-256-GCM encrypted (12-byte nonce || ciphertext || tag, with the
-- key id as associated data) under CONVERSIONS_SECRET_KEY, never in clear and never returned
-- after creation. Rotation adds a key and gives the previous ones an expiry (grace period).
CREATE TABLE product_keys (
    key_id             TEXT        PRIMARY KEY,
    product_id         TEXT        NOT NULL REFERENCES products (id),
    secret_ciphertext  BYTEA       NOT NULL,
    expires_at         TIMESTAMPTZ,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT product_keys_key_id_format CHECK (key_id ~ '^mk_[0-9a-f]{24}$'),
    CONSTRAINT product_keys_ciphertext_length CHECK (octet_length(secret_ciphertext) BETWEEN 29 AND 512)
);
CREATE INDEX product_keys_product ON product_keys (product_id, created_at DESC);

-- One row per (product, order): the unique constraint makes POST /conversions idempotent, also
-- for concurrent duplicates. amount_minor is the order amount in the currency's minor units
-- (4999 = 49.99 USD). Commission and shares are TWIST base units (10^9 per TWIST); an
-- unattributed conversion has no link, no influencer, zero commission and no ledger transaction.
CREATE TABLE conversions (
    id                UUID        PRIMARY KEY DEFAULT gen_random_uuid(),
    product_id        TEXT        NOT NULL REFERENCES products (id),
    order_id          TEXT        NOT NULL,
    amount_minor      BIGINT      NOT NULL,
    currency          CHAR(3)     NOT NULL,
    status            TEXT        NOT NULL,
    click_id          UUID        REFERENCES link_clicks (id),
    link_id           UUID        REFERENCES links (id),
    influencer_id     UUID        REFERENCES influencers (id),
    commission_bps    INTEGER     NOT NULL,
    commission        BIGINT      NOT NULL DEFAULT 0,
    pool_share        BIGINT      NOT NULL DEFAULT 0,
    influencer_share  BIGINT      NOT NULL DEFAULT 0,
    transaction_id    UUID        REFERENCES ledger_transactions (id),
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT conversions_order_unique UNIQUE (product_id, order_id),
    CONSTRAINT conversions_order_id_length CHECK (length(order_id) BETWEEN 1 AND 128),
    CONSTRAINT conversions_amount_positive CHECK (amount_minor > 0),
    CONSTRAINT conversions_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT conversions_status CHECK (status IN ('attributed', 'unattributed')),
    CONSTRAINT conversions_shares CHECK (commission >= 0 AND pool_share >= 0 AND influencer_share >= 0
        AND pool_share + influencer_share = commission),
    CONSTRAINT conversions_attribution CHECK (
        (status = 'attributed' AND link_id IS NOT NULL AND influencer_id IS NOT NULL)
        OR (status = 'unattributed' AND link_id IS NULL AND influencer_id IS NULL AND click_id IS NULL
            AND commission = 0 AND transaction_id IS NULL))
);
-- link metrics and the daily series
CREATE INDEX conversions_link_time ON conversions (link_id, created_at) WHERE link_id IS NOT NULL;
-- an influencer's commissions (payouts)
CREATE INDEX conversions_influencer_time ON conversions (influencer_id, created_at) WHERE influencer_id IS NOT NULL;
-- (attribution by link code reads a link's latest click through V6's link_clicks_link_time; an
-- index on that existing table would need CREATE INDEX CONCURRENTLY in a migration of its own)
