package finance.twist.auth;

import finance.twist.common.crypto.Base58;
import finance.twist.common.http.ClientIp;
import finance.twist.common.http.Problem;
import finance.twist.common.http.ProblemException;
import finance.twist.common.http.Requests;
import finance.twist.common.json.Json;
import finance.twist.common.ratelimit.RedisRateLimiter;
import finance.twist.common.ratelimit.RedisRateLimiter.Decision;
import finance.twist.common.ratelimit.RedisRateLimiter.Limit;
import finance.twist.common.redis.Redis;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What every auth route does before its own work: strict, small JSON bodies, wallet address checks,
 * and the Redis rate limits (per client IP, IPv6 by /64, and, when the body names one, per wallet;
 * both counted in one round trip). Per-wallet buckets are never shared between clients in a way
 * that lets one lock another out: nonces count per (wallet, client), verification counts only
 * failed signatures (issue 21).
 */
public final class Guard {

    /** Auth bodies are tiny; anything bigger than this is refused with 413 before parsing. */
    static final int MAX_BODY_BYTES = 8 * 1024;

    private static final Duration MINUTE = Duration.ofMinutes(1);

    private final Redis redis;
    private final RedisRateLimiter limiter;
    private final ClientIp clientIp;
    private final int ipPerMinute;
    private final int walletPerMinute;

    public Guard(Redis redis, ClientIp clientIp, int ipPerMinute, int walletPerMinute) {
        this.redis = redis;
        this.limiter = new RedisRateLimiter(redis);
        this.clientIp = clientIp;
        this.ipPerMinute = ipPerMinute;
        this.walletPerMinute = walletPerMinute;
    }

    /** Parses the JSON body strictly (415 wrong type, 413 too big, 400 malformed or unknown fields). */
    public <T> T body(ServerRequest req, Class<T> type) {
        if (!Requests.isJson(req)) {
            throw new ProblemException(Problem.unsupportedMediaType("Send the body as application/json."));
        }
        if (req.headers().contentLength().orElse(0) > MAX_BODY_BYTES) {
            throw new ProblemException(
                    Problem.payloadTooLarge("The request body exceeds " + MAX_BODY_BYTES + " bytes."));
        }
        if (!req.content().hasEntity()) {
            throw ProblemException.badRequest("A JSON request body is required.");
        }
        return Json.parse(Json.readLimited(req.content().inputStream(), MAX_BODY_BYTES), type);
    }

    /** Whether the request carries a body at all. */
    public static boolean hasBody(ServerRequest req) {
        return req.content().hasEntity() && req.headers().contentLength().orElse(1) > 0;
    }

    /**
     * Counts the request against the per-IP bucket of {@code endpoint} and, when {@code wallet} is
     * not null, the per-wallet bucket; 429 with Retry-After when either is exhausted.
     */
    public void rateLimit(ServerRequest req, ServerResponse res, String endpoint, String wallet) {
        List<Limit> limits = new ArrayList<>(2);
        limits.add(new Limit(redis.key("rl", endpoint, "ip", clientIp.bucketOf(req)), ipPerMinute, MINUTE));
        if (wallet != null) {
            limits.add(new Limit(redis.key("rl", endpoint, "wallet", wallet), walletPerMinute, MINUTE));
        }
        Decision decision = limiter.acquire(limits);
        if (!decision.allowed()) {
            AuthMetrics.rateLimited(endpoint);
            throw new ProblemException(Problem.tooManyRequests(decision.retryAfterSeconds()));
        }
        res.header(HeaderNames.create("RateLimit-Remaining"), Long.toString(decision.remaining()));
    }

    /**
     * The client's rate-limit bucket: its IPv4 address or its IPv6 /64 ({@link ClientIp#bucket}).
     */
    public String clientBucket(ServerRequest req) {
        return clientIp.bucketOf(req);
    }

    /**
     * Counts a verification that failed <em>after</em> the signature check against the wallet's
     * failure bucket (issue 21): a correct signature never reaches this, so junk verify calls for a
     * victim's wallet cannot lock the victim out; they only turn the attacker's own 401s into 429s.
     *
     * @throws ProblemException 429 with Retry-After when the wallet's failure bucket is exhausted
     */
    public void countFailure(ServerRequest req, String endpoint, String wallet) {
        Decision decision = limiter.acquire(
                List.of(new Limit(redis.key("rl", endpoint + "-failed", "wallet", wallet), walletPerMinute, MINUTE)));
        if (!decision.allowed()) {
            AuthMetrics.rateLimited(endpoint);
            throw new ProblemException(Problem.tooManyRequests(decision.retryAfterSeconds()));
        }
    }

    /**
     * A required string field.
     *
     * @throws ProblemException 400 naming the field when it is missing or blank
     */
    public static String required(String value, String field) {
        if (value == null || value.isBlank()) {
            throw new ProblemException(
                    Problem.badRequest("Field '" + field + "' is required.").with("field", field));
        }
        return value;
    }

    /**
     * Checks that {@code wallet} is base58 of a 32-byte Ed25519 public key and returns the key.
     *
     * @throws ProblemException 400 otherwise
     */
    public static byte[] walletKey(String wallet) {
        required(wallet, "walletAddress");
        try {
            return Base58.decode(wallet, Ed25519.PUBLIC_KEY_BYTES);
        } catch (IllegalArgumentException e) {
            throw new ProblemException(Problem.badRequest(
                            "Field 'walletAddress' must be the base58 encoding of a 32-byte Ed25519 public key.")
                    .with("field", "walletAddress"));
        }
    }
}
