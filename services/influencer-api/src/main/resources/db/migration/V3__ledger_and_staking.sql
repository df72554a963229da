-- Double-entry ledger. Every balance is an account; every movement is one transaction whose entries
-- sum to zero (checked at commit); account balances are maintained by a trigger from the entries,
-- so a balance is always the sum of its entries. Amounts are TWIST base units (10^9 per TWIST).
--
-- Account kinds:
--   system               mint (simulated deposits, admin pool funding), vau_rewards (edge rewards),
--                        merchant_commissions, payout_fees, payout_settlement: may go negative
--   user_available       a user's spendable balance
--   stake_position       a user's stake in one pool
--   pool_rewards         a pool's undistributed + unclaimed staker rewards
--   influencer_earnings  an influencer's commission earnings (influencer-api II)
--   payout_reserved      earnings reserved by a pending payout request (influencer-api II)
CREATE TABLE ledger_accounts (
    id             BIGSERIAL   PRIMARY KEY,
    account_key    TEXT        NOT NULL,
    kind           TEXT        NOT NULL,
    user_id        UUID        REFERENCES users (id),
    influencer_id  UUID        REFERENCES influencers (id),
    pool_id        UUID,
    balance        BIGINT      NOT NULL DEFAULT 0,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ledger_accounts_key_unique UNIQUE (account_key),
    CONSTRAINT ledger_accounts_kind_known CHECK (kind IN ('system', 'user_available', 'stake_position',
        'pool_rewards', 'influencer_earnings', 'payout_reserved')),
    CONSTRAINT ledger_accounts_non_negative CHECK (kind = 'system' OR balance >= 0),
    CONSTRAINT ledger_accounts_owner CHECK (
        (kind = 'system' AND user_id IS NULL AND influencer_id IS NULL AND pool_id IS NULL)
        OR (kind = 'user_available' AND user_id IS NOT NULL)
        OR (kind = 'stake_position' AND user_id IS NOT NULL AND pool_id IS NOT NULL)
        OR (kind = 'pool_rewards' AND pool_id IS NOT NULL)
        OR (kind IN ('influencer_earnings', 'payout_reserved') AND influencer_id IS NOT NULL))
);
CREATE INDEX ledger_accounts_user ON ledger_accounts (user_id) WHERE user_id IS NOT NULL;

INSERT INTO ledger_accounts (account_key, kind) VALUES
    ('system:mint', 'system'),
    ('system:vau_rewards', 'system'),
    ('system:merchant_commissions', 'system'),
    ('system:payout_fees', 'system'),
    ('system:payout_settlement', 'system');

CREATE TABLE ledger_transactions (
    id               UUID        PRIMARY KEY DEFAULT gen_random_uuid(),
    kind             TEXT        NOT NULL,
    idempotency_key  TEXT,
    actor_user_id    UUID        REFERENCES users (id),
    memo             TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ledger_transactions_idempotency_unique UNIQUE (idempotency_key),
    CONSTRAINT ledger_transactions_memo_length CHECK (memo IS NULL OR length(memo) <= 500)
);

CREATE TABLE ledger_entries (
    id              BIGSERIAL   PRIMARY KEY,
    transaction_id  UUID        NOT NULL REFERENCES ledger_transactions (id),
    account_id      BIGINT      NOT NULL REFERENCES ledger_accounts (id),
    amount          BIGINT      NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ledger_entries_non_zero CHECK (amount <> 0)
);
CREATE INDEX ledger_entries_account ON ledger_entries (account_id, id DESC);
CREATE INDEX ledger_entries_transaction ON ledger_entries (transaction_id);

-- Balances follow entries (and the CHECK on ledger_accounts rejects overdrafts).
CREATE FUNCTION ledger_apply_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ledger_accounts SET balance = balance + NEW.amount WHERE id = NEW.account_id;
    RETURN NEW;
END;
$$;
CREATE TRIGGER ledger_entries_apply AFTER INSERT ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_apply_entry();

-- Entries are history: never updated or deleted.
CREATE FUNCTION ledger_entries_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are immutable' USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER ledger_entries_no_change BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entries_immutable();

-- Each transaction's entries sum to zero, checked once per transaction at commit.
CREATE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    total NUMERIC;
    entries INTEGER;
BEGIN
    SELECT COALESCE(SUM(amount), 0), COUNT(*) INTO total, entries
        FROM ledger_entries WHERE transaction_id = NEW.transaction_id;
    IF total <> 0 OR entries < 2 THEN
        RAISE EXCEPTION 'ledger transaction % is unbalanced (sum %, % entries)', NEW.transaction_id, total, entries
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_transaction_balanced';
    END IF;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER ledger_transaction_balanced AFTER INSERT ON ledger_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();

-- Staking pools: one per influencer, created with the influencer. Rewards accrue through an
-- accumulator: acc_reward_per_share is the rewards per staked base unit, scaled by 10^18; the
-- division remainder is carried so no funding is lost to rounding.
CREATE TABLE staking_pools (
    id                         UUID          PRIMARY KEY DEFAULT gen_random_uuid(),
    influencer_id              UUID          NOT NULL REFERENCES influencers (id),
    rewards_account_id         BIGINT        NOT NULL REFERENCES ledger_accounts (id),
    revenue_share_bps          INTEGER       NOT NULL DEFAULT 2000,
    min_stake                  BIGINT        NOT NULL DEFAULT 1000000000,
    total_staked               BIGINT        NOT NULL DEFAULT 0,
    staker_count               INTEGER       NOT NULL DEFAULT 0,
    acc_reward_per_share       NUMERIC(78,0) NOT NULL DEFAULT 0,
    reward_remainder           NUMERIC(78,0) NOT NULL DEFAULT 0,
    total_rewards_distributed  BIGINT        NOT NULL DEFAULT 0,
    is_active                  BOOLEAN       NOT NULL DEFAULT true,
    created_at                 TIMESTAMPTZ   NOT NULL DEFAULT now(),
    updated_at                 TIMESTAMPTZ   NOT NULL DEFAULT now(),
    CONSTRAINT staking_pools_one_per_influencer UNIQUE (influencer_id),
    CONSTRAINT staking_pools_rewards_account_unique UNIQUE (rewards_account_id),
    CONSTRAINT staking_pools_revenue_share CHECK (revenue_share_bps BETWEEN 0 AND 5000),
    CONSTRAINT staking_pools_min_stake CHECK (min_stake > 0),
    CONSTRAINT staking_pools_totals CHECK (total_staked >= 0 AND staker_count >= 0
        AND total_rewards_distributed >= 0 AND acc_reward_per_share >= 0 AND reward_remainder >= 0)
);
CREATE INDEX staking_pools_active_staked ON staking_pools (is_active, total_staked DESC);
-- Deferred: a pool and its reward account reference each other and are created in one transaction.
ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_pool_fk FOREIGN KEY (pool_id) REFERENCES staking_pools (id)
    DEFERRABLE INITIALLY DEFERRED;

-- A user's position in a pool; the staked amount is the balance of its ledger account.
CREATE TABLE stakes (
    id               UUID          PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id          UUID          NOT NULL REFERENCES users (id),
    pool_id          UUID          NOT NULL REFERENCES staking_pools (id),
    account_id       BIGINT        NOT NULL REFERENCES ledger_accounts (id),
    reward_snapshot  NUMERIC(78,0) NOT NULL DEFAULT 0,
    accrued_rewards  BIGINT        NOT NULL DEFAULT 0,
    total_claimed    BIGINT        NOT NULL DEFAULT 0,
    created_at       TIMESTAMPTZ   NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ   NOT NULL DEFAULT now(),
    CONSTRAINT stakes_one_per_user_pool UNIQUE (user_id, pool_id),
    CONSTRAINT stakes_account_unique UNIQUE (account_id),
    CONSTRAINT stakes_non_negative CHECK (accrued_rewards >= 0 AND total_claimed >= 0 AND reward_snapshot >= 0)
);
CREATE INDEX stakes_pool ON stakes (pool_id);

-- What happened in a pool, for activity and APY (rewards over the last 30 days).
CREATE TABLE staking_events (
    id              BIGSERIAL   PRIMARY KEY,
    pool_id         UUID        NOT NULL REFERENCES staking_pools (id),
    user_id         UUID        REFERENCES users (id),
    action          TEXT        NOT NULL,
    amount          BIGINT      NOT NULL,
    transaction_id  UUID        NOT NULL REFERENCES ledger_transactions (id),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT staking_events_action CHECK (action IN ('stake', 'unstake', 'claim', 'reward')),
    CONSTRAINT staking_events_amount CHECK (amount > 0)
);
CREATE INDEX staking_events_pool_time ON staking_events (pool_id, action, created_at DESC);

-- Idempotency-Key records: the first response is stored in the same transaction as its effects.
CREATE TABLE idempotency_keys (
    user_id       UUID        NOT NULL REFERENCES users (id),
    key           TEXT        NOT NULL,
    request_hash  BYTEA       NOT NULL,
    status        INTEGER,
    response      TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key),
    CONSTRAINT idempotency_keys_key_length CHECK (length(key) BETWEEN 1 AND 200)
);
