package finance.twist.api.payouts;

import finance.twist.api.db.Sql;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The SQL of payouts: payout rows, the influencer row a request locks, and the wallet a payout goes
 * to. Every method runs in the caller's open transaction or read {@code c} (opened by
 * {@code Sql.inTransaction}, {@code Sql.read} or {@code Idempotency.once}, never here); the rules
 * live in {@link PayoutService}. Constraint violations ({@code payouts_one_pending},
 * {@code payouts_four_eyes}) are the caller's to map.
 */
final class PayoutRepository {

    private PayoutRepository() {}

    /**
     * A payout row locked for a decision.
     *
     * @param influencerId whose earnings
     * @param requestedBy the user who requested it
     * @param status its status before the decision
     * @param fees its split
     */
    record Locked(UUID influencerId, UUID requestedBy, String status, PayoutFees fees) {}

    /** The influencer id of {@code userId}, locking its row when {@code lock}. */
    static Optional<UUID> influencerOfUser(Connection c, UUID userId, boolean lock) {
        return Sql.queryOne(
                c,
                "SELECT id FROM influencers WHERE user_id = ?" + (lock ? " FOR UPDATE" : ""),
                rs -> rs.getObject(1, UUID.class),
                userId);
    }

    /** Gross base units of the influencer's completed payouts. */
    static long completedGross(Connection c, UUID influencerId) {
        return Sql.queryOne(
                        c,
                        "SELECT COALESCE(SUM(gross_amount), 0) FROM payouts"
                                + " WHERE influencer_id = ? AND status = 'completed'",
                        rs -> rs.getLong(1),
                        influencerId)
                .orElse(0L);
    }

    /** Whether the influencer has a pending payout. */
    static boolean hasPending(Connection c, UUID influencerId) {
        return Sql.queryOne(
                        c,
                        "SELECT 1 FROM payouts WHERE influencer_id = ? AND status = 'pending'",
                        rs -> rs.getInt(1),
                        influencerId)
                .isPresent();
    }

    /** Inserts a pending payout. */
    static void insertPending(
            Connection c, UUID payoutId, UUID influencerId, UUID requestedBy, PayoutFees fees, UUID reserveTx) {
        Sql.update(
                c,
                "INSERT INTO payouts (id, influencer_id, requested_by, gross_amount, platform_fee, processing_fee,"
                        + " net_amount, reserve_tx_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                payoutId,
                influencerId,
                requestedBy,
                fees.gross(),
                fees.platformFee(),
                fees.processingFee(),
                fees.net(),
                reserveTx);
    }

    /** Locks the payout row, whatever its status. */
    static Optional<Locked> lock(Connection c, UUID payoutId) {
        return Sql.queryOne(
                c,
                "SELECT influencer_id, requested_by, status, gross_amount, platform_fee, processing_fee,"
                        + " net_amount FROM payouts WHERE id = ? FOR UPDATE",
                rs -> new Locked(
                        rs.getObject("influencer_id", UUID.class),
                        rs.getObject("requested_by", UUID.class),
                        rs.getString("status"),
                        new PayoutFees(
                                rs.getLong("gross_amount"),
                                rs.getLong("platform_fee"),
                                rs.getLong("processing_fee"),
                                rs.getLong("net_amount"))),
                payoutId);
    }

    /** The wallet the influencer signed in with. */
    static Optional<String> walletOf(Connection c, UUID influencerId) {
        return Sql.queryOne(
                c,
                "SELECT u.wallet FROM influencers i JOIN users u ON u.id = i.user_id WHERE i.id = ?",
                rs -> rs.getString(1),
                influencerId);
    }

    /** Marks a pending payout completed; the number of rows changed (1, or 0 when not pending). */
    static int complete(
            Connection c, UUID payoutId, UUID settleTx, String chainReference, boolean simulated, UUID decidedBy) {
        return Sql.update(
                c,
                "UPDATE payouts SET status = 'completed', settle_tx_id = ?, chain_tx_id = ?, chain_simulated = ?,"
                        + " decided_by = ?, decided_at = now() WHERE id = ? AND status = 'pending'",
                settleTx,
                chainReference,
                simulated,
                decidedBy,
                payoutId);
    }

    /** Marks a pending payout rejected; the number of rows changed (1, or 0 when not pending). */
    static int reject(Connection c, UUID payoutId, UUID releaseTx, String reason, UUID decidedBy) {
        return Sql.update(
                c,
                "UPDATE payouts SET status = 'rejected', release_tx_id = ?, reject_reason = ?, decided_by = ?,"
                        + " decided_at = now() WHERE id = ? AND status = 'pending'",
                releaseTx,
                reason,
                decidedBy,
                payoutId);
    }

    static Optional<PayoutService.Payout> find(Connection c, UUID payoutId) {
        return Sql.queryOne(c, "SELECT * FROM payouts WHERE id = ?", PayoutRepository::payout, payoutId);
    }

    /** How many payouts match the filters (absent: any). */
    static long count(Connection c, Optional<UUID> influencerId, Optional<String> status) {
        List<Object> params = new ArrayList<>();
        String where = where(influencerId, status, params);
        return Sql.queryOne(c, "SELECT count(*) FROM payouts" + where, rs -> rs.getLong(1), params.toArray())
                .orElse(0L);
    }

    /** One page of the payouts that match the filters, newest first. */
    static List<PayoutService.Payout> page(
            Connection c, Optional<UUID> influencerId, Optional<String> status, int limit, int offset) {
        List<Object> params = new ArrayList<>();
        String where = where(influencerId, status, params);
        params.add(limit);
        params.add(offset);
        return Sql.query(
                c,
                "SELECT * FROM payouts" + where + " ORDER BY requested_at DESC, id LIMIT ? OFFSET ?",
                PayoutRepository::payout,
                params.toArray());
    }

    private static String where(Optional<UUID> influencerId, Optional<String> status, List<Object> params) {
        StringBuilder where = new StringBuilder(" WHERE true");
        influencerId.ifPresent(id -> {
            where.append(" AND influencer_id = ?");
            params.add(id);
        });
        status.ifPresent(s -> {
            where.append(" AND status = ?");
            params.add(s);
        });
        return where.toString();
    }

    private static PayoutService.Payout payout(ResultSet rs) throws SQLException {
        Timestamp decided = rs.getTimestamp("decided_at");
        return new PayoutService.Payout(
                rs.getObject("id", UUID.class),
                rs.getObject("influencer_id", UUID.class),
                rs.getString("status"),
                rs.getLong("gross_amount"),
                rs.getLong("platform_fee"),
                rs.getLong("processing_fee"),
                rs.getLong("net_amount"),
                PayoutService.CURRENCY,
                rs.getObject("reserve_tx_id", UUID.class),
                rs.getObject("settle_tx_id", UUID.class),
                rs.getObject("release_tx_id", UUID.class),
                rs.getString("chain_tx_id"),
                // every settlement is simulated today; a row settled by a real chain client says "chain"
                Boolean.FALSE.equals(rs.getObject("chain_simulated")) ? "chain" : "simulated",
                rs.getString("reject_reason"),
                rs.getTimestamp("requested_at").toInstant(),
                decided == null ? null : decided.toInstant());
    }
}
