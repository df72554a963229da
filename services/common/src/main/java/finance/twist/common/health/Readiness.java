package finance.twist.common.health;

import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.Metrics;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Runs every readiness check in parallel with a deadline, and holds the draining flag that shutdown
 * raises first so load balancers stop sending traffic before the listener closes.
 *
 * <p>With a cache time ({@code server.readiness-cache}, issue 21), one evaluation serves every
 * {@code /ready} asked within that time, and concurrent askers wait for the one evaluation running
 * instead of starting their own: a flood of {@code /ready} on the public port costs at most one
 * round of checks (one database and one Redis call) per cache time. Draining is never cached.
 */
public final class Readiness {

    /**
     * The outcome of one evaluation.
     *
     * @param ready true when not draining and every check passed
     * @param checks check name to "UP" or "DOWN: reason"
     */
    public record Report(boolean ready, Map<String, String> checks) {}

    private final List<ReadinessCheck> checks;
    private final Duration timeout;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<String, AtomicInteger> gauges = new ConcurrentHashMap<>();
    private final long cacheNanos;
    private final ReentrantLock evaluating = new ReentrantLock();
    private volatile boolean draining;
    private volatile Cached cached;

    private record Cached(Report report, long at) {}

    /** Evaluates on every call. */
    public Readiness(List<ReadinessCheck> checks, Duration timeout) {
        this(checks, timeout, Duration.ZERO);
    }

    /**
     * @param cache how long one evaluation answers {@code /ready} (zero: every call evaluates)
     */
    public Readiness(List<ReadinessCheck> checks, Duration timeout, Duration cache) {
        this.checks = List.copyOf(checks);
        this.timeout = timeout;
        this.cacheNanos = Math.max(0, cache.toNanos());
    }

    /** Marks the service as shutting down; {@code /ready} answers 503 from now on. */
    public void startDraining() {
        draining = true;
    }

    public boolean draining() {
        return draining;
    }

    /** The current report: a fresh evaluation, or one at most the cache time old. */
    public Report evaluate() {
        if (cacheNanos == 0 || draining) {
            return evaluateNow();
        }
        Cached last = cached;
        if (last != null && System.nanoTime() - last.at() < cacheNanos) {
            return last.report();
        }
        evaluating.lock();
        try {
            last = cached;
            if (last != null && System.nanoTime() - last.at() < cacheNanos) {
                return last.report();
            }
            Report report = evaluateNow();
            cached = new Cached(report, System.nanoTime());
            return report;
        } finally {
            evaluating.unlock();
        }
    }

    private Report evaluateNow() {
        Map<String, Future<?>> running = new LinkedHashMap<>();
        for (ReadinessCheck check : checks) {
            running.put(check.name(), executor.submit(() -> {
                check.check();
                return null;
            }));
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, String> results = new LinkedHashMap<>();
        boolean ready = !draining;
        if (draining) {
            results.put("shutdown", "DOWN: draining");
        }
        for (Map.Entry<String, Future<?>> entry : running.entrySet()) {
            String result = outcome(entry.getValue(), deadline);
            results.put(entry.getKey(), result);
            boolean up = "UP".equals(result);
            gauge(entry.getKey()).set(up ? 1 : 0);
            ready &= up;
        }
        return new Report(ready, results);
    }

    /**
     * {@code twist_readiness_check_up{check}}: 1 when the dependency answered at the last /ready
     * evaluation (the kubelet probes it every few seconds), so alerts can name what is down.
     */
    private AtomicInteger gauge(String check) {
        return gauges.computeIfAbsent(check, name -> {
            AtomicInteger value = new AtomicInteger(1);
            Metrics.globalRegistry()
                    .getOrCreate(Gauge.builder("twist_readiness_check_up", value, AtomicInteger::doubleValue)
                            .description("1 when the named readiness dependency answered at the last check")
                            .tags(Metrics.tags("check", name)));
            return value;
        });
    }

    private static String outcome(Future<?> future, long deadlineNanos) {
        try {
            future.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
            return "UP";
        } catch (TimeoutException e) {
            future.cancel(true);
            return "DOWN: timed out";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "DOWN: interrupted";
        } catch (Exception e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            return "DOWN: " + cause.getClass().getSimpleName();
        }
    }
}
