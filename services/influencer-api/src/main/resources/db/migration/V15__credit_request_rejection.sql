-- Issue 21: a pending credit request (V14) can be rejected - by another admin, or withdrawn by the
-- admin who asked. Nothing moves: a rejected request has no ledger transaction. The CHECKs keep
-- the three states' facts exclusive, so a request is never both approved and rejected.
--
-- Rolling update (docs/deploy-migrations.md): the previous release never writes 'rejected' and
-- reads rows with SELECT *, so the added nullable columns and the widened CHECKs are compatible
-- with it. credit_requests holds only admin requests above the approval threshold (a handful of
-- rows), so re-validating its CHECKs under the migration's lock takes no noticeable time.
ALTER TABLE credit_requests ADD COLUMN rejected_by UUID REFERENCES users (id);
ALTER TABLE credit_requests ADD COLUMN rejected_at TIMESTAMPTZ;
ALTER TABLE credit_requests DROP CONSTRAINT credit_requests_status_known;
ALTER TABLE credit_requests ADD CONSTRAINT credit_requests_status_known
    CHECK (status IN ('pending', 'approved', 'rejected'));
ALTER TABLE credit_requests DROP CONSTRAINT credit_requests_status_facts;
ALTER TABLE credit_requests ADD CONSTRAINT credit_requests_status_facts CHECK (
    (status = 'pending' AND approved_by IS NULL AND transaction_id IS NULL AND approved_at IS NULL
        AND rejected_by IS NULL AND rejected_at IS NULL)
    OR (status = 'approved' AND approved_by IS NOT NULL AND transaction_id IS NOT NULL
        AND approved_at IS NOT NULL AND rejected_by IS NULL AND rejected_at IS NULL)
    OR (status = 'rejected' AND rejected_by IS NOT NULL AND rejected_at IS NOT NULL
        AND approved_by IS NULL AND transaction_id IS NULL AND approved_at IS NULL));
