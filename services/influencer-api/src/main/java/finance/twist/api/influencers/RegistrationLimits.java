package finance.twist.api.influencers;

import finance.twist.api.domain.DomainException;
import finance.twist.api.domain.DomainException.Kind;
import finance.twist.common.logging.StructuredLog;
import finance.twist.common.ratelimit.RedisRateLimiter;
import finance.twist.common.ratelimit.RedisRateLimiter.Limit;
import finance.twist.common.redis.Redis;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * Limits on the endpoints that send email (reference §2.5.2): 3 registration attempts per (email
 * address, user) and 10 per user per hour (counted whether or not they succeed), 3 verification
 * resends per user per hour. The address bucket is per requester (issue 21): a third party's
 * attempts with somebody else's address spend the third party's budget, never the owner's. Counted
 * in Redis for every replica (each bucket expires with its window); the email appears in keys only
 * as a SHA-256. Over the limit: 429 with Retry-After; Redis unavailable: 503 (no unlimited mail).
 */
public final class RegistrationLimits {

    private static final StructuredLog LOG = StructuredLog.of(RegistrationLimits.class);
    private static final Duration HOUR = Duration.ofHours(1);

    private final Redis redis;
    private final RedisRateLimiter limiter;

    public RegistrationLimits(Redis redis) {
        this.redis = redis;
        this.limiter = new RedisRateLimiter(redis);
    }

    public void register(UUID userId, String email) {
        String address = email == null ? "" : email.trim().toLowerCase(Locale.ROOT);
        check(List.of(
                new Limit(redis.key("rl", "register", "email", sha256(address), userId.toString()), 3, HOUR),
                new Limit(redis.key("rl", "register", "user", userId.toString()), 10, HOUR)));
    }

    public void resend(UUID userId) {
        check(List.of(new Limit(redis.key("rl", "resend", "user", userId.toString()), 3, HOUR)));
    }

    private void check(List<Limit> limits) {
        RedisRateLimiter.Decision decision;
        try {
            decision = limiter.acquire(limits);
        } catch (RuntimeException e) {
            LOG.warn("ratelimit.unavailable", "reason", e.getClass().getSimpleName());
            throw new DomainException(
                    Kind.UNAVAILABLE,
                    "unavailable",
                    "Service unavailable",
                    "Rate limiting is unavailable; retry shortly.",
                    Map.of("retryAfterSeconds", 5));
        }
        if (!decision.allowed()) {
            throw new DomainException(
                    Kind.LIMITED,
                    "rate-limited",
                    "Too many requests",
                    "Rate limit exceeded; retry later.",
                    Map.of("retryAfterSeconds", decision.retryAfterSeconds()));
        }
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
