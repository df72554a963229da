package finance.twist.api.links;

import finance.twist.api.db.Sql;
import finance.twist.api.staking.Tier;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The SQL of referral links: link rows, the owning influencer's row lock, and the click and
 * conversion aggregates. Every method runs in the caller's open transaction or read {@code c}
 * (opened by {@code Sql}, never here); the rules live in {@link LinkService}.
 */
final class LinkRepository {

    private static final String ACTIVE = "is_active AND (expires_at IS NULL OR expires_at > now())";

    private final LinkSettings settings;

    LinkRepository(LinkSettings settings) {
        this.settings = settings;
    }

    /** The influencer that owns links, with the tier that limits them. */
    record Influencer(UUID id, Tier tier) {}

    /** A link row with its owner's user. */
    record Owned(LinkService.Link link, UUID userId, UUID influencerId) {}

    /** Conversion totals of a link. */
    record Converted(long count, long earned, long commission) {}

    /** Click totals of a link. */
    record Clicks(long clicks, long visitors, long bots, long uncounted) {}

    /** Locks the influencer row of {@code userId}, if the user is an influencer. */
    Optional<Influencer> lockInfluencerOfUser(Connection c, UUID userId) {
        return Sql.queryOne(
                c, "SELECT id, tier FROM influencers WHERE user_id = ? FOR UPDATE", LinkRepository::influencer, userId);
    }

    /** Locks the influencer row {@code influencerId}. */
    Influencer lockInfluencer(Connection c, UUID influencerId) {
        return Sql.queryOne(
                        c,
                        "SELECT id, tier FROM influencers WHERE id = ? FOR UPDATE",
                        LinkRepository::influencer,
                        influencerId)
                .orElseThrow();
    }

    /** How many of the influencer's links redirect now. */
    long countActive(Connection c, UUID influencerId) {
        return Sql.queryOne(
                        c,
                        "SELECT count(*) FROM links WHERE influencer_id = ? AND " + ACTIVE,
                        rs -> rs.getLong(1),
                        influencerId)
                .orElse(0L);
    }

    /** Inserts a link; empty when {@code code} is taken. */
    Optional<LinkService.Link> insert(
            Connection c,
            UUID influencerId,
            String productId,
            String code,
            String promoCode,
            String destination,
            Timestamp expiresAt) {
        return Sql.queryOne(
                c,
                "INSERT INTO links (influencer_id, product_id, code, promo_code, destination_url, expires_at)"
                        + " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO NOTHING RETURNING *",
                this::link,
                influencerId,
                productId,
                code,
                promoCode,
                destination,
                expiresAt);
    }

    /** A page of the user's links, newest first. */
    List<LinkService.Link> pageOfUser(Connection c, UUID userId, int limit, int offset) {
        return Sql.query(
                c,
                "SELECT l.* FROM links l JOIN influencers i ON i.id = l.influencer_id WHERE i.user_id = ?"
                        + " ORDER BY l.created_at DESC, l.id LIMIT ? OFFSET ?",
                this::link,
                userId,
                limit,
                offset);
    }

    /** How many links the user has. */
    long countOfUser(Connection c, UUID userId) {
        return Sql.queryOne(
                        c,
                        "SELECT count(*) FROM links l JOIN influencers i ON i.id = l.influencer_id WHERE i.user_id = ?",
                        rs -> rs.getLong(1),
                        userId)
                .orElse(0L);
    }

    /** The link with its owner; with {@code lock}, the link row is locked. */
    Optional<Owned> owned(Connection c, UUID linkId, boolean lock) {
        return Sql.queryOne(
                c,
                "SELECT l.*, i.user_id AS owner_user_id FROM links l JOIN influencers i ON i.id = l.influencer_id"
                        + " WHERE l.id = ?" + (lock ? " FOR UPDATE OF l" : ""),
                rs -> new Owned(
                        link(rs), rs.getObject("owner_user_id", UUID.class), rs.getObject("influencer_id", UUID.class)),
                linkId);
    }

    /** Changes the non-null members; null members stay as they are. */
    void update(
            Connection c, UUID linkId, String promoCode, String destination, Timestamp expiresAt, Boolean isActive) {
        Sql.update(
                c,
                "UPDATE links SET promo_code = COALESCE(?, promo_code), destination_url = COALESCE(?, destination_url),"
                        + " expires_at = COALESCE(?, expires_at), is_active = COALESCE(?, is_active),"
                        + " updated_at = now() WHERE id = ?",
                promoCode,
                destination,
                expiresAt,
                isActive,
                linkId);
    }

    void deactivate(Connection c, UUID linkId) {
        Sql.update(c, "UPDATE links SET is_active = false, updated_at = now() WHERE id = ?", linkId);
    }

    LinkService.Link get(Connection c, UUID linkId) {
        return Sql.queryOne(c, "SELECT * FROM links WHERE id = ?", this::link, linkId)
                .orElseThrow();
    }

    Converted conversions(Connection c, UUID linkId) {
        return Sql.queryOne(
                        c,
                        "SELECT count(*), COALESCE(SUM(influencer_share), 0), COALESCE(SUM(commission), 0)"
                                + " FROM conversions WHERE link_id = ?",
                        rs -> new Converted(rs.getLong(1), rs.getLong(2), rs.getLong(3)),
                        linkId)
                .orElseThrow();
    }

    Clicks clicks(Connection c, UUID linkId) {
        return Sql.queryOne(
                        c,
                        "SELECT count(*) FILTER (WHERE counted AND NOT is_bot) AS clicks,"
                                + " count(DISTINCT ip_hash) FILTER (WHERE counted AND NOT is_bot) AS visitors,"
                                + " count(*) FILTER (WHERE is_bot) AS bots,"
                                + " count(*) FILTER (WHERE NOT counted AND NOT is_bot) AS uncounted"
                                + " FROM link_clicks WHERE link_id = ?",
                        rs -> new Clicks(
                                rs.getLong("clicks"),
                                rs.getLong("visitors"),
                                rs.getLong("bots"),
                                rs.getLong("uncounted")),
                        linkId)
                .orElseThrow();
    }

    /** Counted, non-bot clicks, conversions and earnings per UTC day from {@code from} to {@code to}. */
    List<LinkService.Day> days(Connection c, UUID linkId, LocalDate from, LocalDate to) {
        return Sql.query(
                c,
                "SELECT d::date AS day, (SELECT count(*) FROM link_clicks k WHERE k.link_id = ?"
                        + " AND k.counted AND NOT k.is_bot AND k.clicked_at >= d AND k.clicked_at < d + interval '1 day')"
                        + " AS clicks, v.conversions, v.earned"
                        + " FROM generate_series(?::timestamptz, ?::timestamptz, interval '1 day') d"
                        + " CROSS JOIN LATERAL (SELECT count(*) AS conversions, COALESCE(SUM(influencer_share), 0)"
                        + " AS earned FROM conversions cv WHERE cv.link_id = ? AND cv.created_at >= d"
                        + " AND cv.created_at < d + interval '1 day') v ORDER BY d",
                rs -> new LinkService.Day(
                        rs.getObject("day", LocalDate.class),
                        rs.getLong("clicks"),
                        rs.getLong("conversions"),
                        rs.getLong("earned")),
                linkId,
                OffsetDateTime.of(from.atStartOfDay(), ZoneOffset.UTC),
                OffsetDateTime.of(to.atStartOfDay(), ZoneOffset.UTC),
                linkId);
    }

    private static Influencer influencer(ResultSet rs) throws SQLException {
        return new Influencer(rs.getObject("id", UUID.class), Tier.valueOf(rs.getString("tier")));
    }

    private LinkService.Link link(ResultSet rs) throws SQLException {
        String code = rs.getString("code");
        Timestamp expires = rs.getTimestamp("expires_at");
        return new LinkService.Link(
                rs.getObject("id", UUID.class),
                rs.getObject("influencer_id", UUID.class),
                rs.getString("product_id"),
                code,
                settings.publicBase() + "/r/" + code,
                rs.getString("promo_code"),
                rs.getString("destination_url"),
                expires == null ? null : expires.toInstant(),
                rs.getBoolean("is_active"),
                rs.getTimestamp("created_at").toInstant(),
                rs.getTimestamp("updated_at").toInstant());
    }
}
