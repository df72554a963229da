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

/**
 * Runs every readiness check in parallel with a deadline, and holds the draining flag that shutdown
 * raises first so load balancers stop sending traffic before the listener closes.
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
    private volatile boolean draining;

    public Readiness(List<ReadinessCheck> checks, Duration timeout) {
        this.checks = List.copyOf(checks);
        this.timeout = timeout;
    }

    /** Marks the service as shutting down; {@code /ready} answers 503 from now on. */
    public void startDraining() {
        draining = true;
    }

    public boolean draining() {
        return draining;
    }

    public Report evaluate() {
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
