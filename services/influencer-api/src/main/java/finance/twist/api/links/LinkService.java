package finance.twist.api.links;

import finance.twist.api.conversions.ProductService;
import finance.twist.api.db.Sql;
import finance.twist.api.domain.DomainException;
import finance.twist.api.domain.DomainException.Kind;
import finance.twist.api.ledger.Amounts;
import finance.twist.api.staking.Tier;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Referral links: generation under the tier's active-link limit (counted with the influencer row
 * locked, so concurrent generations cannot exceed it), owner-or-admin reads and updates, metrics
 * and the daily series. Links can only be generated for an active merchant product (admin-managed,
 * {@code /admin/products}); conversion counts and earnings come from the {@code conversions} table.
 */
public final class LinkService {

    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    private static final int CODE_ATTEMPTS = 5;
    private static final Pattern PRODUCT_ID = Pattern.compile("[A-Za-z0-9._:-]{1,100}");
    private static final Pattern PROMO_CODE = Pattern.compile("[A-Za-z0-9_-]{1,50}");
    private static final String ACTIVE = "is_active AND (expires_at IS NULL OR expires_at > now())";

    private final Sql sql;
    private final LinkSettings settings;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    public LinkService(Sql sql, LinkSettings settings, Clock clock) {
        this.sql = sql;
        this.settings = settings;
        this.clock = clock;
    }

    /** Generate body. */
    public record GenerateRequest(String productId, String promoCode, String destinationUrl, Integer expiresInDays) {}

    /** Update body; absent members stay as they are. */
    public record UpdateRequest(String promoCode, String destinationUrl, String expiresAt, Boolean isActive) {}

    /**
     * A referral link as its owner sees it.
     *
     * @param id the link
     * @param influencerId its influencer
     * @param productId the merchant product it promotes
     * @param code the 8-character code of {@code /r/<code>}
     * @param url the public redirect URL
     * @param promoCode the influencer's promo code, or null
     * @param destinationUrl where the redirect goes
     * @param expiresAt when it stops redirecting, or null
     * @param isActive whether it redirects
     * @param createdAt when it was made
     * @param updatedAt when it last changed
     */
    public record Link(
            String id,
            String influencerId,
            String productId,
            String code,
            String url,
            String promoCode,
            String destinationUrl,
            String expiresAt,
            boolean isActive,
            String createdAt,
            String updatedAt) {}

    /**
     * One page of the caller's links.
     *
     * @param items the links, newest first
     * @param total how many the caller has
     * @param limit page size
     * @param offset page start
     */
    public record LinkPage(List<Link> items, long total, int limit, int offset) {}

    /**
     * Click and conversion totals of a link.
     *
     * @param linkId the link
     * @param clicks counted, non-bot clicks
     * @param uniqueVisitors distinct hashed IPs among them
     * @param botClicks clicks from bots
     * @param rateLimitedClicks clicks over the per-IP limit (recorded, not counted)
     * @param conversions attributed conversions
     * @param earned the influencer's share, base units
     * @param commission the whole commission, base units
     * @param conversionRate conversions per 100 counted clicks
     */
    public record Metrics(
            String linkId,
            long clicks,
            long uniqueVisitors,
            long botClicks,
            long rateLimitedClicks,
            long conversions,
            String earned,
            String commission,
            double conversionRate) {}

    /**
     * One UTC day of a link's analytics.
     *
     * @param date the day
     * @param clicks counted, non-bot clicks
     * @param conversions attributed conversions
     * @param earned the influencer's share, base units
     */
    public record Day(String date, long clicks, long conversions, String earned) {}

    /**
     * A link's analytics from {@code from} to {@code to}.
     *
     * @param linkId the link
     * @param from first day
     * @param to last day
     * @param days one entry per day
     */
    public record Analytics(String linkId, String from, String to, List<Day> days) {}

    /** RFC 3339 date-time: any offset up to ±23:59, {@code t}/{@code z} in either case, a leap second. */
    private static final java.util.regex.Pattern RFC_3339 = java.util.regex.Pattern.compile(
            "(\\d{4}-\\d{2}-\\d{2})[Tt](\\d{2}):(\\d{2}):(\\d{2})(\\.\\d+)?(?:[Zz]|([+-])(\\d{2}):(\\d{2}))");

    /**
     * The instant of an ISO-8601 / RFC 3339 date-time with offset whose local year is 1970 to 9999.
     * Java's {@code OffsetDateTime} takes offsets up to ±18:00 only; RFC 3339 allows ±23:59, so
     * those (and {@code 23:59:60}) are computed here.
     */
    static Instant instant(String text) {
        java.util.regex.Matcher m = RFC_3339.matcher(text);
        Instant instant;
        int year;
        if (m.matches()) {
            LocalDate date = LocalDate.parse(m.group(1));
            int hour = Integer.parseInt(m.group(2));
            int minute = Integer.parseInt(m.group(3));
            int second = Integer.parseInt(m.group(4));
            if (hour > 23 || minute > 59 || second > 60) {
                throw new IllegalArgumentException("not a time");
            }
            int nanos =
                    m.group(5) == null ? 0 : Integer.parseInt((m.group(5).substring(1) + "00000000").substring(0, 9));
            long offset = m.group(6) == null
                    ? 0
                    : (m.group(6).equals("-") ? -1 : 1)
                            * (Integer.parseInt(m.group(7)) * 3600L + Integer.parseInt(m.group(8)) * 60L);
            if (m.group(7) != null && (Integer.parseInt(m.group(7)) > 23 || Integer.parseInt(m.group(8)) > 59)) {
                throw new IllegalArgumentException("not an offset");
            }
            year = date.getYear();
            instant = date.atTime(hour, minute, Math.min(second, 59))
                    .toInstant(ZoneOffset.UTC)
                    .plusSeconds((second == 60 ? 1 : 0) - offset)
                    .plusNanos(nanos);
        } else {
            OffsetDateTime parsed = OffsetDateTime.parse(text);
            year = parsed.getYear();
            instant = parsed.toInstant();
        }
        if (year < 1970 || year > 9999) {
            throw new IllegalArgumentException("out of range");
        }
        return instant;
    }

    /** A link row with its owner's user. */
    private record Row(Link body, UUID userId, UUID influencerId) {}

    public Link generate(UUID userId, GenerateRequest request) {
        String productId = productId(request.productId());
        String promoCode = promoCode(request.promoCode());
        String destination = request.destinationUrl() == null
                ? settings.defaultDestination().toString().replaceAll("/+$", "") + "/products/"
                        + URLEncoder.encode(productId, StandardCharsets.UTF_8)
                : destination(request.destinationUrl());
        Timestamp expiresAt = null;
        if (request.expiresInDays() != null) {
            int days = request.expiresInDays();
            if (days < 1 || days > 3650) {
                throw invalidRequest("'expiresInDays' must be from 1 to 3650.", "expiresInDays");
            }
            expiresAt = Timestamp.from(clock.instant().plus(days, ChronoUnit.DAYS));
        }
        Timestamp expires = expiresAt;
        return sql.inTransaction(c -> {
            Influencer influencer = lockInfluencer(c, userId)
                    .orElseThrow(() -> new DomainException(
                            Kind.FORBIDDEN,
                            "not-an-influencer",
                            "Not an influencer",
                            "Register as an influencer before generating referral links."));
            if (!ProductService.isActive(c, productId)) {
                throw new DomainException(
                                Kind.INVALID,
                                "unknown-product",
                                "Unknown product",
                                "'productId' must name an active merchant product.")
                        .with("field", "productId");
            }
            enforceLimit(c, influencer, 1);
            for (int attempt = 0; attempt < CODE_ATTEMPTS; attempt++) {
                Optional<Link> created = Sql.queryOne(
                        c,
                        "INSERT INTO links (influencer_id, product_id, code, promo_code, destination_url, expires_at)"
                                + " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO NOTHING RETURNING *",
                        this::link,
                        influencer.id(),
                        productId,
                        newCode(),
                        promoCode,
                        destination,
                        expires);
                if (created.isPresent()) {
                    return created.get();
                }
            }
            throw new IllegalStateException("no free link code after " + CODE_ATTEMPTS + " attempts");
        });
    }

    public LinkPage mine(UUID userId, int limit, int offset) {
        return sql.read(c -> {
            List<Link> items = Sql.query(
                    c,
                    "SELECT l.* FROM links l JOIN influencers i ON i.id = l.influencer_id WHERE i.user_id = ?"
                            + " ORDER BY l.created_at DESC, l.id LIMIT ? OFFSET ?",
                    this::link,
                    userId,
                    limit,
                    offset);
            long total = Sql.queryOne(
                            c,
                            "SELECT count(*) FROM links l JOIN influencers i ON i.id = l.influencer_id"
                                    + " WHERE i.user_id = ?",
                            rs -> rs.getLong(1),
                            userId)
                    .orElse(0L);
            return new LinkPage(items, total, limit, offset);
        });
    }

    /** The link when the caller owns it or is an admin; otherwise 404 (existence is not revealed). */
    public Link get(UUID userId, boolean admin, UUID linkId) {
        return sql.read(c -> visible(c, userId, admin, linkId, false).body());
    }

    public Link update(UUID userId, boolean admin, UUID linkId, UpdateRequest update) {
        String promoCode = update.promoCode() == null ? null : promoCode(update.promoCode());
        String destination = update.destinationUrl() == null ? null : destination(update.destinationUrl());
        Timestamp expiresAt = null;
        if (update.expiresAt() != null) {
            try {
                expiresAt = Timestamp.from(instant(update.expiresAt()));
            } catch (RuntimeException e) {
                throw invalidRequest(
                        "'expiresAt' must be an ISO-8601 timestamp with offset, years 1970 to 9999.", "expiresAt");
            }
        }
        Timestamp expires = expiresAt;
        return sql.inTransaction(c -> {
            Row row = visible(c, userId, admin, linkId, false);
            Influencer influencer = lockInfluencerById(c, row.influencerId());
            Sql.update(
                    c,
                    "UPDATE links SET promo_code = COALESCE(?, promo_code), destination_url = COALESCE(?, destination_url),"
                            + " expires_at = COALESCE(?, expires_at), is_active = COALESCE(?, is_active),"
                            + " updated_at = now() WHERE id = ?",
                    promoCode,
                    destination,
                    expires,
                    update.isActive(),
                    linkId);
            if (Boolean.TRUE.equals(update.isActive()) || expires != null) {
                enforceLimit(c, influencer, 0);
            }
            return Sql.queryOne(c, "SELECT * FROM links WHERE id = ?", this::link, linkId)
                    .orElseThrow();
        });
    }

    /** Deactivates the link; the redirect answers 410 from the next request on. */
    public Link deactivate(UUID userId, boolean admin, UUID linkId) {
        return sql.inTransaction(c -> {
            visible(c, userId, admin, linkId, true);
            Sql.update(c, "UPDATE links SET is_active = false, updated_at = now() WHERE id = ?", linkId);
            return Sql.queryOne(c, "SELECT * FROM links WHERE id = ?", this::link, linkId)
                    .orElseThrow();
        });
    }

    public Metrics metrics(UUID userId, boolean admin, UUID linkId) {
        return sql.read(c -> {
            visible(c, userId, admin, linkId, false);
            record Converted(long count, long earned, long commission) {}
            Converted converted = Sql.queryOne(
                            c,
                            "SELECT count(*), COALESCE(SUM(influencer_share), 0), COALESCE(SUM(commission), 0)"
                                    + " FROM conversions WHERE link_id = ?",
                            rs -> new Converted(rs.getLong(1), rs.getLong(2), rs.getLong(3)),
                            linkId)
                    .orElseThrow();
            return Sql.queryOne(
                            c,
                            "SELECT count(*) FILTER (WHERE counted AND NOT is_bot) AS clicks,"
                                    + " count(DISTINCT ip_hash) FILTER (WHERE counted AND NOT is_bot) AS visitors,"
                                    + " count(*) FILTER (WHERE is_bot) AS bots,"
                                    + " count(*) FILTER (WHERE NOT counted AND NOT is_bot) AS uncounted"
                                    + " FROM link_clicks WHERE link_id = ?",
                            rs -> {
                                long clicks = rs.getLong("clicks");
                                return new Metrics(
                                        linkId.toString(),
                                        clicks,
                                        rs.getLong("visitors"),
                                        rs.getLong("bots"),
                                        rs.getLong("uncounted"),
                                        converted.count(),
                                        Amounts.format(converted.earned()),
                                        Amounts.format(converted.commission()),
                                        conversionRate(converted.count(), clicks));
                            },
                            linkId)
                    .orElseThrow();
        });
    }

    /** Counted, non-bot clicks per UTC day from {@code from} to {@code to} inclusive (at most 366 days). */
    public Analytics analytics(UUID userId, boolean admin, UUID linkId, LocalDate from, LocalDate to) {
        if (to.isBefore(from) || ChronoUnit.DAYS.between(from, to) > 365) {
            throw new DomainException(
                    Kind.INVALID,
                    "invalid-date-range",
                    "Invalid date range",
                    "'from' must not be after 'to', and the range at most 366 days.");
        }
        return sql.read(c -> {
            visible(c, userId, admin, linkId, false);
            List<Day> days = Sql.query(
                    c,
                    "SELECT d::date AS day, (SELECT count(*) FROM link_clicks k WHERE k.link_id = ?"
                            + " AND k.counted AND NOT k.is_bot AND k.clicked_at >= d AND k.clicked_at < d + interval '1 day')"
                            + " AS clicks, v.conversions, v.earned"
                            + " FROM generate_series(?::timestamptz, ?::timestamptz, interval '1 day') d"
                            + " CROSS JOIN LATERAL (SELECT count(*) AS conversions, COALESCE(SUM(influencer_share), 0)"
                            + " AS earned FROM conversions cv WHERE cv.link_id = ? AND cv.created_at >= d"
                            + " AND cv.created_at < d + interval '1 day') v ORDER BY d",
                    rs -> new Day(
                            rs.getObject("day", LocalDate.class).toString(),
                            rs.getLong("clicks"),
                            rs.getLong("conversions"),
                            Amounts.format(rs.getLong("earned"))),
                    linkId,
                    OffsetDateTime.of(from.atStartOfDay(), ZoneOffset.UTC),
                    OffsetDateTime.of(to.atStartOfDay(), ZoneOffset.UTC),
                    linkId);
            return new Analytics(linkId.toString(), from.toString(), to.toString(), days);
        });
    }

    /** What the redirect needs of a link. */
    public record Target(UUID linkId, String code, String destination, boolean active, Instant expiresAt) {}

    private record Influencer(UUID id, Tier tier) {}

    private static Optional<Influencer> lockInfluencer(Connection c, UUID userId) {
        return Sql.queryOne(
                c,
                "SELECT id, tier FROM influencers WHERE user_id = ? FOR UPDATE",
                rs -> new Influencer(rs.getObject("id", UUID.class), Tier.valueOf(rs.getString("tier"))),
                userId);
    }

    private static Influencer lockInfluencerById(Connection c, UUID influencerId) {
        return Sql.queryOne(
                        c,
                        "SELECT id, tier FROM influencers WHERE id = ? FOR UPDATE",
                        rs -> new Influencer(rs.getObject("id", UUID.class), Tier.valueOf(rs.getString("tier"))),
                        influencerId)
                .orElseThrow();
    }

    /** Refuses when active links plus {@code adding} exceed the tier's limit (influencer row locked). */
    private static void enforceLimit(Connection c, Influencer influencer, int adding) {
        int limit = influencer.tier().activeLinkLimit();
        if (limit == Integer.MAX_VALUE) {
            return;
        }
        long active = Sql.queryOne(
                        c,
                        "SELECT count(*) FROM links WHERE influencer_id = ? AND " + ACTIVE,
                        rs -> rs.getLong(1),
                        influencer.id())
                .orElse(0L);
        if (active + adding > limit) {
            throw new DomainException(
                            Kind.CONFLICT,
                            "link-limit-reached",
                            "Active link limit reached",
                            "The " + influencer.tier() + " tier allows " + limit
                                    + " active links; deactivate one or move up a tier.")
                    .with("tier", influencer.tier().name())
                    .with("limit", limit);
        }
    }

    private Row visible(Connection c, UUID userId, boolean admin, UUID linkId, boolean lock) {
        Optional<Row> row = Sql.queryOne(
                c,
                "SELECT l.*, i.user_id AS owner_user_id FROM links l JOIN influencers i ON i.id = l.influencer_id"
                        + " WHERE l.id = ?" + (lock ? " FOR UPDATE OF l" : ""),
                rs -> new Row(
                        link(rs), rs.getObject("owner_user_id", UUID.class), rs.getObject("influencer_id", UUID.class)),
                linkId);
        if (row.isEmpty() || !(admin || row.get().userId().equals(userId))) {
            throw new DomainException(Kind.NOT_FOUND, "link-not-found", "Link not found", "No such link.");
        }
        return row.get();
    }

    private Link link(ResultSet rs) throws SQLException {
        String code = rs.getString("code");
        Timestamp expires = rs.getTimestamp("expires_at");
        return new Link(
                rs.getObject("id", UUID.class).toString(),
                rs.getObject("influencer_id", UUID.class).toString(),
                rs.getString("product_id"),
                code,
                settings.publicBase() + "/r/" + code,
                rs.getString("promo_code"),
                rs.getString("destination_url"),
                expires == null ? null : expires.toInstant().toString(),
                rs.getBoolean("is_active"),
                rs.getTimestamp("created_at").toInstant().toString(),
                rs.getTimestamp("updated_at").toInstant().toString());
    }

    /** Percentage of counted human clicks that converted, two decimals (0 without clicks). */
    static double conversionRate(long conversions, long clicks) {
        if (clicks == 0) {
            return 0.0;
        }
        return BigDecimal.valueOf(conversions * 100)
                .divide(BigDecimal.valueOf(clicks), 2, RoundingMode.HALF_UP)
                .doubleValue();
    }

    private String newCode() {
        char[] code = new char[8];
        for (int i = 0; i < code.length; i++) {
            code[i] = ALPHABET.charAt(random.nextInt(ALPHABET.length()));
        }
        return new String(code);
    }

    private static String productId(String value) {
        if (value == null || !PRODUCT_ID.matcher(value).matches()) {
            throw invalidRequest("'productId' is required: 1-100 of A-Z a-z 0-9 . _ : -.", "productId");
        }
        return value;
    }

    private static String promoCode(String value) {
        if (value != null && !PROMO_CODE.matcher(value).matches()) {
            throw invalidRequest("'promoCode' must be 1-50 of A-Z a-z 0-9 _ -.", "promoCode");
        }
        return value;
    }

    /** An absolute http(s) URL without user info whose host is allowed (no open redirect). */
    private String destination(String value) {
        URI uri;
        try {
            uri = value.length() <= 2048 ? new URI(value) : null;
        } catch (URISyntaxException e) {
            uri = null;
        }
        String scheme = uri == null ? null : uri.getScheme();
        if (uri == null
                || !("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme))
                || uri.getHost() == null
                || uri.getRawUserInfo() != null) {
            throw invalidRequest("'destinationUrl' must be an absolute http(s) URL.", "destinationUrl");
        }
        if (!settings.allows(uri.getHost())) {
            throw new DomainException(
                            Kind.INVALID,
                            "destination-not-allowed",
                            "Destination host not allowed",
                            "Links may only point at configured destination hosts.")
                    .with("field", "destinationUrl");
        }
        return uri.toString();
    }

    /** The generic 400 of a malformed field (problem type {@code invalid-request}). */
    private static DomainException invalidRequest(String detail, String field) {
        return new DomainException(Kind.INVALID, "invalid-request", "Invalid request", detail).with("field", field);
    }
}
