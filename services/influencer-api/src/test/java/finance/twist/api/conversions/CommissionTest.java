package finance.twist.api.conversions;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;

class CommissionTest {

    private static final BigInteger TEN_TWIST = BigInteger.valueOf(10_000_000_000L);

    @Test
    void theWorkedExampleOfTheContract() {
        long commission = Commission.of(4999, 2, 1000, TEN_TWIST).orElseThrow();
        assertThat(commission).isEqualTo(49_990_000_000L);
        assertThat(Commission.split(commission, 2000, true))
                .isEqualTo(new Commission.Split(49_990_000_000L, 9_998_000_000L, 39_992_000_000L));
    }

    @Test
    void roundsDownToWholeBaseUnits() {
        // 0.01 USD at 1 bps and 1 base unit per USD: 10^-6 base units -> 0
        assertThat(Commission.of(1, 2, 1, BigInteger.ONE).orElseThrow()).isZero();
        // 3 JPY (no minor digits) at 3333 bps and 1 base unit per JPY: 0.9999 -> 0
        assertThat(Commission.of(3, 0, 3333, BigInteger.ONE).orElseThrow()).isZero();
        // 1 base unit of commission: the pool share rounds down to 0, the influencer keeps it
        assertThat(Commission.split(1, 5000, true)).isEqualTo(new Commission.Split(1, 0, 1));
        // 7 * 2000 / 10000 = 1.4 -> 1
        assertThat(Commission.split(7, 2000, true)).isEqualTo(new Commission.Split(7, 1, 6));
    }

    @Test
    void withoutStakersTheInfluencerKeepsEverything() {
        assertThat(Commission.split(1_000, 5000, false)).isEqualTo(new Commission.Split(1_000, 0, 1_000));
    }

    @Test
    void refusesCommissionsBeyondTheLedgerRange() {
        assertThat(Commission.of(Long.MAX_VALUE, 0, 10_000, TEN_TWIST)).isEmpty();
        assertThat(Commission.of(922_337_203L, 0, 10_000, TEN_TWIST)).isPresent();
    }
}
