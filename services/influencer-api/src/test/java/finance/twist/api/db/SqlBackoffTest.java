package finance.twist.api.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SqlBackoffTest {

    @Test
    void waitsStayWithinAnExponentialCeilingCappedAtTheMaximum() {
        SplittableRandom random = new SplittableRandom(24);
        long[] ceilings = {5, 10, 20, 40, 80, 160, 200, 200};
        for (int attempt = 1; attempt <= ceilings.length; attempt++) {
            long max = 0;
            for (int i = 0; i < 10_000; i++) {
                long wait = Sql.backoffMillis(attempt, random.nextLong());
                assertThat(wait).isBetween(0L, ceilings[attempt - 1]);
                max = Math.max(max, wait);
            }
            // full jitter spreads over the whole range: after 10,000 draws the top is reached or nearly
            assertThat(max).as("attempt %d", attempt).isGreaterThanOrEqualTo(ceilings[attempt - 1] * 9 / 10);
        }
    }

    @Test
    void theExtremesOfTheRandomInputGiveTheBoundsAndNeverOverflow() {
        assertThat(Sql.backoffMillis(1, 0)).isZero();
        assertThat(Sql.backoffMillis(1, 5)).isEqualTo(5);
        assertThat(Sql.backoffMillis(1, 6)).isZero();
        assertThat(Sql.backoffMillis(3, -1)).isBetween(0L, 20L);
        assertThat(Sql.backoffMillis(64, Long.MIN_VALUE)).isBetween(0L, Sql.BACKOFF_MAX_MILLIS);
        assertThat(Sql.backoffMillis(1_000, Long.MAX_VALUE)).isBetween(0L, Sql.BACKOFF_MAX_MILLIS);
    }

    @Test
    void twoTransactionsThatCollidedRarelyWaitTheSameTime() {
        SplittableRandom random = new SplittableRandom(7);
        int same = 0;
        for (int i = 0; i < 1_000; i++) {
            if (Sql.backoffMillis(4, random.nextLong()) == Sql.backoffMillis(4, random.nextLong())) {
                same++;
            }
        }
        assertThat(same).isLessThan(100); // 41 values: about 24 of 1,000 pairs agree by chance
    }
}
