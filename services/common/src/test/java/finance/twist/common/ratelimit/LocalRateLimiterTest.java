package finance.twist.common.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import finance.twist.common.ratelimit.LocalRateLimiter.Decision;
import finance.twist.common.ratelimit.LocalRateLimiter.Rate;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LocalRateLimiterTest {

    private static final long SECOND = 1_000_000_000L;
    private final AtomicLong now = new AtomicLong(1_000 * SECOND);

    @Test
    void aBurstIsAllowedThenRefusedWithRetryAfterUntilTokensRefill() {
        LocalRateLimiter limiter = new LocalRateLimiter(100, now::get);
        Rate rate = new Rate(2, 3);
        for (int i = 0; i < 3; i++) {
            Decision d = limiter.acquire("reads", "1.2.3.4", rate);
            assertThat(d.allowed()).isTrue();
            assertThat(d.limit()).isEqualTo(3);
            assertThat(d.remaining()).isEqualTo(2 - i);
        }
        Decision refused = limiter.acquire("reads", "1.2.3.4", rate);
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.remaining()).isZero();
        assertThat(refused.retryAfterSeconds()).isEqualTo(1);
        assertThat(refused.resetSeconds()).isEqualTo(2); // 3 tokens at 2/s

        // another client and another group have their own buckets
        assertThat(limiter.acquire("reads", "5.6.7.8", rate).allowed()).isTrue();
        assertThat(limiter.acquire("redirects", "1.2.3.4", rate).allowed()).isTrue();

        now.addAndGet(SECOND / 2); // one token back
        assertThat(limiter.acquire("reads", "1.2.3.4", rate).allowed()).isTrue();
        assertThat(limiter.acquire("reads", "1.2.3.4", rate).allowed()).isFalse();
    }

    @Test
    void aSlowRateAsksForALongerWait() {
        LocalRateLimiter limiter = new LocalRateLimiter(100, now::get);
        Rate rate = new Rate(0.1, 1);
        assertThat(limiter.acquire("g", "c", rate).allowed()).isTrue();
        assertThat(limiter.acquire("g", "c", rate).retryAfterSeconds()).isEqualTo(10);
    }

    @Test
    void memoryIsBoundedFullBucketsAreDroppedAndNewcomersShareAnOverflowBucket() {
        LocalRateLimiter limiter = new LocalRateLimiter(3, now::get);
        Rate rate = new Rate(1, 2);
        for (String client : new String[] {"a", "b", "c"}) {
            limiter.acquire("g", client, rate);
        }
        assertThat(limiter.size()).isEqualTo(3);
        // table full, nothing refilled yet: newcomers share one bucket of 2
        assertThat(limiter.acquire("g", "d", rate).allowed()).isTrue();
        assertThat(limiter.acquire("g", "e", rate).allowed()).isTrue();
        assertThat(limiter.acquire("g", "f", rate).allowed()).isFalse();
        assertThat(limiter.size()).isEqualTo(4);

        // after the buckets refilled, a newcomer triggers a sweep and gets a bucket of its own
        now.addAndGet(5 * SECOND);
        assertThat(limiter.acquire("g", "x", rate).remaining()).isEqualTo(1);
        assertThat(limiter.size()).isEqualTo(1);
    }

    @Test
    void aRateNeedsAPositiveSpeedAndABurst() {
        assertThatThrownBy(() -> new Rate(0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Rate(1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Rate(Double.NaN, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
