package finance.twist.api.http;

import finance.twist.common.http.Problem;
import finance.twist.common.http.ProblemException;
import finance.twist.common.ratelimit.LocalRateLimiter.Rate;
import io.helidon.config.Config;
import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.Metrics;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * What a flood of public requests may take from the rest of the service, beyond the per-client
 * buckets of {@link PublicRateLimitFilter} (issue 21). Two bounds, both per replica:
 *
 * <ul>
 *   <li><b>A refusal is held before it is sent</b> ({@code ratelimit.refusal.hold}, default 1 s):
 *       a client that ignores {@code Retry-After} and sends again as soon as it is answered can
 *       send only about {@code connections / hold} requests a second, so a closed-loop flood of 64
 *       connections costs the service about 64 refusals a second instead of thousands. Holding is
 *       a parked virtual thread and an open connection; at most {@code ratelimit.refusal.held}
 *       (default 1,000) refusals are held at once, beyond which the 429 is sent at once (an
 *       attacker with more connections than that meets the cost of refusing again, which only a
 *       limit in front of the service removes: docs/threat-model.md).
 *   <li><b>Public work runs in a bulkhead</b> ({@code ratelimit.work.concurrency}, default 4): at
 *       most that many allowed public requests do their work (database, decryption) at once, and
 *       their work starts at most {@code ratelimit.work.rate} times a second (default 200,
 *       {@code ratelimit.work.burst} 200 at once after a quiet spell). The others wait, in arrival
 *       order, for a place and their start slot up to {@code ratelimit.work.wait} (default 1 s)
 *       and are then answered 503 {@code unavailable} with {@code Retry-After: 1}; at most
 *       {@code ratelimit.work.queue} (default 1,000) wait, and a 503 sent without waiting is held
 *       like a 429. So 64 clients, each within its own bucket, can neither fill the database pool
 *       nor, with requests cheap enough that four places serve thousands a second, take the CPU
 *       ahead of an authenticated stake. Routes with a body ({@code POST /conversions},
 *       {@code POST /influencers/verify-email}) enter it in their handler once the body is read
 *       ({@link #work}), so a client sending a body slowly holds no place.
 * </ul>
 *
 * <p>{@code ratelimit.enabled} false switches both off (tests that call from one address).
 *
 * <p>Metrics: {@code twist_public_refusals_held_total}, {@code twist_public_work_shed_total}.
 */
public final class PublicLoadShedding {

    private final boolean enabled;
    private final Duration hold;
    private final int maxHeld;
    private final AtomicInteger held = new AtomicInteger();
    private final Semaphore work;
    private final Pacer pacer;
    private final Duration workWait;
    private final int maxWaiting;
    private final AtomicInteger waiting = new AtomicInteger();
    private final Counter heldTotal;
    private final Counter shedTotal;

    PublicLoadShedding(Duration hold, int maxHeld, int concurrency, Rate rate, Duration workWait, int maxWaiting) {
        this(true, hold, maxHeld, concurrency, rate, workWait, maxWaiting);
    }

    private PublicLoadShedding(
            boolean enabled,
            Duration hold,
            int maxHeld,
            int concurrency,
            Rate rate,
            Duration workWait,
            int maxWaiting) {
        if (hold.isNegative() || workWait.isNegative() || maxHeld < 0 || concurrency < 1 || maxWaiting < 0) {
            throw new IllegalArgumentException(
                    "ratelimit.refusal.hold and ratelimit.work.wait must not be negative, ratelimit.work.concurrency at least 1");
        }
        this.pacer = new Pacer(rate, System::nanoTime);
        this.enabled = enabled;
        this.hold = hold;
        this.maxHeld = maxHeld;
        this.work = new Semaphore(concurrency, true);
        this.workWait = workWait;
        this.maxWaiting = maxWaiting;
        this.heldTotal = Metrics.globalRegistry()
                .getOrCreate(Counter.builder("twist_public_refusals_held")
                        .description("Public 429 answers held for ratelimit.refusal.hold before they were sent"));
        this.shedTotal = Metrics.globalRegistry()
                .getOrCreate(Counter.builder("twist_public_work_shed")
                        .description(
                                "Allowed public requests answered 503 because the public work bulkhead stayed full"));
    }

    /** From {@code ratelimit.*}; with {@code ratelimit.enabled} false nothing is held or shed. */
    public static PublicLoadShedding from(Config config) {
        return new PublicLoadShedding(
                config.get("enabled").asBoolean().orElse(true),
                config.get("refusal.hold").as(Duration.class).orElse(Duration.ofSeconds(1)),
                config.get("refusal.held").asInt().orElse(1_000),
                config.get("work.concurrency").asInt().orElse(4),
                new Rate(
                        config.get("work.rate").asDouble().orElse(200.0),
                        config.get("work.burst").asInt().orElse(200)),
                config.get("work.wait").as(Duration.class).orElse(Duration.ofSeconds(1)),
                config.get("work.queue").asInt().orElse(1_000));
    }

    /** Waits {@code ratelimit.refusal.hold} before a 429 is sent, unless too many are held already. */
    void holdRefusal() {
        if (!enabled || hold.isZero()) {
            return;
        }
        try {
            if (held.incrementAndGet() <= maxHeld) {
                heldTotal.increment();
                Thread.sleep(hold);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            held.decrementAndGet();
        }
    }

    /**
     * Takes a place in the bulkhead, waiting up to {@code ratelimit.work.wait}; false when none
     * came free (the caller answers 503). A true answer must be followed by {@link #release()}.
     */
    boolean acquireWork() {
        if (!enabled) {
            return true;
        }
        long started = System.nanoTime();
        // a start slot within the rate first, then a place among those working
        long slotWait = pacer.reserve(workWait.toNanos());
        if (slotWait == 0 && work.tryAcquire()) {
            return true;
        }
        if (slotWait >= 0) {
            try {
                if (waiting.incrementAndGet() <= maxWaiting) {
                    if (slotWait > 0) {
                        TimeUnit.NANOSECONDS.sleep(slotWait);
                    }
                    long left = started + workWait.toNanos() - System.nanoTime();
                    if (work.tryAcquire(Math.max(0, left), TimeUnit.NANOSECONDS)) {
                        return true;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } finally {
                waiting.decrementAndGet();
            }
        }
        shedTotal.increment();
        // refused without waiting (no slot within the wait, or the queue full): held like a 429,
        // so a client that retries at once is slowed the same way
        if (System.nanoTime() - started < hold.toNanos()) {
            holdRefusal();
        }
        return false;
    }

    void release() {
        if (enabled) {
            work.release();
        }
    }

    /**
     * Runs a public request's work holding a place in the bulkhead. For routes with a body, called
     * once the body is read, so a client sending it slowly holds no place.
     *
     * @throws ProblemException 503 {@code unavailable} with {@code Retry-After: 1} when no place came
     *     free in {@code ratelimit.work.wait}
     */
    void work(Runnable work) {
        if (!acquireWork()) {
            throw new ProblemException(overloaded());
        }
        try {
            work.run();
        } finally {
            release();
        }
    }

    /** The answer to a public request the bulkhead could not admit. */
    static Problem overloaded() {
        return Problem.serviceUnavailable("Too many public requests in progress; retry later.")
                .with("retryAfterSeconds", 1);
    }

    /**
     * Start slots at {@code rate.perSecond()} a second for the whole replica, {@code rate.burst()}
     * of them at once after a quiet spell (the generic cell rate algorithm: a theoretical arrival
     * time moved on by one interval per request). A caller is given the wait until its slot, so
     * requests beyond the rate are spread out rather than refused, as long as the slot comes within
     * the caller's wait.
     */
    static final class Pacer {
        private final long intervalNanos;
        private final long toleranceNanos;
        private final LongSupplier nanoTime;
        private long theoreticalArrival;

        Pacer(Rate rate, LongSupplier nanoTime) {
            this.intervalNanos = Math.max(1, Math.round(1e9 / rate.perSecond()));
            this.toleranceNanos = (rate.burst() - 1) * intervalNanos;
            this.nanoTime = nanoTime;
            this.theoreticalArrival = nanoTime.getAsLong();
        }

        /**
         * Reserves the next slot if it comes within {@code maxWaitNanos}.
         *
         * @return nanoseconds until the slot (0: now), or -1 when it would come later (nothing
         *     reserved)
         */
        synchronized long reserve(long maxWaitNanos) {
            long now = nanoTime.getAsLong();
            long arrival = Math.max(theoreticalArrival, now);
            long start = Math.max(now, arrival - toleranceNanos);
            long wait = start - now;
            if (wait > maxWaitNanos) {
                return -1;
            }
            theoreticalArrival = arrival + intervalNanos;
            return wait;
        }
    }
}
