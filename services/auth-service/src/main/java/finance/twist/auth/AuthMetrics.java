package finance.twist.auth;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.Metrics;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Security counters on {@code /metrics}, with small fixed label sets:
 *
 * <ul>
 *   <li>{@code twist_auth_logins_total{outcome}}: {@code success}, {@code rejected} (no pending
 *       message matched the signature), {@code replayed} (the matching nonce was consumed by a
 *       concurrent or earlier verify);
 *   <li>{@code twist_auth_refresh_total{outcome}}: {@code rotated}, {@code reused} (theft
 *       suspected, family revoked), {@code revoked}, {@code unknown};
 *   <li>{@code twist_auth_rate_limited_total{endpoint}}: 429s per endpoint.
 * </ul>
 *
 * A rise of {@code reused} or {@code rejected} is worth an alert; see the runbooks.
 */
final class AuthMetrics {

    private static final ConcurrentMap<String, Counter> COUNTERS = new ConcurrentHashMap<>();

    private AuthMetrics() {}

    static void login(String outcome) {
        counter("twist_auth_logins", "Sign-in verifications by outcome", "outcome", outcome)
                .increment();
    }

    static void refresh(String outcome) {
        counter("twist_auth_refresh", "Refresh-token presentations by outcome", "outcome", outcome)
                .increment();
    }

    static void rateLimited(String endpoint) {
        counter("twist_auth_rate_limited", "Requests refused by a rate limit", "endpoint", endpoint)
                .increment();
    }

    private static Counter counter(String name, String description, String label, String value) {
        return COUNTERS.computeIfAbsent(
                name + '|' + value,
                key -> Metrics.globalRegistry()
                        .getOrCreate(
                                Counter.builder(name).description(description).tags(Metrics.tags(label, value))));
    }
}
