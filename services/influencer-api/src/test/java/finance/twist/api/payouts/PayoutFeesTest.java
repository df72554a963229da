package finance.twist.api.payouts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PayoutFeesTest {

    private static final long TWIST = 1_000_000_000L;

    @Test
    void minimumPayoutSplitsIntoTenPercentPlusPointOne() {
        PayoutFees fees = PayoutFees.of(10 * TWIST);
        assertThat(fees.platformFee()).isEqualTo(TWIST);
        assertThat(fees.processingFee()).isEqualTo(100_000_000L);
        assertThat(fees.net()).isEqualTo(8_900_000_000L);
        assertThat(fees.totalFees()).isEqualTo(1_100_000_000L);
    }

    @Test
    void platformFeeRoundsDownInTheInfluencersFavour() {
        PayoutFees fees = PayoutFees.of(10 * TWIST + 9);
        assertThat(fees.platformFee()).isEqualTo(TWIST); // 0.9 base units of fee are not charged
        assertThat(fees.net()).isEqualTo(8_900_000_009L);
        assertThat(fees.gross()).isEqualTo(fees.platformFee() + fees.processingFee() + fees.net());
    }

    @Test
    void largestAmountDoesNotOverflow() {
        PayoutFees fees = PayoutFees.of(Long.MAX_VALUE);
        assertThat(fees.platformFee()).isEqualTo(Long.MAX_VALUE / 10);
        assertThat(fees.gross()).isEqualTo(fees.platformFee() + fees.processingFee() + fees.net());
    }

    @Test
    void belowMinimumIsRefused() {
        assertThatThrownBy(() -> PayoutFees.of(10 * TWIST - 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
