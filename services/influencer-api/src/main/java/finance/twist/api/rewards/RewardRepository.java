package finance.twist.api.rewards;

import finance.twist.api.db.Sql;
import java.sql.Connection;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * The SQL of edge rewards: the {@code vau_rewards} rows that make a {@code vauId} pay once, and
 * the day's {@code emission_budget} row. Every method runs in the caller's open transaction
 * {@code c} (opened by {@code Sql.inTransaction}, never here).
 */
final class RewardRepository {

    private RewardRepository() {}

    /** Records {@code reward} for {@code userId}; false when its {@code vauId} was recorded before. */
    static boolean insert(Connection c, VauReward reward, UUID userId) {
        return Sql.update(
                        c,
                        "INSERT INTO vau_rewards (vau_id, user_id, amount, device_id, site_id, vau_time)"
                                + " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (vau_id) DO NOTHING",
                        reward.vauId(),
                        userId,
                        reward.baseUnits(),
                        reward.deviceId(),
                        reward.siteId(),
                        Timestamp.from(Instant.ofEpochMilli(reward.timestamp())))
                == 1;
    }

    /** Links the rewards {@code vauIds} to the ledger transaction that paid them. */
    static void paidBy(Connection c, List<String> vauIds, UUID txId) {
        Sql.update(
                c,
                "UPDATE vau_rewards SET transaction_id = ? WHERE vau_id = ANY (?)",
                txId,
                vauIds.toArray(String[]::new));
    }

    /**
     * Adds {@code amount} to today's (UTC) emission under {@code budget}; the table's CHECK refuses
     * going over it (a {@code DataAccessException} for the caller to map).
     *
     * @return what today's emission is now
     */
    static long addEmission(Connection c, long budget, long amount) {
        return Sql.queryOne(
                        c,
                        "INSERT INTO emission_budget AS b (day, budget, emitted)"
                                + " VALUES ((now() AT TIME ZONE 'UTC')::date, ?, ?)"
                                + " ON CONFLICT (day) DO UPDATE SET emitted = b.emitted + EXCLUDED.emitted,"
                                + " budget = EXCLUDED.budget RETURNING emitted",
                        rs -> rs.getLong(1),
                        budget,
                        amount)
                .orElseThrow();
    }
}
