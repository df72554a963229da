package finance.twist.api.ledger;

import finance.twist.api.db.Sql;
import java.sql.Connection;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;

/** Reads of a user's own ledger accounts: balances and the history of entries. */
public final class AccountReads {

    /** Every read runs on the caller's connection {@code c} (opened by {@code Sql.read}, never here). */
    public AccountReads() {}

    /**
     * Sums of a user's accounts, base units.
     *
     * @param available the available balance
     * @param staked the sum of stake positions
     */
    public record Balances(long available, long staked) {}

    /**
     * One ledger entry on one of the user's accounts.
     *
     * @param transactionId the ledger transaction
     * @param kind the transaction's kind ({@code deposit}, {@code stake}, ...)
     * @param account the user's available balance or a stake position
     * @param influencerId the pool's influencer for stake entries, else null
     * @param amount signed base units
     * @param createdAt when the entry was made
     */
    public record HistoryItem(
            UUID transactionId, String kind, Account account, UUID influencerId, long amount, Instant createdAt) {}

    /** Which of the user's accounts an entry is on. */
    public enum Account {
        /** The available balance ({@code user_available}). */
        AVAILABLE,
        /** A stake position in a pool ({@code stake_position}). */
        STAKE
    }

    public Balances balances(Connection c, UUID userId) {
        return Sql.queryOne(
                        c,
                        "SELECT COALESCE(SUM(balance) FILTER (WHERE kind = 'user_available'), 0),"
                                + " COALESCE(SUM(balance) FILTER (WHERE kind = 'stake_position'), 0)"
                                + " FROM ledger_accounts WHERE user_id = ?",
                        rs -> new Balances(rs.getLong(1), rs.getLong(2)),
                        userId)
                .orElse(new Balances(0, 0));
    }

    public List<HistoryItem> history(Connection c, UUID userId, int limit, int offset) {
        return Sql.query(
                c,
                "SELECT t.id, t.kind, e.amount, e.created_at, a.kind AS account_kind, p.influencer_id"
                        + " FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id"
                        + " JOIN ledger_transactions t ON t.id = e.transaction_id"
                        + " LEFT JOIN staking_pools p ON p.id = a.pool_id"
                        + " WHERE a.user_id = ? ORDER BY e.id DESC LIMIT ? OFFSET ?",
                rs -> new HistoryItem(
                        rs.getObject("id", UUID.class),
                        rs.getString("kind"),
                        "stake_position".equals(rs.getString("account_kind")) ? Account.STAKE : Account.AVAILABLE,
                        rs.getObject("influencer_id", UUID.class),
                        rs.getLong("amount"),
                        rs.getObject("created_at", OffsetDateTime.class).toInstant()),
                userId,
                limit,
                offset);
    }
}
