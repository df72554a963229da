package finance.twist.api.rewards;

import finance.twist.api.db.DataAccessException;
import finance.twist.api.domain.DomainException;
import finance.twist.api.domain.DomainException.Kind;
import finance.twist.api.ledger.Amounts;
import io.helidon.config.Config;
import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.Metrics;
import java.math.BigDecimal;
import java.sql.Connection;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The global daily emission budget of edge VAU rewards (issue 21): at most {@link #budget()} base
 * units leave {@code system:vau_rewards} per UTC day. {@link #spend} adds a posting's total to
 * today's {@code emission_budget} row inside the posting's database transaction; the table's CHECK
 * refuses anything beyond the budget, so the refusal is atomic with the ledger transaction.
 *
 * <p>Configured as {@code rewards.emission.budget} ({@code REWARDS_EMISSION_BUDGET}): whole TWIST
 * (a decimal with at most 9 decimals) per UTC day; per environment in the chart values.
 *
 * <p>Metrics: {@code twist_vau_emission_today_base_units} (what this replica last saw committed
 * for the current UTC day; 0 after midnight until the next posting),
 * {@code twist_vau_emission_budget_base_units}, and
 * {@code twist_vau_emission_refused_total} (batches refused because the budget was used up).
 * The alert {@code TwistEmissionBudgetNearlyUsed} fires at 80 %.
 */
public final class EmissionBudget {

    /** Default: 100,000 TWIST per UTC day (docs/threat-model.md explains the number). */
    public static final String DEFAULT_TWIST = "100000";

    private record Seen(LocalDate day, long emitted) {}

    private final long budget;
    private final Clock clock;
    private final AtomicReference<Seen> seen;

    public EmissionBudget(long budget, Clock clock) {
        if (budget < 0) {
            throw new IllegalArgumentException("rewards.emission.budget must not be negative");
        }
        this.budget = budget;
        this.clock = clock;
        this.seen = new AtomicReference<>(new Seen(LocalDate.MIN, 0));
        // The registry is global to the JVM and a gauge is registered once: it reads the newest
        // budget (one per process in production; tests start several servers in one JVM).
        CURRENT.set(this);
        Metrics.globalRegistry()
                .getOrCreate(Gauge.builder("twist_vau_emission_budget_base_units", () -> (double) CURRENT.get().budget)
                        .description("Daily budget of edge VAU rewards, TWIST base units per UTC day"));
        Metrics.globalRegistry()
                .getOrCreate(Gauge.builder(
                                "twist_vau_emission_today_base_units",
                                () -> CURRENT.get().emittedToday())
                        .description("Edge VAU rewards committed so far in the current UTC day, base units"));
    }

    private static final AtomicReference<EmissionBudget> CURRENT = new AtomicReference<>();

    /** Reads {@code rewards.emission.budget} (TWIST per UTC day). */
    public static EmissionBudget from(Config rewards, Clock clock) {
        String text =
                rewards.get("emission.budget").asString().orElse(DEFAULT_TWIST).trim();
        BigDecimal twist;
        try {
            twist = new BigDecimal(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("rewards.emission.budget must be a decimal number of TWIST: " + text);
        }
        if (twist.signum() < 0 || twist.scale() > 9) {
            throw new IllegalArgumentException("rewards.emission.budget must be >= 0 with at most 9 decimals");
        }
        return new EmissionBudget(twist.movePointRight(9).toBigIntegerExact().longValueExact(), clock);
    }

    /** Base units per UTC day. */
    public long budget() {
        return budget;
    }

    /**
     * Spends {@code amount} base units of today's budget inside the caller's transaction.
     *
     * @throws DomainException {@link Kind#LIMITED} {@code emission-budget-exhausted} with
     *     {@code retryAfterSeconds} until the next UTC day when the day's budget cannot cover {@code amount}
     */
    public void spend(Connection c, long amount) {
        long emitted;
        try {
            emitted = RewardRepository.addEmission(c, budget, amount);
        } catch (DataAccessException e) {
            // 23514: the CHECK refused (over budget); 22003: emitted + amount left bigint
            if (e.isCheckViolation("emission_budget") || "22003".equals(e.sqlState())) {
                throw exhausted();
            }
            throw e;
        }
        LocalDate today = LocalDate.now(clock.withZone(ZoneOffset.UTC));
        seen.set(new Seen(today, emitted));
    }

    private double emittedToday() {
        Seen s = seen.get();
        return s.day().equals(LocalDate.now(clock.withZone(ZoneOffset.UTC))) ? s.emitted() : 0;
    }

    private DomainException exhausted() {
        counter().increment();
        long now = clock.instant().getEpochSecond();
        long retry = Math.max(1, 86_400 - Math.floorMod(now, 86_400L));
        return new DomainException(
                        Kind.LIMITED,
                        "emission-budget-exhausted",
                        "Daily reward budget used up",
                        "Today's edge reward budget of " + Amounts.format(budget)
                                + " base units is used up; deliver again after 00:00 UTC.")
                .with("retryAfterSeconds", retry);
    }

    private static Counter counter() {
        return Metrics.globalRegistry()
                .getOrCreate(Counter.builder("twist_vau_emission_refused_total")
                        .description("Edge reward batches refused because the daily emission budget is used up"));
    }
}
