package finance.twist.api.ledger;

import finance.twist.api.db.Sql;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * The SQL of admin credit requests ({@code credit_requests}). Every method runs in the caller's open
 * transaction or read {@code c} (opened by {@code Sql} or {@code Idempotency.once}, never here); the
 * rules live in {@link Deposits}. Constraint violations ({@code credit_requests_key_unique},
 * {@code credit_requests_four_eyes}) are the caller's to map.
 */
final class CreditRequestRepository {

    private CreditRequestRepository() {}

    /**
     * A credit request locked for its approval.
     *
     * @param requestedBy the requesting admin
     * @param status {@code pending}, {@code approved} or {@code rejected}
     * @param wallet target wallet
     * @param amount base units
     * @param reason the ledger memo
     */
    record Locked(UUID requestedBy, String status, String wallet, long amount, String reason) {}

    /**
     * A stored credit request without the facts {@link Deposits} adds (balance, threshold).
     *
     * @param approvedBy null while pending
     * @param transactionId null while pending
     * @param approvedAt null unless approved
     * @param rejectedBy null unless rejected
     * @param rejectedAt null unless rejected
     */
    record Row(
            UUID id,
            String status,
            String wallet,
            long amount,
            String reason,
            UUID requestedBy,
            UUID approvedBy,
            UUID transactionId,
            Instant requestedAt,
            Instant approvedAt,
            UUID rejectedBy,
            Instant rejectedAt) {}

    /** Inserts a pending credit request; its id. */
    static UUID insert(Connection c, UUID adminId, String idempotencyKey, String wallet, long amount, String reason) {
        return Sql.queryOne(
                        c,
                        "INSERT INTO credit_requests (requested_by, idempotency_key, wallet, amount, reason)"
                                + " VALUES (?, ?, ?, ?, ?) RETURNING id",
                        rs -> rs.getObject(1, UUID.class),
                        adminId,
                        idempotencyKey,
                        wallet,
                        amount,
                        reason)
                .orElseThrow();
    }

    /** Locks the credit request, whatever its status. */
    static Optional<Locked> lock(Connection c, UUID requestId) {
        return Sql.queryOne(
                c,
                "SELECT requested_by, status, wallet, amount, reason FROM credit_requests WHERE id = ? FOR UPDATE",
                rs -> new Locked(
                        rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3), rs.getLong(4), rs.getString(5)),
                requestId);
    }

    /** Marks a pending credit request approved. */
    static void approve(Connection c, UUID requestId, UUID approverId, UUID transactionId) {
        Sql.update(
                c,
                "UPDATE credit_requests SET status = 'approved', approved_by = ?, transaction_id = ?,"
                        + " approved_at = now() WHERE id = ? AND status = 'pending'",
                approverId,
                transactionId,
                requestId);
    }

    /** Marks a pending credit request rejected (nothing moves). */
    static void reject(Connection c, UUID requestId, UUID adminId) {
        Sql.update(
                c,
                "UPDATE credit_requests SET status = 'rejected', rejected_by = ?, rejected_at = now()"
                        + " WHERE id = ? AND status = 'pending'",
                adminId,
                requestId);
    }

    static Optional<Row> find(Connection c, UUID id) {
        return Sql.queryOne(c, "SELECT * FROM credit_requests WHERE id = ?", CreditRequestRepository::row, id);
    }

    private static Row row(ResultSet rs) throws SQLException {
        Timestamp approvedAt = rs.getTimestamp("approved_at");
        Timestamp rejectedAt = rs.getTimestamp("rejected_at");
        return new Row(
                rs.getObject("id", UUID.class),
                rs.getString("status"),
                rs.getString("wallet"),
                rs.getLong("amount"),
                rs.getString("reason"),
                rs.getObject("requested_by", UUID.class),
                rs.getObject("approved_by", UUID.class),
                rs.getObject("transaction_id", UUID.class),
                rs.getTimestamp("requested_at").toInstant(),
                approvedAt == null ? null : approvedAt.toInstant(),
                rs.getObject("rejected_by", UUID.class),
                rejectedAt == null ? null : rejectedAt.toInstant());
    }
}
