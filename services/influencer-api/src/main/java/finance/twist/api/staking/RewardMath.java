package finance.twist.api.staking;

import java.math.BigInteger;

/**
 * Exact integer arithmetic of the reward-per-share accumulator. {@code acc} is the reward per staked
 * base unit scaled by {@link #SCALE}; funding a pool adds {@code floor((amount*SCALE + remainder) / totalStaked)}
 * and carries the new remainder, and a position earns {@code floor(position * (acc - snapshot) / SCALE)}.
 * Because every share is rounded down, the sum paid out never exceeds what was funded; the
 * rounding dust stays in the pool's reward pot.
 */
public final class RewardMath {

    /** 10^18. */
    public static final BigInteger SCALE = BigInteger.TEN.pow(18);

    private RewardMath() {}

    /**
     * The accumulator after funding.
     *
     * @param acc new accumulator value
     * @param remainder new carried remainder (scaled units)
     */
    public record Accumulator(BigInteger acc, BigInteger remainder) {}

    public static Accumulator fund(BigInteger acc, BigInteger remainder, long amount, long totalStaked) {
        if (totalStaked <= 0 || amount <= 0) {
            throw new IllegalArgumentException("funding needs stakers and a positive amount");
        }
        BigInteger numerator = BigInteger.valueOf(amount).multiply(SCALE).add(remainder);
        BigInteger[] division = numerator.divideAndRemainder(BigInteger.valueOf(totalStaked));
        return new Accumulator(acc.add(division[0]), division[1]);
    }

    /** Rewards a position earned since {@code snapshot}. */
    public static long earned(long position, BigInteger acc, BigInteger snapshot) {
        return BigInteger.valueOf(position)
                .multiply(acc.subtract(snapshot))
                .divide(SCALE)
                .longValueExact();
    }
}
