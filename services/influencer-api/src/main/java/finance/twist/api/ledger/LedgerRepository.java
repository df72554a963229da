package finance.twist.api.ledger;

import finance.twist.api.db.DataAccessException;
import finance.twist.api.db.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The SQL of the double-entry ledger: accounts, transactions and entries. Every method runs in the
 * caller's open transaction {@code c} (opened by {@code Sql.inTransaction} or
 * {@code Idempotency.once}, never here); the rules (balanced postings, no overdraft, lock order)
 * live in {@link LedgerService}.
 */
final class LedgerRepository {

    private LedgerRepository() {}

    /**
     * An account locked for a posting.
     *
     * @param id account id
     * @param kind {@code system}, {@code user_available}, {@code stake_position}, ...
     * @param balance balance before the posting
     */
    record Locked(long id, String kind, long balance) {}

    /**
     * Locks the accounts {@code ids} in ascending id order (rows are locked as the sorted scan
     * returns them), so concurrent postings over the same accounts queue instead of deadlocking.
     */
    static List<Locked> lockInIdOrder(Connection c, Long[] ids) {
        return Sql.query(
                c,
                "SELECT id, kind, balance FROM ledger_accounts WHERE id = ANY (?) ORDER BY id FOR UPDATE",
                rs -> new Locked(rs.getLong(1), rs.getString(2), rs.getLong(3)),
                (Object) ids);
    }

    /** Inserts the transaction row; a unique violation on its idempotency key is the caller's to map. */
    static void insertTransaction(
            Connection c, UUID txId, String kind, String idempotencyKey, UUID actorUserId, String memo) {
        Sql.update(
                c,
                "INSERT INTO ledger_transactions (id, kind, idempotency_key, actor_user_id, memo) VALUES (?, ?, ?, ?, ?)",
                txId,
                kind,
                idempotencyKey,
                actorUserId,
                memo);
    }

    /** Inserts every leg of transaction {@code txId} in one statement. */
    static void insertEntries(Connection c, UUID txId, List<LedgerService.Leg> legs) {
        StringBuilder insert =
                new StringBuilder("INSERT INTO ledger_entries (transaction_id, account_id, amount) VALUES ");
        List<Object> params = new ArrayList<>();
        for (LedgerService.Leg leg : legs) {
            insert.append(params.isEmpty() ? "(?, ?, ?)" : ", (?, ?, ?)");
            params.add(txId);
            params.add(leg.accountId());
            params.add(leg.amount());
        }
        Sql.update(c, insert.toString(), params.toArray());
    }

    static Optional<UUID> transactionByKey(Connection c, String idempotencyKey) {
        return Sql.queryOne(
                c,
                "SELECT id FROM ledger_transactions WHERE idempotency_key = ?",
                rs -> rs.getObject(1, UUID.class),
                idempotencyKey);
    }

    static Optional<Long> accountByKey(Connection c, String key) {
        return Sql.queryOne(c, "SELECT id FROM ledger_accounts WHERE account_key = ?", rs -> rs.getLong(1), key);
    }

    /** Creates the account {@code key} unless it exists. */
    static void insertAccount(Connection c, String key, String kind, UUID userId, UUID influencerId, UUID poolId) {
        Sql.update(
                c,
                "INSERT INTO ledger_accounts (account_key, kind, user_id, influencer_id, pool_id) VALUES (?, ?, ?, ?, ?)"
                        + " ON CONFLICT (account_key) DO NOTHING",
                key,
                kind,
                userId,
                influencerId,
                poolId);
    }

    static long balance(Connection c, long accountId) {
        return Sql.queryOne(c, "SELECT balance FROM ledger_accounts WHERE id = ?", rs -> rs.getLong(1), accountId)
                .orElse(0L);
    }

    /** The database {@code c} is connected to (system account ids are cached per database). */
    static String database(Connection c) {
        try {
            return c.getCatalog();
        } catch (SQLException e) {
            throw new DataAccessException(e);
        }
    }
}
