package finance.twist.api.staking;

import finance.twist.api.db.Sql;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Read models of pools and positions. APY is the simple annualised rate of the rewards a pool
 * received over the last 30 days: {@code rewards30d / totalStaked * 365 / 30 * 100}, in percent with
 * two decimals (0 when nothing is staked). It is derived, never stored, so it cannot overflow a column.
 */
public final class StakingReads {

    /** Sort orders of {@code GET /staking/search}. */
    public enum SortBy {
        totalStaked("total_staked DESC"),
        stakerCount("staker_count DESC, total_staked DESC"),
        apy("apy DESC, total_staked DESC"),
        tier("tier_rank DESC, total_staked DESC");

        private final String orderBy;

        SortBy(String orderBy) {
            this.orderBy = orderBy;
        }
    }

    /**
     * Search filters.
     *
     * @param query case-insensitive substring of username, display name or bio, or null
     * @param tiers tiers to keep (empty: all)
     * @param minStaked minimum total staked in base units
     * @param minApy minimum APY in percent, or null
     * @param sortBy order
     * @param limit page size (1..100)
     * @param offset rows to skip
     */
    public record Search(
            String query, List<Tier> tiers, long minStaked, BigDecimal minApy, SortBy sortBy, int limit, int offset) {}

    private static final String APY =
            "CASE WHEN total_staked = 0 THEN 0::numeric ELSE round(COALESCE((SELECT sum(e.amount)"
                    + " FROM staking_events e WHERE e.pool_id = pools.pool_id AND e.action = 'reward'"
                    + " AND e.created_at > now() - interval '30 days'), 0)::numeric * 36500 / (30 * total_staked), 2) END";

    private static final String BASE = "(SELECT p.id AS pool_id, i.id AS influencer_id, i.username, i.display_name,"
            + " i.avatar, i.bio, i.tier, i.email_verified_at IS NOT NULL AS verified,"
            + " p.tier_rank,"
            + " p.total_staked, p.staker_count, p.revenue_share_bps, p.min_stake, p.total_rewards_distributed,"
            + " p.created_at AS pool_created_at"
            + " FROM staking_pools p JOIN influencers i ON i.id = p.influencer_id WHERE p.is_active) pools";

    /**
     * The pools whose APY may be above zero (something staked, a reward in the last 30 days), with
     * the same APY as {@link #APY}, from one pass over the recent rewards.
     */
    private static final String EARNING =
            "SELECT pools.*, round(recent.rewards::numeric * 36500 / (30 * total_staked), 2)"
                    + " AS apy FROM " + BASE + " JOIN (SELECT pool_id, sum(amount) AS rewards FROM staking_events"
                    + " WHERE action = 'reward' AND created_at > now() - interval '30 days' GROUP BY pool_id) recent"
                    + " USING (pool_id) WHERE total_staked > 0";

    /** Every pool with its APY (for APY filters and sorting, and single-pool reads). */
    private static final String POOLS = "SELECT * FROM (SELECT pools.*, " + APY + " AS apy FROM " + BASE + ") pools";

    /**
     * The public profile of a pool's influencer.
     *
     * @param id the influencer
     * @param username unique handle
     * @param displayName shown name
     * @param avatar image URL, or null
     * @param bio free text, or null
     * @param tier the tier ({@link Tier} name)
     * @param verified whether the influencer's email is verified
     */
    public record Influencer(
            UUID id, String username, String displayName, String avatar, String bio, String tier, boolean verified) {}

    /**
     * A pool's figures in search results.
     *
     * @param totalStaked sum of positions, base units
     * @param stakerCount positions above zero
     * @param revenueShareBps the stakers' share of commissions
     * @param apy percent, two decimals
     * @param totalRewardsDistributed rewards so far, base units
     */
    public record PoolMetrics(
            long totalStaked, int stakerCount, int revenueShareBps, BigDecimal apy, long totalRewardsDistributed) {}

    /**
     * One search result.
     *
     * @param influencer the pool's influencer
     * @param metrics the pool's figures
     */
    public record PoolSummary(Influencer influencer, PoolMetrics metrics) {}

    /**
     * One pool in full.
     *
     * @param influencer the pool's influencer
     * @param totalStaked sum of positions, base units
     * @param stakerCount positions above zero
     * @param revenueShareBps the stakers' share of commissions
     * @param minStake minimum per stake, base units
     * @param totalRewardsDistributed rewards so far, base units
     * @param apy percent, two decimals
     * @param createdAt when the pool was created
     */
    public record PoolDetail(
            Influencer influencer,
            long totalStaked,
            int stakerCount,
            int revenueShareBps,
            long minStake,
            long totalRewardsDistributed,
            BigDecimal apy,
            Instant createdAt) {}

    /**
     * One of a user's positions.
     *
     * @param influencerId the pool's influencer
     * @param username the influencer's handle
     * @param tier the pool's tier
     * @param amount the position, base units
     * @param claimableRewards what it can claim now, base units
     * @param totalClaimed what it claimed so far, base units
     * @param poolTotalStaked the pool's total, base units
     * @param poolStakerCount the pool's stakers
     * @param stakedAt when the position was opened
     */
    public record Position(
            UUID influencerId,
            String username,
            String tier,
            long amount,
            long claimableRewards,
            long totalClaimed,
            long poolTotalStaked,
            int poolStakerCount,
            Instant stakedAt) {}

    /** Every read runs on the caller's connection {@code c} (opened by {@code Sql.read}, never here). */
    public StakingReads() {}

    public List<PoolSummary> search(Connection c, Search search) {
        StringBuilder where = new StringBuilder(" WHERE total_staked >= ?");
        List<Object> filters = new ArrayList<>();
        filters.add(search.minStaked());
        if (search.query() != null) {
            String pattern = "%"
                    + search.query().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
            where.append(" AND (username ILIKE ? OR display_name ILIKE ? OR bio ILIKE ?)");
            filters.add(pattern);
            filters.add(pattern);
            filters.add(pattern);
        }
        if (!search.tiers().isEmpty()) {
            where.append(" AND tier IN (");
            for (int i = 0; i < search.tiers().size(); i++) {
                where.append(i == 0 ? "?" : ", ?");
                filters.add(search.tiers().get(i).name());
            }
            where.append(')');
        }
        if (search.minApy() != null) {
            where.append(" AND apy >= ?");
            filters.add(search.minApy());
        }
        List<Object> params = new ArrayList<>(filters);
        String order = " ORDER BY " + search.sortBy().orderBy + ", influencer_id";
        String query;
        if (search.minApy() != null || search.sortBy() == SortBy.apy) {
            // Two parts, so that no query derives the APY of every pool: the pools earning a positive
            // APY (only those with a reward in the last 30 days can), and the best pages of the rest
            // (APY 0) straight from the total-staked index.
            params.addAll(filters);
            params.add((long) search.limit() + search.offset());
            query = "WITH earning AS MATERIALIZED (" + EARNING + ") SELECT * FROM ("
                    + "(SELECT * FROM earning pools" + where + " AND apy > 0)"
                    + " UNION ALL (" + POOLS + where + " AND pool_id NOT IN (SELECT pool_id FROM earning WHERE apy > 0)"
                    + " ORDER BY total_staked DESC, influencer_id LIMIT ?)) pools"
                    + order + " LIMIT ? OFFSET ?";
        } else {
            // Page first on plain columns, then derive APY for the page only.
            query = "SELECT pools.*, " + APY + " AS apy FROM (SELECT * FROM " + BASE + where + order
                    + " LIMIT ? OFFSET ?) pools" + order;
        }
        params.add(search.limit());
        params.add(search.offset());
        return Sql.queryPlannedPerCall(c, query, StakingReads::summary, params.toArray());
    }

    public Optional<PoolDetail> pool(Connection c, UUID influencerId) {
        return Sql.queryOne(
                c,
                POOLS + " WHERE influencer_id = ?",
                rs -> new PoolDetail(
                        influencer(rs),
                        rs.getLong("total_staked"),
                        rs.getInt("staker_count"),
                        rs.getInt("revenue_share_bps"),
                        rs.getLong("min_stake"),
                        rs.getLong("total_rewards_distributed"),
                        rs.getBigDecimal("apy"),
                        rs.getObject("pool_created_at", OffsetDateTime.class).toInstant()),
                influencerId);
    }

    /** The caller's positions, with what each can claim now. */
    public List<Position> stakesOf(Connection c, UUID userId) {
        return Sql.query(
                c,
                "SELECT i.id AS influencer_id, i.username, i.tier, a.balance, s.reward_snapshot, s.accrued_rewards,"
                        + " s.total_claimed, s.created_at, p.acc_reward_per_share, p.total_staked, p.staker_count"
                        + " FROM stakes s JOIN staking_pools p ON p.id = s.pool_id"
                        + " JOIN influencers i ON i.id = p.influencer_id"
                        + " JOIN ledger_accounts a ON a.id = s.account_id"
                        + " WHERE s.user_id = ? AND (a.balance > 0 OR s.accrued_rewards > 0) ORDER BY s.created_at",
                rs -> new Position(
                        rs.getObject("influencer_id", UUID.class),
                        rs.getString("username"),
                        rs.getString("tier"),
                        rs.getLong("balance"),
                        claimable(rs),
                        rs.getLong("total_claimed"),
                        rs.getLong("total_staked"),
                        rs.getInt("staker_count"),
                        rs.getObject("created_at", OffsetDateTime.class).toInstant()),
                userId);
    }

    /** Sum of what the user can claim across pools. */
    public long claimableTotal(Connection c, UUID userId) {
        return Sql.query(
                        c,
                        "SELECT a.balance, s.reward_snapshot, s.accrued_rewards, p.acc_reward_per_share FROM stakes s"
                                + " JOIN staking_pools p ON p.id = s.pool_id JOIN ledger_accounts a ON a.id = s.account_id"
                                + " WHERE s.user_id = ?",
                        StakingReads::claimable,
                        userId)
                .stream()
                .mapToLong(Long::longValue)
                .sum();
    }

    private static long claimable(ResultSet rs) throws SQLException {
        return StakingService.claimable(
                rs.getLong("balance"),
                Sql.bigInteger(rs, "acc_reward_per_share"),
                Sql.bigInteger(rs, "reward_snapshot"),
                rs.getLong("accrued_rewards"));
    }

    private static PoolSummary summary(ResultSet rs) throws SQLException {
        return new PoolSummary(
                influencer(rs),
                new PoolMetrics(
                        rs.getLong("total_staked"),
                        rs.getInt("staker_count"),
                        rs.getInt("revenue_share_bps"),
                        rs.getBigDecimal("apy"),
                        rs.getLong("total_rewards_distributed")));
    }

    private static Influencer influencer(ResultSet rs) throws SQLException {
        return new Influencer(
                rs.getObject("influencer_id", UUID.class),
                rs.getString("username"),
                rs.getString("display_name"),
                rs.getString("avatar"),
                rs.getString("bio"),
                rs.getString("tier"),
                rs.getBoolean("verified"));
    }
}
