-- Rewards the edge delivers for accepted Verified Attention Units (POST /internal/vau-rewards).
-- vau_id is the edge's sha256 of the signed VAU message: the idempotency key, so a redelivered
-- batch credits nothing twice. Each credited row points at the ledger transaction that paid it.
CREATE TABLE vau_rewards (
    vau_id          TEXT        PRIMARY KEY,
    user_id         UUID        NOT NULL REFERENCES users (id),
    amount          BIGINT      NOT NULL,
    device_id       TEXT        NOT NULL,
    site_id         TEXT        NOT NULL,
    vau_time        TIMESTAMPTZ NOT NULL,
    transaction_id  UUID        REFERENCES ledger_transactions (id),
    credited_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT vau_rewards_id_hex CHECK (vau_id ~ '^[0-9a-f]{64}$'),
    CONSTRAINT vau_rewards_device_hex CHECK (device_id ~ '^[0-9a-f]{64}$'),
    CONSTRAINT vau_rewards_amount_positive CHECK (amount > 0)
);
CREATE INDEX vau_rewards_user ON vau_rewards (user_id, credited_at DESC);

-- The row and its ledger transaction are written in one database transaction (row first, so a
-- concurrent redelivery waits on the primary key); at commit every row must name its transaction.
CREATE FUNCTION vau_rewards_paid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT transaction_id FROM vau_rewards WHERE vau_id = NEW.vau_id) IS NULL THEN
        RAISE EXCEPTION 'vau reward % has no ledger transaction', NEW.vau_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'vau_rewards_paid';
    END IF;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER vau_rewards_paid AFTER INSERT ON vau_rewards
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION vau_rewards_paid();
