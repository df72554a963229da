package finance.twist.api.conversions;

import java.math.BigInteger;
import java.util.OptionalLong;

/**
 * Exact commission arithmetic, integers only (no floating point anywhere):
 *
 * <pre>
 * commission = floor(amountMinor × commissionBps × rate / (10^minorDigits × 10,000))
 * poolShare  = floor(commission × revenueShareBps / 10,000)      (0 when the pool has no stakers)
 * influencerShare = commission − poolShare
 * </pre>
 *
 * where {@code rate} is TWIST base units per major currency unit ({@link ConversionSettings}).
 * Example: 49.99 USD (4999 minor units, 2 digits) at 1,000 bps and 10 TWIST per USD
 * (10^10 base units) = 4999 × 1000 × 10^10 / (100 × 10^4) = 49,990,000,000 base units (49.99
 * TWIST); a 2,000 bps revenue share gives the stakers 9,998,000,000 and the influencer
 * 39,992,000,000. Rounding always goes down, so the ledger never credits more than the order
 * justifies; the pool share rounds down and its dust goes to the influencer.
 */
public final class Commission {

    private static final BigInteger BPS = BigInteger.valueOf(10_000);
    private static final BigInteger MAX = BigInteger.valueOf(Long.MAX_VALUE);

    private Commission() {}

    /**
     * A commission and its split.
     *
     * @param total base units the merchant owes
     * @param poolShare the stakers' part
     * @param influencerShare the rest
     */
    public record Split(long total, long poolShare, long influencerShare) {}

    /** The commission in base units; empty when it would exceed 2^63−1. */
    public static OptionalLong of(long amountMinor, int minorDigits, int commissionBps, BigInteger rate) {
        BigInteger value = BigInteger.valueOf(amountMinor)
                .multiply(BigInteger.valueOf(commissionBps))
                .multiply(rate)
                .divide(BigInteger.TEN.pow(minorDigits).multiply(BPS));
        return value.compareTo(MAX) > 0 ? OptionalLong.empty() : OptionalLong.of(value.longValue());
    }

    /** Splits {@code commission}; with {@code stakers} false the pool gets nothing. */
    public static Split split(long commission, int revenueShareBps, boolean stakers) {
        long pool = stakers
                ? BigInteger.valueOf(commission)
                        .multiply(BigInteger.valueOf(revenueShareBps))
                        .divide(BPS)
                        .longValueExact()
                : 0;
        return new Split(commission, pool, commission - pool);
    }
}
