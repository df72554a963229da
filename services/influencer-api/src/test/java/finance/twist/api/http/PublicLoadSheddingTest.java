package finance.twist.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import finance.twist.common.ratelimit.LocalRateLimiter.Rate;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The hold of a refusal and the bulkhead of public work, on their own (no server). */
class PublicLoadSheddingTest {

    /** A rate that never limits these tests. */
    private static final Rate FAST = new Rate(1_000_000, 1_000_000);

    @Test
    void aRefusalIsHeldForTheConfiguredTimeUnlessTooManyAreHeld() throws Exception {
        PublicLoadShedding shedding = new PublicLoadShedding(Duration.ofMillis(300), 1, 1, FAST, Duration.ZERO, 0);
        long start = System.nanoTime();
        shedding.holdRefusal();
        assertThat(elapsedMillis(start)).isGreaterThanOrEqualTo(300);

        // one held at a time: while one is held, the next is sent at once
        CompletableFuture<Void> first = CompletableFuture.runAsync(shedding::holdRefusal);
        Thread.sleep(100);
        long second = System.nanoTime();
        shedding.holdRefusal();
        assertThat(elapsedMillis(second)).isLessThan(150);
        first.get(5, TimeUnit.SECONDS);
        // and once it is done, the next is held again
        long third = System.nanoTime();
        shedding.holdRefusal();
        assertThat(elapsedMillis(third)).isGreaterThanOrEqualTo(300);
    }

    @Test
    void aZeroHoldSendsAtOnce() {
        PublicLoadShedding shedding = new PublicLoadShedding(Duration.ZERO, 10, 1, FAST, Duration.ZERO, 0);
        long start = System.nanoTime();
        shedding.holdRefusal();
        assertThat(elapsedMillis(start)).isLessThan(100);
    }

    @Test
    void theBulkheadAdmitsItsConcurrencyThenWaitsThenSheds() throws Exception {
        PublicLoadShedding shedding = new PublicLoadShedding(Duration.ZERO, 0, 2, FAST, Duration.ofMillis(200), 10);
        assertThat(shedding.acquireWork()).isTrue();
        assertThat(shedding.acquireWork()).isTrue();

        long start = System.nanoTime();
        assertThat(shedding.acquireWork()).isFalse();
        assertThat(elapsedMillis(start)).isGreaterThanOrEqualTo(200);

        // a waiter gets the place as soon as one is released
        CompletableFuture<Boolean> waiter = CompletableFuture.supplyAsync(shedding::acquireWork);
        Thread.sleep(50);
        shedding.release();
        assertThat(waiter.get(5, TimeUnit.SECONDS)).isTrue();
        shedding.release();
        shedding.release();
        assertThat(shedding.acquireWork()).isTrue();
        shedding.release();
    }

    @Test
    void pastTheQueueABusyBulkheadShedsAtOnce() {
        PublicLoadShedding shedding = new PublicLoadShedding(Duration.ZERO, 0, 1, FAST, Duration.ofSeconds(5), 0);
        assertThat(shedding.acquireWork()).isTrue();
        long start = System.nanoTime();
        assertThat(shedding.acquireWork()).isFalse();
        assertThat(elapsedMillis(start)).isLessThan(1_000);
        shedding.release();
    }

    private static long elapsedMillis(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    @Test
    void thePacerGivesSlotsAtTheRateAfterTheBurstAndRefusesOnesBeyondTheWait() {
        AtomicLong now = new AtomicLong(1_000_000_000L);
        PublicLoadShedding.Pacer pacer = new PublicLoadShedding.Pacer(new Rate(10, 2), now::get);
        long ms = 1_000_000L;
        // two at once (the burst), then one every 100 ms
        assertThat(pacer.reserve(150 * ms)).isZero();
        assertThat(pacer.reserve(150 * ms)).isZero();
        assertThat(pacer.reserve(150 * ms)).isEqualTo(100 * ms);
        // the next slot is 200 ms away: beyond the wait, refused and not reserved
        assertThat(pacer.reserve(150 * ms)).isEqualTo(-1);
        assertThat(pacer.reserve(250 * ms)).isEqualTo(200 * ms);
        // after a quiet second the burst is back
        now.addAndGet(1_000 * ms);
        assertThat(pacer.reserve(0)).isZero();
        assertThat(pacer.reserve(0)).isZero();
        assertThat(pacer.reserve(0)).isEqualTo(-1);
    }

    @Test
    void workPastTheRateWaitsForItsSlot() {
        PublicLoadShedding shedding =
                new PublicLoadShedding(Duration.ZERO, 0, 100, new Rate(10, 1), Duration.ofMillis(250), 100);
        long start = System.nanoTime();
        assertThat(shedding.acquireWork()).isTrue(); // the burst
        assertThat(shedding.acquireWork()).isTrue(); // its slot 100 ms later
        assertThat(shedding.acquireWork()).isTrue(); // 200 ms
        assertThat(elapsedMillis(start)).isGreaterThanOrEqualTo(190);
        for (int i = 0; i < 3; i++) {
            shedding.release();
        }
    }

    @Test
    void aRefusalWithoutWaitingIsHeldLikeA429() {
        PublicLoadShedding shedding =
                new PublicLoadShedding(Duration.ofMillis(300), 10, 1, FAST, Duration.ofSeconds(5), 0);
        assertThat(shedding.acquireWork()).isTrue();
        long start = System.nanoTime();
        assertThat(shedding.acquireWork()).isFalse(); // the queue holds none: refused, then held
        assertThat(elapsedMillis(start)).isGreaterThanOrEqualTo(300);
        shedding.release();
    }
}
