package finance.twist.auth;

import static org.assertj.core.api.Assertions.assertThat;

import finance.twist.common.ratelimit.RedisRateLimiter;
import finance.twist.common.ratelimit.RedisRateLimiter.Decision;
import finance.twist.common.ratelimit.RedisRateLimiter.Limit;
import finance.twist.common.redis.Redis;
import finance.twist.testing.TestConfigs;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The shared Redis limiter (common) against a real Redis: atomic under concurrency, never immortal. */
@ExtendWith(TwistInfraExtension.class)
class RedisRateLimiterIT {

    private final Redis redis;
    private final RedisRateLimiter limiter;

    RedisRateLimiterIT(TestRedis testRedis) {
        redis = Redis.create(
                TestConfigs.serviceConfig(TestConfigs.redis(testRedis)).get("redis"));
        limiter = new RedisRateLimiter(redis);
    }

    @AfterEach
    void close() {
        redis.close();
    }

    @Test
    void concurrentRequestsGetExactlyTheBudget() throws Exception {
        Limit limit = new Limit(redis.key("rl-test", "concurrent"), 20, Duration.ofMinutes(1));
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Decision>> decisions = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
            for (int i = 0; i < 50; i++) {
                decisions.add(pool.submit(() -> {
                    start.await();
                    return limiter.acquire(List.of(limit));
                }));
            }
            start.countDown();
            int allowed = 0;
            for (Future<Decision> decision : decisions) {
                Decision d = decision.get();
                if (d.allowed()) {
                    allowed++;
                } else {
                    assertThat(d.retryAfterSeconds()).isBetween(1L, 60L);
                    assertThat(d.remaining()).isZero();
                }
            }
            assertThat(allowed).isEqualTo(20);
        }
        long ttl = redis.client().pttl(limit.key());
        assertThat(ttl).isBetween(1L, 60_000L);
    }

    @Test
    void theTightestBucketDecidesAndRemainingCountsDown() {
        Limit wide = new Limit(redis.key("rl-test", "wide"), 100, Duration.ofMinutes(1));
        Limit narrow = new Limit(redis.key("rl-test", "narrow"), 2, Duration.ofSeconds(30));

        assertThat(limiter.acquire(List.of(wide, narrow))).isEqualTo(new Decision(true, 1, 0));
        assertThat(limiter.acquire(List.of(wide, narrow))).isEqualTo(new Decision(true, 0, 0));
        Decision refused = limiter.acquire(List.of(wide, narrow));
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.retryAfterSeconds()).isBetween(1L, 30L);
        assertThat(limiter.acquire(List.of(wide))).isEqualTo(new Decision(true, 96, 0));
    }

    @Test
    void aWindowEndsAndTheBudgetReturns() throws Exception {
        Limit limit = new Limit(redis.key("rl-test", "short"), 1, Duration.ofSeconds(2));
        assertThat(limiter.acquire(List.of(limit)).allowed()).isTrue();
        assertThat(limiter.acquire(List.of(limit)).allowed()).isFalse();

        Thread.sleep(2_300);

        assertThat(limiter.acquire(List.of(limit)).allowed()).isTrue();
    }
}
