package finance.twist.common.metrics;

import io.helidon.metrics.api.Metrics;
import io.helidon.metrics.api.Timer;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Request duration per route template, method and status class. Labels are bounded: routes are
 * templates, statuses are collapsed to 2xx/3xx/4xx/5xx.
 */
public final class HttpMetrics {

    private static final Duration[] BUCKETS = {
        Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
        Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
        Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5)
    };

    private final ConcurrentMap<String, Timer> timers = new ConcurrentHashMap<>();

    /** Records one finished request. */
    public void record(String route, int status, long nanos) {
        String outcome = (status / 100) + "xx";
        timers.computeIfAbsent(
                        route + '|' + outcome,
                        key -> Metrics.globalRegistry()
                                .getOrCreate(Timer.builder("twist_http_server_requests")
                                        .description("HTTP requests by route template and status class")
                                        .tags(Metrics.tags("route", route, "status", outcome))
                                        .buckets(BUCKETS)))
                .record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }
}
