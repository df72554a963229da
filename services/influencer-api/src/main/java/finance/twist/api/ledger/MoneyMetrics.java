package finance.twist.api.ledger;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.Metrics;

/**
 * Counters of money movements that completed (committed), for dashboards and alerts. Failures are
 * visible in the request metrics by route and status; these count what actually moved.
 */
public final class MoneyMetrics {

    private MoneyMetrics() {}

    /**
     * One committed stake, unstake or claim.
     *
     * @param operation {@code stake}, {@code unstake} or {@code claim}
     * @param replayed true when an Idempotency-Key replayed a stored response (nothing moved)
     */
    public static void staking(String operation, boolean replayed) {
        counter(
                        "twist_staking_operations_total",
                        "Committed staking operations",
                        "operation",
                        operation,
                        "result",
                        replayed ? "replayed" : "applied")
                .increment();
    }

    /** Edge reward items: credited now, or recognised as already credited. */
    public static void vauRewards(int credited, int duplicates) {
        counter("twist_vau_rewards_total", "Edge VAU reward items received", "result", "credited")
                .increment(credited);
        counter("twist_vau_rewards_total", "Edge VAU reward items received", "result", "duplicate")
                .increment(duplicates);
    }

    private static Counter counter(String name, String description, String... tags) {
        return Metrics.globalRegistry()
                .getOrCreate(Counter.builder(name).description(description).tags(Metrics.tags(tags)));
    }
}
