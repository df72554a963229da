package finance.twist.api.influencers;

import com.fasterxml.jackson.core.type.TypeReference;
import finance.twist.api.db.DataAccessException;
import finance.twist.api.db.Sql;
import finance.twist.common.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The SQL of influencers: the influencer row, its staking pool row at registration, e-mail
 * verification tokens (stored as SHA-256) and profiles. Every method runs in the caller's open
 * transaction or read {@code c} (opened by {@code Sql}, never here); the rules live in
 * {@link InfluencerService}. A unique violation surfaces as {@code db.DataAccessException}, which
 * the service maps.
 */
final class InfluencerRepository {

    private InfluencerRepository() {}

    /** The caller's influencer row, locked. */
    record Claimant(UUID id, String username, String email, boolean verified) {}

    /** The influencer whose address a used token verified. */
    record Owner(String username, String email) {}

    /** Whether {@code userId} already has an influencer. */
    static boolean existsForUser(Connection c, UUID userId) {
        return Sql.queryOne(c, "SELECT 1 FROM influencers WHERE user_id = ?", rs -> 1, userId)
                .isPresent();
    }

    /** Whether an influencer other than {@code self} (null: any) has verified {@code address}. */
    static boolean verifiedByAnother(Connection c, String address, UUID self) {
        return Sql.queryOne(
                        c,
                        "SELECT 1 FROM influencers WHERE lower(email) = lower(?) AND email_verified_at IS NOT NULL"
                                + " AND id <> ?",
                        rs -> 1,
                        address,
                        self == null ? new UUID(0, 0) : self)
                .isPresent();
    }

    /** Inserts the influencer; a unique violation names the constraint. */
    static UUID insert(Connection c, UUID userId, String username, String email, String displayName, String bio) {
        return Sql.queryOne(
                        c,
                        "INSERT INTO influencers (user_id, username, email, display_name, bio)"
                                + " VALUES (?, ?, ?, ?, ?) RETURNING id",
                        rs -> rs.getObject(1, UUID.class),
                        userId,
                        username,
                        email,
                        displayName,
                        bio)
                .orElseThrow();
    }

    /** Inserts the influencer's staking pool. */
    static void insertPool(
            Connection c, UUID poolId, UUID influencerId, long rewardsAccountId, int revenueShareBps, long minStake) {
        Sql.update(
                c,
                "INSERT INTO staking_pools (id, influencer_id, rewards_account_id, revenue_share_bps, min_stake)"
                        + " VALUES (?, ?, ?, ?, ?)",
                poolId,
                influencerId,
                rewardsAccountId,
                revenueShareBps,
                minStake);
    }

    /** Stores a claim's verification token by its hash. */
    static void insertVerification(Connection c, byte[] tokenHash, UUID influencerId, Instant expiresAt) {
        Sql.update(
                c,
                "INSERT INTO email_verifications (token_hash, influencer_id, expires_at) VALUES (?, ?, ?)",
                tokenHash,
                influencerId,
                OffsetDateTime.ofInstant(expiresAt, ZoneOffset.UTC));
    }

    /** Marks an unused, unexpired token used; its influencer, or empty. */
    static Optional<UUID> useVerification(Connection c, byte[] tokenHash, Instant now) {
        return Sql.queryOne(
                c,
                "UPDATE email_verifications SET used_at = now() WHERE token_hash = ? AND used_at IS NULL"
                        + " AND expires_at > ? RETURNING influencer_id",
                rs -> rs.getObject(1, UUID.class),
                tokenHash,
                OffsetDateTime.ofInstant(now, ZoneOffset.UTC));
    }

    /** Marks the influencer's address verified (the partial unique index may refuse). */
    static Owner markVerified(Connection c, UUID influencerId) {
        return Sql.queryOne(
                        c,
                        "UPDATE influencers SET email_verified_at = COALESCE(email_verified_at, now()),"
                                + " updated_at = now() WHERE id = ? RETURNING username, email",
                        rs -> new Owner(rs.getString(1), rs.getString(2)),
                        influencerId)
                .orElseThrow();
    }

    /** Deletes the unused tokens of other influencers' claims of {@code address}; how many. */
    static int removeCompetingClaims(Connection c, String address, UUID owner) {
        return Sql.update(
                c,
                "DELETE FROM email_verifications v USING influencers i WHERE v.influencer_id = i.id"
                        + " AND lower(i.email) = lower(?) AND i.id <> ? AND v.used_at IS NULL",
                address,
                owner);
    }

    /** Locks the influencer row of {@code userId}, if the user is an influencer. */
    static Optional<Claimant> lockOfUser(Connection c, UUID userId) {
        return Sql.queryOne(
                c,
                "SELECT id, username, email, email_verified_at IS NOT NULL FROM influencers WHERE user_id = ? FOR UPDATE",
                rs -> new Claimant(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3), rs.getBoolean(4)),
                userId);
    }

    /** The influencer id of {@code userId}. */
    static Optional<UUID> idOfUser(Connection c, UUID userId) {
        return Sql.queryOne(
                c, "SELECT id FROM influencers WHERE user_id = ?", rs -> rs.getObject(1, UUID.class), userId);
    }

    /** The public profile with its pool, by username (case-insensitive). */
    static Optional<InfluencerService.Profile> publicProfile(Connection c, String username) {
        return Sql.queryOne(
                c,
                "SELECT i.*, p.total_staked, p.staker_count, p.revenue_share_bps, p.min_stake"
                        + " FROM influencers i JOIN staking_pools p ON p.influencer_id = i.id"
                        + " WHERE lower(i.username) = lower(?)",
                rs -> profile(
                        rs,
                        new InfluencerService.PoolSummary(
                                rs.getLong("total_staked"),
                                rs.getInt("staker_count"),
                                rs.getInt("revenue_share_bps"),
                                rs.getLong("min_stake"))),
                username);
    }

    /** Applies the present members of {@code change}. */
    static void updateProfile(Connection c, UUID influencerId, InfluencerService.ProfileChange change) {
        java.sql.Array categories;
        try {
            categories = change.categories() == null
                    ? null
                    : c.createArrayOf("text", change.categories().toArray(String[]::new));
        } catch (SQLException e) {
            throw new DataAccessException(e);
        }
        Sql.update(
                c,
                "UPDATE influencers SET display_name = COALESCE(?, display_name), bio = COALESCE(?, bio),"
                        + " avatar = COALESCE(?, avatar), cover_image = COALESCE(?, cover_image),"
                        + " categories = COALESCE(?, categories), social_links = COALESCE(?::jsonb, social_links),"
                        + " updated_at = now() WHERE id = ?",
                change.displayName(),
                change.bio(),
                change.avatar(),
                change.coverImage(),
                categories,
                change.socialLinks() == null
                        ? null
                        : new String(Json.write(change.socialLinks()), StandardCharsets.UTF_8),
                influencerId);
    }

    /** The influencer's own profile (no pool). */
    static InfluencerService.Profile profile(Connection c, UUID influencerId) {
        return Sql.queryOne(c, "SELECT * FROM influencers WHERE id = ?", rs -> profile(rs, null), influencerId)
                .orElseThrow();
    }

    private static InfluencerService.Profile profile(ResultSet rs, InfluencerService.PoolSummary pool)
            throws SQLException {
        Map<String, String> socialLinks;
        try {
            socialLinks =
                    Json.mapper().readValue(rs.getString("social_links"), new TypeReference<Map<String, String>>() {});
        } catch (IOException e) {
            throw new IllegalStateException("social_links is not a JSON object", e);
        }
        return new InfluencerService.Profile(
                rs.getObject("id", UUID.class),
                rs.getString("username"),
                rs.getString("display_name"),
                rs.getString("bio"),
                rs.getString("avatar"),
                rs.getString("cover_image"),
                socialLinks,
                List.of((String[]) rs.getArray("categories").getArray()),
                rs.getString("tier"),
                rs.getObject("email_verified_at") != null,
                rs.getObject("created_at", OffsetDateTime.class).toInstant(),
                pool);
    }
}
