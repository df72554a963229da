package finance.twist.api.staking;

import finance.twist.api.db.Sql;
import finance.twist.api.ledger.LedgerService;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import java.util.UUID;

/**
 * The SQL of staking writes: pool rows, stake rows and the staking event log. Every method runs
 * in the caller's open transaction {@code c} (opened by {@code Sql.inTransaction} or
 * {@code Idempotency.once}, never here); the rules live in {@link StakingService}.
 */
final class PoolRepository {

    private PoolRepository() {}

    /**
     * A stake row locked for update.
     *
     * @param id stake id
     * @param accountId the ledger position account
     * @param snapshot reward-per-share at the last settlement
     * @param accrued rewards settled but not claimed
     * @param totalClaimed everything claimed so far
     */
    record Stake(UUID id, long accountId, BigInteger snapshot, long accrued, long totalClaimed) {}

    /** Locks the pool of {@code influencerId}, if there is one. */
    static Optional<StakingService.Pool> lockPool(Connection c, UUID influencerId) {
        return Sql.queryOne(
                c,
                "SELECT id, influencer_id, rewards_account_id, min_stake, total_staked, staker_count,"
                        + " revenue_share_bps, acc_reward_per_share, reward_remainder, is_active"
                        + " FROM staking_pools WHERE influencer_id = ? FOR UPDATE",
                PoolRepository::pool,
                influencerId);
    }

    /** Locks the caller's stake row in the pool; with {@code create}, creates it (and its account) first. */
    static Optional<Stake> lockStake(Connection c, UUID userId, UUID poolId, boolean create) {
        String select = "SELECT id, account_id, reward_snapshot, accrued_rewards, total_claimed FROM stakes"
                + " WHERE user_id = ? AND pool_id = ? FOR UPDATE";
        Optional<Stake> existing = Sql.queryOne(c, select, PoolRepository::stake, userId, poolId);
        if (existing.isPresent() || !create) {
            return existing;
        }
        long account = LedgerService.stakePosition(c, userId, poolId);
        Sql.update(
                c,
                "INSERT INTO stakes (user_id, pool_id, account_id) VALUES (?, ?, ?) ON CONFLICT (user_id, pool_id) DO NOTHING",
                userId,
                poolId,
                account);
        return Sql.queryOne(c, select, PoolRepository::stake, userId, poolId);
    }

    /** Saves the pool's totals. */
    static void saveTotals(Connection c, UUID poolId, long totalStaked, int stakers) {
        Sql.update(
                c,
                "UPDATE staking_pools SET total_staked = ?, staker_count = ?, updated_at = now() WHERE id = ?",
                totalStaked,
                stakers,
                poolId);
    }

    /** Saves the influencer's tier (denormalised for search). */
    static void saveTier(Connection c, UUID influencerId, Tier tier) {
        Sql.update(c, "UPDATE influencers SET tier = ?, updated_at = now() WHERE id = ?", tier.name(), influencerId);
    }

    /** Saves the pool's accumulator after {@code amount} of rewards. */
    static void saveAccumulator(Connection c, UUID poolId, RewardMath.Accumulator next, long amount) {
        Sql.update(
                c,
                "UPDATE staking_pools SET acc_reward_per_share = ?, reward_remainder = ?,"
                        + " total_rewards_distributed = total_rewards_distributed + ?, updated_at = now() WHERE id = ?",
                next.acc(),
                next.remainder(),
                amount,
                poolId);
    }

    /** Saves a stake's settlement state. */
    static void saveStake(Connection c, UUID id, BigInteger snapshot, long accrued, long totalClaimed) {
        Sql.update(
                c,
                "UPDATE stakes SET reward_snapshot = ?, accrued_rewards = ?, total_claimed = ?, updated_at = now() WHERE id = ?",
                snapshot,
                accrued,
                totalClaimed,
                id);
    }

    /** Appends to the pool's event log. */
    static void event(Connection c, UUID poolId, UUID userId, String action, long amount, UUID txId) {
        Sql.update(
                c,
                "INSERT INTO staking_events (pool_id, user_id, action, amount, transaction_id) VALUES (?, ?, ?, ?, ?)",
                poolId,
                userId,
                action,
                amount,
                txId);
    }

    /** The pool's rewards so far. */
    static long totalRewards(Connection c, UUID poolId) {
        return Sql.queryOne(
                        c,
                        "SELECT total_rewards_distributed FROM staking_pools WHERE id = ?",
                        rs -> rs.getLong(1),
                        poolId)
                .orElse(0L);
    }

    private static StakingService.Pool pool(ResultSet rs) throws SQLException {
        return new StakingService.Pool(
                rs.getObject("id", UUID.class),
                rs.getObject("influencer_id", UUID.class),
                rs.getLong("rewards_account_id"),
                rs.getLong("min_stake"),
                rs.getLong("total_staked"),
                rs.getInt("staker_count"),
                rs.getInt("revenue_share_bps"),
                Sql.bigInteger(rs, "acc_reward_per_share"),
                Sql.bigInteger(rs, "reward_remainder"),
                rs.getBoolean("is_active"));
    }

    private static Stake stake(ResultSet rs) throws SQLException {
        return new Stake(
                rs.getObject("id", UUID.class),
                rs.getLong("account_id"),
                Sql.bigInteger(rs, "reward_snapshot"),
                rs.getLong("accrued_rewards"),
                rs.getLong("total_claimed"));
    }
}
