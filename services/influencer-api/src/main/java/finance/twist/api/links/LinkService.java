package finance.twist.api.links;

import finance.twist.api.conversions.ProductService;
import finance.twist.api.domain.DomainException;
import finance.twist.api.domain.DomainException.Kind;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
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

    private final LinkRepository repository;
    private final LinkSettings settings;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    public LinkService(LinkSettings settings, Clock clock) {
        this.repository = new LinkRepository(settings);
        this.settings = settings;
        this.clock = clock;
    }

    /**
     * A link to generate, validated ({@link #newLink}).
     *
     * @param productId the merchant product
     * @param promoCode the promo code, or null
     * @param destination where the redirect goes
     * @param expiresAt when it stops redirecting, or null
     */
    public record NewLink(String productId, String promoCode, String destination, Instant expiresAt) {}

    /**
     * A change of a link, validated ({@link #change}); null members stay as they are.
     *
     * @param promoCode new promo code
     * @param destination new destination
     * @param expiresAt new expiry
     * @param isActive new state
     */
    public record LinkChange(String promoCode, String destination, Instant expiresAt, Boolean isActive) {}

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
            UUID id,
            UUID influencerId,
            String productId,
            String code,
            String url,
            String promoCode,
            String destinationUrl,
            Instant expiresAt,
            boolean isActive,
            Instant createdAt,
            Instant updatedAt) {}

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
            UUID linkId,
            long clicks,
            long uniqueVisitors,
            long botClicks,
            long rateLimitedClicks,
            long conversions,
            long earned,
            long commission,
            double conversionRate) {}

    /**
     * One UTC day of a link's analytics.
     *
     * @param date the day
     * @param clicks counted, non-bot clicks
     * @param conversions attributed conversions
     * @param earned the influencer's share, base units
     */
    public record Day(LocalDate date, long clicks, long conversions, long earned) {}

    /**
     * A link's analytics from {@code from} to {@code to}.
     *
     * @param linkId the link
     * @param from first day
     * @param to last day
     * @param days one entry per day
     */
    public record Analytics(UUID linkId, LocalDate from, LocalDate to, List<Day> days) {}

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

    /**
     * Checks what a new link asks for (no database): {@link Kind#INVALID} for a malformed field or
     * a disallowed destination. Null {@code promoCode}, {@code destinationUrl} (the product page on
     * the default destination) and {@code expiresInDays} (never) are optional.
     */
    public NewLink newLink(
            String requestedProductId, String requestedPromoCode, String destinationUrl, Integer expiresInDays) {
        String productId = productId(requestedProductId);
        String promoCode = promoCode(requestedPromoCode);
        String destination = destinationUrl == null
                ? settings.defaultDestination().toString().replaceAll("/+$", "") + "/products/"
                        + URLEncoder.encode(productId, StandardCharsets.UTF_8)
                : destination(destinationUrl);
        Instant expiresAt = null;
        if (expiresInDays != null) {
            int days = expiresInDays;
            if (days < 1 || days > 3650) {
                throw invalidRequest("'expiresInDays' must be from 1 to 3650.", "expiresInDays");
            }
            expiresAt = clock.instant().plus(days, ChronoUnit.DAYS);
        }
        return new NewLink(productId, promoCode, destination, expiresAt);
    }

    /** Generates a link under the tier's active-link limit, in the caller's transaction {@code c}. */
    public Link generate(Connection c, UUID userId, NewLink request) {
        LinkRepository.Influencer influencer = repository
                .lockInfluencerOfUser(c, userId)
                .orElseThrow(() -> new DomainException(
                        Kind.FORBIDDEN,
                        "not-an-influencer",
                        "Not an influencer",
                        "Register as an influencer before generating referral links."));
        if (!ProductService.isActive(c, request.productId())) {
            throw new DomainException(
                            Kind.INVALID,
                            "unknown-product",
                            "Unknown product",
                            "'productId' must name an active merchant product.")
                    .with("field", "productId");
        }
        enforceLimit(c, influencer, 1);
        Timestamp expires = request.expiresAt() == null ? null : Timestamp.from(request.expiresAt());
        for (int attempt = 0; attempt < CODE_ATTEMPTS; attempt++) {
            Optional<Link> created = repository.insert(
                    c,
                    influencer.id(),
                    request.productId(),
                    newCode(),
                    request.promoCode(),
                    request.destination(),
                    expires);
            if (created.isPresent()) {
                return created.get();
            }
        }
        throw new IllegalStateException("no free link code after " + CODE_ATTEMPTS + " attempts");
    }

    public LinkPage mine(Connection c, UUID userId, int limit, int offset) {
        List<Link> items = repository.pageOfUser(c, userId, limit, offset);
        return new LinkPage(items, repository.countOfUser(c, userId), limit, offset);
    }

    /** The link when the caller owns it or is an admin; otherwise 404 (existence is not revealed). */
    public Link get(Connection c, UUID userId, boolean admin, UUID linkId) {
        return visible(c, userId, admin, linkId, false).link();
    }

    /**
     * Checks a change of a link (no database): {@link Kind#INVALID} for a malformed field or a
     * disallowed destination; null members stay as they are.
     */
    public LinkChange change(String newPromoCode, String destinationUrl, String newExpiresAt, Boolean isActive) {
        String promoCode = newPromoCode == null ? null : promoCode(newPromoCode);
        String destination = destinationUrl == null ? null : destination(destinationUrl);
        Instant expiresAt = null;
        if (newExpiresAt != null) {
            try {
                expiresAt = instant(newExpiresAt);
            } catch (RuntimeException e) {
                throw invalidRequest(
                        "'expiresAt' must be an ISO-8601 timestamp with offset, years 1970 to 9999.", "expiresAt");
            }
        }
        return new LinkChange(promoCode, destination, expiresAt, isActive);
    }

    public Link update(Connection c, UUID userId, boolean admin, UUID linkId, LinkChange change) {
        LinkRepository.Owned row = visible(c, userId, admin, linkId, false);
        LinkRepository.Influencer influencer = repository.lockInfluencer(c, row.influencerId());
        Timestamp expires = change.expiresAt() == null ? null : Timestamp.from(change.expiresAt());
        repository.update(c, linkId, change.promoCode(), change.destination(), expires, change.isActive());
        if (Boolean.TRUE.equals(change.isActive()) || expires != null) {
            enforceLimit(c, influencer, 0);
        }
        return repository.get(c, linkId);
    }

    /** Deactivates the link; the redirect answers 410 from the next request on. */
    public Link deactivate(Connection c, UUID userId, boolean admin, UUID linkId) {
        visible(c, userId, admin, linkId, true);
        repository.deactivate(c, linkId);
        return repository.get(c, linkId);
    }

    public Metrics metrics(Connection c, UUID userId, boolean admin, UUID linkId) {
        visible(c, userId, admin, linkId, false);
        LinkRepository.Converted converted = repository.conversions(c, linkId);
        LinkRepository.Clicks clicks = repository.clicks(c, linkId);
        return new Metrics(
                linkId,
                clicks.clicks(),
                clicks.visitors(),
                clicks.bots(),
                clicks.uncounted(),
                converted.count(),
                converted.earned(),
                converted.commission(),
                conversionRate(converted.count(), clicks.clicks()));
    }

    /** Refuses a range where {@code from} is after {@code to} or longer than 366 days (no database). */
    public static void checkRange(LocalDate from, LocalDate to) {
        if (to.isBefore(from) || ChronoUnit.DAYS.between(from, to) > 365) {
            throw new DomainException(
                    Kind.INVALID,
                    "invalid-date-range",
                    "Invalid date range",
                    "'from' must not be after 'to', and the range at most 366 days.");
        }
    }

    /** Counted, non-bot clicks per UTC day from {@code from} to {@code to} inclusive (at most 366 days). */
    public Analytics analytics(Connection c, UUID userId, boolean admin, UUID linkId, LocalDate from, LocalDate to) {
        checkRange(from, to);
        visible(c, userId, admin, linkId, false);
        return new Analytics(linkId, from, to, repository.days(c, linkId, from, to));
    }

    /** What the redirect needs of a link. */
    public record Target(UUID linkId, String code, String destination, boolean active, Instant expiresAt) {}

    /** Refuses when active links plus {@code adding} exceed the tier's limit (influencer row locked). */
    private void enforceLimit(Connection c, LinkRepository.Influencer influencer, int adding) {
        int limit = influencer.tier().activeLinkLimit();
        if (limit == Integer.MAX_VALUE) {
            return;
        }
        long active = repository.countActive(c, influencer.id());
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

    private LinkRepository.Owned visible(Connection c, UUID userId, boolean admin, UUID linkId, boolean lock) {
        Optional<LinkRepository.Owned> row = repository.owned(c, linkId, lock);
        if (row.isEmpty() || !(admin || row.get().userId().equals(userId))) {
            throw new DomainException(Kind.NOT_FOUND, "link-not-found", "Link not found", "No such link.");
        }
        return row.get();
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
