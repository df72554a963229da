package finance.twist.api.payouts;

import finance.twist.api.ledger.Amounts;
import java.math.BigInteger;

/**
 * The split of a payout's gross amount, exact in integer base units: a 10 % platform fee rounded
 * down (any fraction of a base unit stays with the influencer), a flat 0.1 TWIST processing fee, and
 * the rest paid out. The minimum payout (10 TWIST) keeps the net amount well above zero.
 *
 * @param gross what leaves the influencer's earnings
 * @param platformFee {@code floor(gross × 1000 / 10000)}
 * @param processingFee {@link #PROCESSING_FEE}
 * @param net {@code gross − platformFee − processingFee}, transferred to the influencer's wallet
 */
public record PayoutFees(long gross, long platformFee, long processingFee, long net) {

    /** Smallest payout: 10 TWIST. */
    public static final long MINIMUM = 10 * Amounts.ONE_TWIST;
    /** Platform fee in basis points of the gross amount: 10 %. */
    public static final long PLATFORM_FEE_BPS = 1_000;
    /** Flat processing fee per payout: 0.1 TWIST. */
    public static final long PROCESSING_FEE = Amounts.ONE_TWIST / 10;

    private static final BigInteger BPS_PER_WHOLE = BigInteger.valueOf(10_000);

    public PayoutFees {
        if (gross < MINIMUM || platformFee <= 0 || processingFee <= 0 || net <= 0) {
            throw new IllegalArgumentException("invalid payout split of " + gross);
        }
        if (net != gross - platformFee - processingFee) {
            throw new IllegalArgumentException("payout split does not add up for " + gross);
        }
    }

    /** The split of {@code gross}, which must be at least {@link #MINIMUM}. */
    public static PayoutFees of(long gross) {
        // BigInteger so gross × 1000 cannot overflow for the largest amounts
        long platformFee = BigInteger.valueOf(gross)
                .multiply(BigInteger.valueOf(PLATFORM_FEE_BPS))
                .divide(BPS_PER_WHOLE)
                .longValueExact();
        return new PayoutFees(gross, platformFee, PROCESSING_FEE, gross - platformFee - PROCESSING_FEE);
    }

    /** Both fees together: what {@code system:payout_fees} receives. */
    public long totalFees() {
        return platformFee + processingFee;
    }
}
