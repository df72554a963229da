package finance.twist.api.http;

import finance.twist.common.http.ClientIp;
import finance.twist.common.http.Problem;
import finance.twist.common.http.Responses;
import finance.twist.common.ratelimit.LocalRateLimiter;
import finance.twist.common.ratelimit.LocalRateLimiter.Decision;
import finance.twist.common.ratelimit.LocalRateLimiter.Rate;
import io.helidon.config.Config;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.Metrics;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import java.util.EnumMap;
import java.util.Map;

/**
 * Per-client rate limits on the public routes that cost database work or CPU (issue 21), checked
 * before anything else runs (no token, no database, no Redis): an in-process token bucket per
 * client IP (IPv6 by /64, {@link ClientIp#bucket}; forwarding headers believed only from the
 * trusted proxies of {@code links.trusted-proxies}). A refused request gets 429 problem+json of
 * type {@code https://twist.finance/problems/rate-limited} with {@code Retry-After}; every counted
 * request carries the IETF draft headers {@code RateLimit-Limit}, {@code RateLimit-Remaining} and
 * {@code RateLimit-Reset} (seconds), as auth-service and the edge send.
 *
 * <table>
 * <caption>groups and their keys (environment variable in brackets)</caption>
 * <tr><th>group</th><th>routes</th><th>keys</th></tr>
 * <tr><td>reads</td><td>GET /staking/search, GET /staking/influencer/{id}, GET /influencers/{username},
 * POST /influencers/verify-email</td><td>ratelimit.reads.rate|burst [RATELIMIT_READS_RATE, RATELIMIT_READS_BURST]</td></tr>
 * <tr><td>redirects</td><td>GET /r/{code}</td><td>ratelimit.redirects.rate|burst</td></tr>
 * <tr><td>conversions</td><td>POST /conversions (before the signature and the secret lookup)</td>
 * <td>ratelimit.conversions.rate|burst</td></tr>
 * </table>
 *
 * <p>{@code rate} is requests per second sustained, {@code burst} the bucket size. Also
 * {@code ratelimit.enabled} [RATELIMIT_ENABLED] and {@code ratelimit.clients} [RATELIMIT_CLIENTS],
 * the clients tracked per group before newcomers share one overflow bucket
 * ({@link LocalRateLimiter}). Each replica counts on its own: with {@code n} replicas a client may
 * get up to {@code n} times these rates. {@code /ready} is not limited (probes); its result is
 * cached instead ({@code server.readiness-cache}). Authenticated routes are not limited here.
 * Metric {@code twist_public_rate_limited_total{group}}.
 *
 * <p>What a flood may still take from the rest of the service is bounded by
 * {@link PublicLoadShedding}: a refusal is held {@code ratelimit.refusal.hold} before it is sent,
 * and allowed public requests do their work in a bulkhead of {@code ratelimit.work.concurrency}.
 */
public final class PublicRateLimitFilter implements Filter {

    static final HeaderName LIMIT = HeaderNames.create("RateLimit-Limit");
    static final HeaderName REMAINING = HeaderNames.create("RateLimit-Remaining");
    static final HeaderName RESET = HeaderNames.create("RateLimit-Reset");

    /** Which bucket a public route counts in. */
    enum Group {
        READS("reads", new Rate(5, 20)),
        REDIRECTS("redirects", new Rate(5, 20)),
        CONVERSIONS("conversions", new Rate(50, 200));

        final String key;
        final Rate defaults;

        Group(String key, Rate defaults) {
            this.key = key;
            this.defaults = defaults;
        }
    }

    private final boolean enabled;
    private final LocalRateLimiter limiter;
    private final ClientIp clientIp;
    private final Map<Group, Rate> rates = new EnumMap<>(Group.class);
    private final Map<Group, Counter> refused = new EnumMap<>(Group.class);
    private final PublicLoadShedding shedding;

    PublicRateLimitFilter(
            boolean enabled, int clients, Map<Group, Rate> rates, ClientIp clientIp, PublicLoadShedding shedding) {
        this.enabled = enabled;
        this.shedding = shedding;
        this.limiter = new LocalRateLimiter(clients);
        this.clientIp = clientIp;
        this.rates.putAll(rates);
        for (Group group : Group.values()) {
            this.rates.putIfAbsent(group, group.defaults);
            refused.put(
                    group,
                    Metrics.globalRegistry()
                            .getOrCreate(Counter.builder("twist_public_rate_limited")
                                    .description("Public requests refused by the per-client rate limit")
                                    .tags(Metrics.tags("group", group.key))));
        }
    }

    /** From {@code ratelimit.*}; {@code shedding} is shared with the handlers of routes with a body. */
    public static PublicRateLimitFilter from(Config config, ClientIp clientIp, PublicLoadShedding shedding) {
        Map<Group, Rate> rates = new EnumMap<>(Group.class);
        for (Group group : Group.values()) {
            Config node = config.get(group.key);
            rates.put(
                    group,
                    new Rate(
                            node.get("rate").asDouble().orElse(group.defaults.perSecond()),
                            node.get("burst").asInt().orElse(group.defaults.burst())));
        }
        return new PublicRateLimitFilter(
                config.get("enabled").asBoolean().orElse(true),
                config.get("clients").asInt().orElse(100_000),
                rates,
                clientIp,
                shedding);
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        Group group = enabled ? groupOf(req.prologue().method(), req.path().path()) : null;
        if (group == null) {
            chain.proceed();
            return;
        }
        Decision decision = limiter.acquire(group.key, clientIp.bucketOf(req), rates.get(group));
        res.header(LIMIT, Long.toString(decision.limit()));
        res.header(REMAINING, Long.toString(decision.remaining()));
        res.header(RESET, Long.toString(decision.resetSeconds()));
        if (!decision.allowed()) {
            refused.get(group).increment();
            shedding.holdRefusal();
            Responses.problem(req, res, Problem.tooManyRequests(decision.retryAfterSeconds()));
            return;
        }
        // a route with a body enters the bulkhead in its handler once the body is read
        // (PublicLoadShedding.work), so a client sending it slowly holds no place
        if (!Method.GET.equals(req.prologue().method())) {
            chain.proceed();
            return;
        }
        if (!shedding.acquireWork()) {
            Responses.problem(req, res, PublicLoadShedding.overloaded());
            return;
        }
        try {
            chain.proceed();
        } finally {
            shedding.release();
        }
    }

    /** The group of a public route, null for any other request. */
    static Group groupOf(Method method, String path) {
        if (Method.GET.equals(method)) {
            if (path.equals("/staking/search")
                    || oneSegmentAfter(path, "/staking/influencer/")
                    || (oneSegmentAfter(path, "/influencers/"))) {
                return Group.READS;
            }
            if (oneSegmentAfter(path, "/r/")) {
                return Group.REDIRECTS;
            }
            return null;
        }
        if (Method.POST.equals(method)) {
            if (path.equals("/conversions")) {
                return Group.CONVERSIONS;
            }
            if (path.equals("/influencers/verify-email")) {
                return Group.READS;
            }
        }
        return null;
    }

    private static boolean oneSegmentAfter(String path, String prefix) {
        return path.length() > prefix.length() && path.startsWith(prefix) && path.indexOf('/', prefix.length()) < 0;
    }
}
