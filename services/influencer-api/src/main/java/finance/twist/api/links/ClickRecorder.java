package finance.twist.api.links;

import finance.twist.common.logging.StructuredLog;
import finance.twist.common.ratelimit.RedisRateLimiter;
import finance.twist.common.ratelimit.RedisRateLimiter.Limit;
import finance.twist.common.redis.Redis;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Records followed redirects: the rules (bot detection, the per-IP limit, hashing); the SQL is in
 * {@link ClickRepository}. The client IP and user agent are stored only as SHA-256 of the
 * configured pepper and the value. Every click is recorded; {@code counted} is false when the
 * per-link, per-IP rate limit in Redis is exceeded. When Redis cannot be asked the click counts
 * (attribution must not depend on Redis being up; the redirect happens regardless). Clicks flagged as bots draw
 * on a budget of their own, so a crawler or a script hammering a link from a buyer's address
 * (a shared NAT, an office) never spends that address's human clicks. A click from a network the
 * link's influencer used for their own requests ({@link OwnNetworks}) is recorded {@code is_own}.
 */
public final class ClickRecorder {

    private static final StructuredLog LOG = StructuredLog.of(ClickRecorder.class);
    /** Separators between the products and comments of a User-Agent (RFC 9110 §10.1.5). */
    private static final Pattern UA_SEPARATORS = Pattern.compile("[\\s;(),+]+");
    /** A crawler's product name: ends in bot, crawler or spider, optionally with a dashed suffix. */
    private static final Pattern CRAWLER_NAME = Pattern.compile("[a-z0-9._-]*(bot|crawler|spider)(-[a-z0-9-]+)?");
    /**
     * Whole tokens (product names, with or without a version) that name a crawler, a link
     * previewer or a scripted client. Matched as tokens, never as substrings: "Cubot" (a phone
     * brand) and "RoboticsApp" are not bots.
     */
    private static final Set<String> BOT_TOKENS = Set.of(
            "bot",
            "crawler",
            "spider",
            "slurp",
            "googlebot",
            "bingbot",
            "yandexbot",
            "duckduckbot",
            "applebot",
            "twitterbot",
            "telegrambot",
            "slackbot",
            "slackbot-linkexpanding",
            "discordbot",
            "linkedinbot",
            "adsbot-google",
            "baiduspider",
            "petalbot",
            "facebookexternalhit",
            "facebookcatalog",
            "curl",
            "wget",
            "python-requests",
            "python-urllib",
            "python-httpx",
            "aiohttp",
            "go-http-client",
            "java-http-client",
            "apache-httpclient",
            "okhttp",
            "libwww-perl",
            "scrapy",
            "axios",
            "node-fetch",
            "undici",
            "headlesschrome",
            "phantomjs");

    private static final Pattern COUNTRY = Pattern.compile("[A-Z]{2}");

    private final Redis redis;
    private final RedisRateLimiter limiter;
    private final LinkSettings settings;
    private final PepperedHash hash;
    private final OwnNetworks own;

    public ClickRecorder(Redis redis, LinkSettings settings, OwnNetworks own) {
        this.redis = redis;
        this.limiter = new RedisRateLimiter(redis);
        this.settings = settings;
        this.hash = new PepperedHash(settings.ipPepper());
        this.own = own;
    }

    /**
     * A visit as the redirect saw it.
     *
     * @param ip the client address
     * @param network its network: the address for IPv4, the /64 for IPv6 (the rate limits' bucket)
     * @param userAgent the User-Agent header
     * @param referrer the Referer header
     * @param country Cloudflare's CF-IPCountry header
     */
    public record Visit(String ip, String network, String userAgent, String referrer, String country) {}

    /**
     * A click ready to record ({@link #click}): hashes instead of the client IP and user agent, the
     * referrer cut to 512 characters, the country when it is a two-letter code.
     *
     * @param code the followed link's code
     * @param ipHash SHA-256 of the pepper and the client IP
     * @param userAgentHash SHA-256 of the pepper and the user agent, null without one
     * @param referrer may be null
     * @param country ISO 3166 alpha-2, or null
     * @param bot whether the user agent names a crawler or a script ({@link #isBot})
     * @param counted false when the per-link, per-IP limit is exceeded
     * @param networkHash SHA-256 of the pepper and the client's network, compared with the networks
     *     of the link's influencer ({@link OwnNetworks}) to store {@code is_own}
     */
    public record Click(
            String code,
            byte[] ipHash,
            byte[] userAgentHash,
            String referrer,
            String country,
            boolean bot,
            boolean counted,
            byte[] networkHash) {}

    /**
     * A followed link and the recorded click's id (null when the link is deactivated or expired:
     * nothing is recorded then). {@link #follow} is empty when no link has the code.
     */
    public record Followed(LinkService.Target link, UUID clickId) {}

    /**
     * Classifies a visit of {@code code} and asks the per-link, per-IP limit in Redis whether it
     * counts; no database. The limit is keyed by the code, which names exactly one link for good.
     * Called before the redirect's read opens, so a slow Redis never holds a pooled connection.
     */
    public Click click(String code, Visit visit) {
        byte[] ipHash = hash.of(visit.ip() == null ? "" : visit.ip());
        String ua = visit.userAgent();
        boolean bot = isBot(ua);
        boolean counted = withinLimit(code, ipHash, bot);
        String referrer = visit.referrer() == null || visit.referrer().isBlank()
                ? null
                : visit.referrer().substring(0, Math.min(512, visit.referrer().length()));
        String country = visit.country() != null
                        && COUNTRY.matcher(visit.country()).matches()
                        && !visit.country().equals("XX")
                ? visit.country()
                : null;
        return new Click(
                code,
                ipHash,
                ua == null ? null : hash.of(ua),
                referrer,
                country,
                bot,
                counted,
                own.networkOf(visit.network()));
    }

    /**
     * Looks the link up and records {@code click} in the caller's read {@code c}, in one statement
     * ({@link ClickRepository}); empty when no link has the code.
     */
    public Optional<Followed> follow(Connection c, Click click, Instant now) {
        return ClickRepository.followAndRecord(c, click, now);
    }

    /**
     * A missing or empty user agent, or one with a token naming a crawler or a scripted client:
     * a token of {@link #BOT_TOKENS}, or a versioned product whose name ends in bot, crawler or
     * spider ({@code Googlebot/2.1}, {@code PetalBot/1.0}, {@code AhrefsBot/7.0}). A bare word
     * ending in "bot" without a version ({@code CUBOT P20}, a phone) is not enough.
     */
    static boolean isBot(String userAgent) {
        if (userAgent == null || userAgent.isBlank()) {
            return true;
        }
        for (String token : UA_SEPARATORS.split(userAgent.toLowerCase(Locale.ROOT))) {
            int slash = token.indexOf('/');
            String name = slash < 0 ? token : token.substring(0, slash);
            if (BOT_TOKENS.contains(name)) {
                return true;
            }
            if (slash > 0
                    && slash < token.length() - 1
                    && CRAWLER_NAME.matcher(name).matches()) {
                return true;
            }
        }
        return false;
    }

    /** Per link and client IP: human clicks and bot hits are two separate budgets. */
    private boolean withinLimit(String code, byte[] ipHash, boolean bot) {
        try {
            return limiter.acquire(List.of(new Limit(
                            redis.key(
                                    "rl",
                                    bot ? "click-bot" : "click",
                                    code,
                                    HexFormat.of().formatHex(ipHash)),
                            settings.clicksPerMinute(),
                            Duration.ofMinutes(1))))
                    .allowed();
        } catch (RuntimeException e) {
            // Redis is down: no limit can be applied, so the click counts. Recording it uncounted
            // would take every buyer of the outage out of link-code attribution (issue 21); the
            // flood protection the limit gives pauses for the outage instead.
            LOG.warn("links.click_limit_unavailable", "reason", e.getClass().getSimpleName());
            return true;
        }
    }
}
