-- Payouts (issue 6): an influencer withdraws commission earnings. Requesting moves the gross
-- amount from influencer_earnings to payout_reserved in the same transaction that inserts the
-- row, so reserved money cannot be requested twice. An admin then approves (payout_reserved →
-- system:payout_settlement for the net amount and system:payout_fees for the fees, plus a chain
-- transfer, simulated today) or rejects (payout_reserved → influencer_earnings).
--
-- Status machine: pending → completed | rejected, nothing else. Amounts are TWIST base units
-- (10^9 per TWIST). V7 belongs to conversions (built on another branch); this file does not
-- depend on it.
CREATE TABLE payouts (
    id                 UUID        PRIMARY KEY DEFAULT gen_random_uuid(),
    influencer_id      UUID        NOT NULL REFERENCES influencers (id),
    requested_by       UUID        NOT NULL REFERENCES users (id),
    gross_amount       BIGINT      NOT NULL,
    platform_fee       BIGINT      NOT NULL,
    processing_fee     BIGINT      NOT NULL,
    net_amount         BIGINT      NOT NULL,
    status             TEXT        NOT NULL DEFAULT 'pending',
    reserve_tx_id      UUID        NOT NULL REFERENCES ledger_transactions (id),
    -- completed: the ledger settlement and the chain transfer; rejected: the release
    settle_tx_id       UUID        REFERENCES ledger_transactions (id),
    release_tx_id      UUID        REFERENCES ledger_transactions (id),
    chain_tx_id        TEXT,
    chain_simulated    BOOLEAN,
    reject_reason      TEXT,
    decided_by         UUID        REFERENCES users (id),
    requested_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    decided_at         TIMESTAMPTZ,
    CONSTRAINT payouts_status_known CHECK (status IN ('pending', 'completed', 'rejected')),
    -- 10 TWIST minimum; fees and net positive; nothing created or lost by the split
    CONSTRAINT payouts_minimum CHECK (gross_amount >= 10000000000),
    CONSTRAINT payouts_amounts_positive CHECK (platform_fee > 0 AND processing_fee > 0 AND net_amount > 0),
    CONSTRAINT payouts_net_is_gross_minus_fees CHECK (net_amount = gross_amount - platform_fee - processing_fee),
    CONSTRAINT payouts_reject_reason_length CHECK (reject_reason IS NULL OR length(reject_reason) BETWEEN 1 AND 500),
    CONSTRAINT payouts_chain_tx_length CHECK (chain_tx_id IS NULL OR length(chain_tx_id) BETWEEN 1 AND 200),
    -- each status carries exactly the facts of its transition
    CONSTRAINT payouts_status_facts CHECK (
        (status = 'pending' AND settle_tx_id IS NULL AND release_tx_id IS NULL AND chain_tx_id IS NULL
            AND chain_simulated IS NULL AND reject_reason IS NULL AND decided_by IS NULL AND decided_at IS NULL)
        OR (status = 'completed' AND settle_tx_id IS NOT NULL AND release_tx_id IS NULL AND chain_tx_id IS NOT NULL
            AND chain_simulated IS NOT NULL AND reject_reason IS NULL AND decided_by IS NOT NULL
            AND decided_at IS NOT NULL)
        OR (status = 'rejected' AND settle_tx_id IS NULL AND release_tx_id IS NOT NULL AND chain_tx_id IS NULL
            AND chain_simulated IS NULL AND reject_reason IS NOT NULL AND decided_by IS NOT NULL
            AND decided_at IS NOT NULL)),
    CONSTRAINT payouts_reserve_tx_unique UNIQUE (reserve_tx_id),
    CONSTRAINT payouts_settle_tx_unique UNIQUE (settle_tx_id),
    CONSTRAINT payouts_release_tx_unique UNIQUE (release_tx_id)
);
-- At most one pending payout per influencer, whatever the application does.
CREATE UNIQUE INDEX payouts_one_pending ON payouts (influencer_id) WHERE status = 'pending';
-- History: an influencer's payouts newest first, and the admin view by status.
CREATE INDEX payouts_influencer_requested ON payouts (influencer_id, requested_at DESC);
CREATE INDEX payouts_status_requested ON payouts (status, requested_at DESC);
