package finance.twist.common.ratelimit;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Token buckets per client held in this process: a decision costs a map lookup and a few
 * arithmetic operations, no network round trip, so it can run before any database or Redis work
 * (issue 21: cheap refusal of abusive public requests). Each replica counts on its own, so with
 * {@code n} replicas behind a load balancer a client gets up to about {@code n} times the rate;
 * {@link RedisRateLimiter} is the shared, exact alternative for limits that matter per account.
 *
 * <p>Memory is bounded: at most {@code maxClients} buckets per limiter. When the table is full, the
 * buckets that have refilled completely are dropped (a full bucket is the same as no bucket, so
 * nobody gains anything); if it is still full, a new client is counted in one shared overflow
 * bucket of its group, so an attack from more addresses than the table holds throttles the
 * newcomers together instead of growing the heap.
 */
public final class LocalRateLimiter {

    /**
     * A token bucket's shape.
     *
     * @param perSecond tokens added per second (the sustained rate), more than 0
     * @param burst the bucket's size (requests allowed at once after a quiet period), at least 1
     */
    public record Rate(double perSecond, int burst) {
        public Rate {
            if (!(perSecond > 0) || Double.isInfinite(perSecond) || burst < 1) {
                throw new IllegalArgumentException("a rate needs perSecond > 0 and burst >= 1");
            }
        }
    }

    /**
     * The outcome for one request, with what the IETF draft headers need.
     *
     * @param allowed false when the client's bucket is empty
     * @param limit the bucket's size ({@code RateLimit-Limit})
     * @param remaining whole requests left now ({@code RateLimit-Remaining})
     * @param resetSeconds seconds until the bucket is full again ({@code RateLimit-Reset})
     * @param retryAfterSeconds seconds until one request is allowed (at least 1) when refused; 0 when allowed
     */
    public record Decision(boolean allowed, long limit, long remaining, long resetSeconds, long retryAfterSeconds) {}

    private static final long NANOS = 1_000_000_000L;
    private static final long SWEEP_EVERY_NANOS = NANOS;

    private final int maxClients;
    private final LongSupplier nanoTime;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final AtomicLong lastSweep;

    /** With the system's monotonic clock. */
    public LocalRateLimiter(int maxClients) {
        this(maxClients, System::nanoTime);
    }

    /** With a clock of nanoseconds (tests). */
    public LocalRateLimiter(int maxClients, LongSupplier nanoTime) {
        if (maxClients < 1) {
            throw new IllegalArgumentException("maxClients must be at least 1");
        }
        this.maxClients = maxClients;
        this.nanoTime = nanoTime;
        this.lastSweep = new AtomicLong(nanoTime.getAsLong() - SWEEP_EVERY_NANOS);
    }

    /** Takes one token from {@code client}'s bucket of {@code group}. */
    public Decision acquire(String group, String client, Rate rate) {
        long now = nanoTime.getAsLong();
        String key = group + '|' + client;
        Bucket bucket = buckets.get(key);
        if (bucket == null) {
            if (buckets.size() >= maxClients) {
                sweep(now);
            }
            if (buckets.size() >= maxClients) {
                key = group + "|*overflow";
            }
            bucket = buckets.computeIfAbsent(key, k -> new Bucket(rate, now));
        }
        return bucket.take(now);
    }

    /** Buckets held now (tests and metrics). */
    public int size() {
        return buckets.size();
    }

    /** Drops every bucket that has refilled completely; at most once a second. */
    private void sweep(long now) {
        long last = lastSweep.get();
        if (now - last < SWEEP_EVERY_NANOS || !lastSweep.compareAndSet(last, now)) {
            return;
        }
        buckets.entrySet().removeIf(entry -> entry.getValue().fullAt(now));
    }

    /** One client's tokens, refilled lazily on each take. */
    private static final class Bucket {
        private final Rate rate;
        private double tokens;
        private long updated;

        Bucket(Rate rate, long now) {
            this.rate = rate;
            this.tokens = rate.burst();
            this.updated = now;
        }

        synchronized Decision take(long now) {
            refill(now);
            boolean allowed = tokens >= 1;
            if (allowed) {
                tokens -= 1;
            }
            long reset = ceilSeconds((rate.burst() - tokens) / rate.perSecond());
            long retry = allowed ? 0 : Math.max(1, ceilSeconds((1 - tokens) / rate.perSecond()));
            return new Decision(allowed, rate.burst(), (long) Math.floor(tokens), reset, retry);
        }

        synchronized boolean fullAt(long now) {
            refill(now);
            return tokens >= rate.burst();
        }

        private void refill(long now) {
            if (now > updated) {
                tokens = Math.min(rate.burst(), tokens + (now - updated) * rate.perSecond() / NANOS);
                updated = now;
            }
        }

        private static long ceilSeconds(double seconds) {
            return (long) Math.ceil(Math.max(0, seconds) - 1e-9);
        }
    }
}
