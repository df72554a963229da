-- Issue 21, admin and money hardening. (V13 is left free for a migration of a parallel branch.)
--
-- 1. Four eyes on payouts: the admin who approves a payout is never the user who requested it
--    (the influencer's own wallet). The application refuses first (403 four-eyes-required); this
--    makes the wrong state impossible. NOT VALID (docs/deploy-migrations.md): rows written before
--    are not re-checked, every new approval is.
ALTER TABLE payouts ADD CONSTRAINT payouts_four_eyes
    CHECK (status <> 'completed' OR decided_by <> requested_by) NOT VALID;

-- 2. Credits above the configured amount (ledger.credit.approval.threshold) wait here until a
--    second admin approves them; the ledger transaction is posted in the approval's database
--    transaction, which locks the row and writes its facts. The CHECKs make a self-approved or
--    half-approved credit impossible whatever the application does.
CREATE TABLE credit_requests (
    id               UUID        PRIMARY KEY DEFAULT gen_random_uuid(),
    requested_by     UUID        NOT NULL REFERENCES users (id),
    idempotency_key  TEXT        NOT NULL,
    wallet           TEXT        NOT NULL,
    amount           BIGINT      NOT NULL,
    reason           TEXT        NOT NULL,
    status           TEXT        NOT NULL DEFAULT 'pending',
    approved_by      UUID        REFERENCES users (id),
    transaction_id   UUID        REFERENCES ledger_transactions (id),
    requested_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    approved_at      TIMESTAMPTZ,
    CONSTRAINT credit_requests_amount_positive CHECK (amount > 0),
    CONSTRAINT credit_requests_reason_length CHECK (length(reason) BETWEEN 1 AND 200),
    CONSTRAINT credit_requests_wallet_length CHECK (length(wallet) BETWEEN 32 AND 44),
    CONSTRAINT credit_requests_status_known CHECK (status IN ('pending', 'approved')),
    CONSTRAINT credit_requests_four_eyes CHECK (approved_by IS NULL OR approved_by <> requested_by),
    CONSTRAINT credit_requests_status_facts CHECK (
        (status = 'pending' AND approved_by IS NULL AND transaction_id IS NULL AND approved_at IS NULL)
        OR (status = 'approved' AND approved_by IS NOT NULL AND transaction_id IS NOT NULL
            AND approved_at IS NOT NULL)),
    CONSTRAINT credit_requests_key_unique UNIQUE (requested_by, idempotency_key),
    CONSTRAINT credit_requests_transaction_unique UNIQUE (transaction_id)
);
CREATE INDEX credit_requests_pending ON credit_requests (requested_at) WHERE status = 'pending';

-- 3. A per-merchant (product) daily cap on commissions (the product's daily_commission_cap, else
--    conversions.daily.cap): each paid
--    commission adds to its product's row for the UTC day in the conversion's database
--    transaction; the CHECK refuses the conversion that would pass the cap (as emission_budget
--    does for edge rewards, V12), so concurrent conversions cannot slip past it.
-- A product may have its own cap (base units), set by an admin; NULL means the configured one.
ALTER TABLE products ADD COLUMN daily_commission_cap BIGINT;
ALTER TABLE products ADD CONSTRAINT products_daily_commission_cap_non_negative
    CHECK (daily_commission_cap IS NULL OR daily_commission_cap >= 0);
CREATE TABLE commission_budget (
    product_id  TEXT    NOT NULL REFERENCES products (id),
    day         DATE    NOT NULL,
    cap         BIGINT  NOT NULL,
    paid        BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (product_id, day),
    CONSTRAINT commission_budget_non_negative CHECK (cap >= 0 AND paid >= 0),
    CONSTRAINT commission_budget_not_exceeded CHECK (paid <= cap)
);
