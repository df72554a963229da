-- Users are identified by the Solana wallet proven at sign-in (the token's `sub`).
-- A row is created on a wallet's first authenticated request.
CREATE TABLE users (
    id          UUID        PRIMARY KEY DEFAULT gen_random_uuid(),
    wallet      TEXT        NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT users_wallet_unique UNIQUE (wallet),
    -- base58 of a 32-byte Ed25519 public key is 32 to 44 characters
    CONSTRAINT users_wallet_base58 CHECK (wallet ~ '^[1-9A-HJ-NP-Za-km-z]{32,44}$')
);
