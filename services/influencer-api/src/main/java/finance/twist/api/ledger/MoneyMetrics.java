package finance.twist.api.ledger;

import finance.twist.api.db.Sql;
import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.Metrics;
import java.util.ArrayList;
import java.util.List;

/**
 * Counters of money movements that completed (committed), for dashboards and alerts. Failures are
 * visible in the request metrics by route and status; these count what actually moved.
 */
public final class MoneyMetrics {

    /** Kinds of ledger transactions posted in the current database transaction, not yet committed. */
    private static final ThreadLocal<List<String>> PENDING = ThreadLocal.withInitial(ArrayList::new);

    private MoneyMetrics() {}

    /** Counts the ledger transactions of each committed database transaction; wired into {@code Sql}. */
    public static final Sql.TransactionListener TRANSACTIONS = new Sql.TransactionListener() {
        @Override
        public void committed() {
            MoneyMetrics.committed();
        }

        @Override
        public void rolledBack() {
            MoneyMetrics.rolledBack();
        }
    };

    /** Notes a posting; it is counted only if its database transaction commits ({@link #committed}). */
    public static void posted(String kind) {
        PENDING.get().add(kind);
    }

    /** The current database transaction committed: count its ledger transactions by kind. */
    public static void committed() {
        List<String> kinds = PENDING.get();
        for (String kind : kinds) {
            counter("twist_ledger_transactions_total", "Committed ledger transactions", "kind", kind)
                    .increment();
        }
        kinds.clear();
    }

    /** The current database transaction rolled back: its postings never happened. */
    public static void rolledBack() {
        PENDING.get().clear();
    }

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

    /**
     * One committed payout step.
     *
     * @param action {@code request}, {@code approve} or {@code reject}
     * @param replayed true when an Idempotency-Key replayed a stored response (nothing moved)
     */
    public static void payout(String action, boolean replayed) {
        counter(
                        "twist_payouts_total",
                        "Committed payout requests and decisions",
                        "action",
                        action,
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
