package finance.twist.api.conversions;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.Metrics;

/**
 * {@code twist_conversions_total{result}}: conversions recorded ({@code attributed},
 * {@code unattributed}), repeats answered with the first result ({@code duplicate}),
 * requests refused for their signature ({@code rejected}) and conversions refused by the product's
 * daily commission cap ({@code capped}, counted when refused). A recorded conversion is counted
 * after the commit, by the HTTP layer that opened the transaction.
 */
public final class ConversionMetrics {

    private ConversionMetrics() {}

    /** A conversion committed ({@code status}), or a repeat answered with the first result. */
    public static void recorded(String status, boolean duplicate) {
        counter(duplicate ? "duplicate" : status).increment();
    }

    /** A conversion refused because its product's daily commission cap is used up. */
    static void capped() {
        counter("capped").increment();
    }

    static void rejected() {
        counter("rejected").increment();
    }

    private static Counter counter(String result) {
        return Metrics.globalRegistry()
                .getOrCreate(Counter.builder("twist_conversions_total")
                        .description("Merchant conversions received, by result")
                        .tags(Metrics.tags("result", result)));
    }
}
