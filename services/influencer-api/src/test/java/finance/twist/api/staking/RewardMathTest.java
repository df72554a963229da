package finance.twist.api.staking;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RewardMathTest {

    @Test
    void payoutsNeverExceedFundingAndDustIsBounded() {
        Random random = new Random(42);
        for (int round = 0; round < 200; round++) {
            long[] positions = new long[1 + random.nextInt(7)];
            long total = 0;
            for (int i = 0; i < positions.length; i++) {
                positions[i] = 1 + (long) (random.nextDouble() * 1_000_000_000_000L);
                total += positions[i];
            }
            BigInteger acc = BigInteger.ZERO;
            BigInteger remainder = BigInteger.ZERO;
            long funded = 0;
            for (int f = 0; f < 5; f++) {
                long amount = 1 + random.nextInt(1_000_000_000);
                RewardMath.Accumulator next = RewardMath.fund(acc, remainder, amount, total);
                acc = next.acc();
                remainder = next.remainder();
                funded += amount;
            }
            long paid = 0;
            for (long position : positions) {
                paid += RewardMath.earned(position, acc, BigInteger.ZERO);
            }
            assertThat(paid).isLessThanOrEqualTo(funded);
            assertThat(funded - paid).isLessThanOrEqualTo(positions.length);
        }
    }

    @Test
    void proRataIsExactWhenDivisible() {
        RewardMath.Accumulator acc = RewardMath.fund(BigInteger.ZERO, BigInteger.ZERO, 7_000_000_000L, 50_000_000_000L);
        assertThat(RewardMath.earned(40_000_000_000L, acc.acc(), BigInteger.ZERO))
                .isEqualTo(5_600_000_000L);
        assertThat(RewardMath.earned(10_000_000_000L, acc.acc(), BigInteger.ZERO))
                .isEqualTo(1_400_000_000L);
        assertThat(RewardMath.earned(10_000_000_000L, acc.acc(), acc.acc())).isZero();
    }

    @Test
    void tiersUseThresholdsAndRank() {
        assertThat(Tier.forTotalStaked(0)).isEqualTo(Tier.BRONZE);
        assertThat(Tier.forTotalStaked(999_999_999_999L)).isEqualTo(Tier.BRONZE);
        assertThat(Tier.forTotalStaked(1_000_000_000_000L)).isEqualTo(Tier.SILVER);
        assertThat(Tier.forTotalStaked(10_000_000_000_000L)).isEqualTo(Tier.GOLD);
        assertThat(Tier.forTotalStaked(50_000_000_000_000L)).isEqualTo(Tier.PLATINUM);
        assertThat(Tier.PLATINUM.rank()).isGreaterThan(Tier.GOLD.rank());
    }
}
