package finance.twist.common.ratelimit;

import finance.twist.common.redis.LuaScript;
import finance.twist.common.redis.Redis;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Fixed-window rate limits counted in Redis, shared by every replica. One Lua script increments all
 * the buckets of a request and sets each bucket's expiry in the same atomic step (a crash between an
 * INCR and its EXPIRE can never leave an immortal counter), and answers in one round trip.
 *
 * <pre>
 * RedisRateLimiter limiter = new RedisRateLimiter(redis);
 * Decision d = limiter.acquire(List.of(
 *         new Limit(redis.key("rl", "ip", ip), 120, Duration.ofMinutes(1)),
 *         new Limit(redis.key("rl", "wallet", wallet), 30, Duration.ofMinutes(1))));
 * if (!d.allowed()) { ... 429 with Retry-After: d.retryAfterSeconds() ... }
 * </pre>
 */
public final class RedisRateLimiter {

    /**
     * One bucket.
     *
     * @param key full Redis key (build it with {@link Redis#key})
     * @param max requests allowed per window
     * @param window window length (at least one millisecond)
     */
    public record Limit(String key, long max, Duration window) {
        public Limit {
            if (max < 0 || window.toMillis() < 1) {
                throw new IllegalArgumentException("limit needs max >= 0 and a window of at least 1 ms");
            }
        }
    }

    /**
     * The outcome for a request.
     *
     * @param allowed false when any bucket is over its limit
     * @param remaining requests left in the tightest bucket (0 when refused)
     * @param retryAfterSeconds whole seconds (rounded up, at least 1) until the refusing bucket resets; 0 when allowed
     */
    public record Decision(boolean allowed, long remaining, long retryAfterSeconds) {}

    // KEYS: buckets; ARGV: max1, windowMs1, max2, windowMs2, ...
    // Returns {allowed (1/0), remaining, retryAfterMs}
    private static final LuaScript SCRIPT = new LuaScript("""
            local allowed = 1
            local remaining = -1
            local retry = 0
            for i, key in ipairs(KEYS) do
              local max = tonumber(ARGV[2 * i - 1])
              local window = tonumber(ARGV[2 * i])
              local count = redis.call('INCR', key)
              local ttl = redis.call('PTTL', key)
              if ttl < 0 then
                redis.call('PEXPIRE', key, window)
                ttl = window
              end
              if count > max then
                allowed = 0
                if ttl > retry then retry = ttl end
              else
                local left = max - count
                if remaining < 0 or left < remaining then remaining = left end
              end
            end
            if allowed == 0 then remaining = 0 end
            if remaining < 0 then remaining = 0 end
            return {allowed, remaining, retry}
            """);

    private final Redis redis;

    public RedisRateLimiter(Redis redis) {
        this.redis = redis;
    }

    /** Counts this request in every bucket and decides; an empty list is always allowed. */
    public Decision acquire(List<Limit> limits) {
        if (limits.isEmpty()) {
            return new Decision(true, Long.MAX_VALUE, 0);
        }
        List<String> keys = new ArrayList<>(limits.size());
        List<String> args = new ArrayList<>(limits.size() * 2);
        for (Limit limit : limits) {
            keys.add(limit.key());
            args.add(Long.toString(limit.max()));
            args.add(Long.toString(limit.window().toMillis()));
        }
        List<?> result = (List<?>) SCRIPT.eval(redis, keys, args);
        boolean allowed = ((Number) result.get(0)).longValue() == 1;
        long remaining = ((Number) result.get(1)).longValue();
        long retryMs = ((Number) result.get(2)).longValue();
        return new Decision(allowed, remaining, allowed ? 0 : Math.max(1, (retryMs + 999) / 1000));
    }
}
