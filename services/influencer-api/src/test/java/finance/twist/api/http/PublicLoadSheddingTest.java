package finance.twist.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The hold of a refusal and the bulkhead of public work, on their own (no server). */
class PublicLoadSheddingTest {

    @Test
    void aRefusalIsHeldForTheConfiguredTimeUnlessTooManyAreHeld() throws Exception {
        PublicLoadShedding shedding = new PublicLoadShedding(Duration.ofMillis(300), 1, 1, Duration.ZERO, 0);
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
        PublicLoadShedding shedding = new PublicLoadShedding(Duration.ZERO, 10, 1, Duration.ZERO, 0);
        long start = System.nanoTime();
        shedding.holdRefusal();
        assertThat(elapsedMillis(start)).isLessThan(100);
    }

    @Test
    void theBulkheadAdmitsItsConcurrencyThenWaitsThenSheds() throws Exception {
        PublicLoadShedding shedding = new PublicLoadShedding(Duration.ZERO, 0, 2, Duration.ofMillis(200), 10);
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
        PublicLoadShedding shedding = new PublicLoadShedding(Duration.ZERO, 0, 1, Duration.ofSeconds(5), 0);
        assertThat(shedding.acquireWork()).isTrue();
        long start = System.nanoTime();
        assertThat(shedding.acquireWork()).isFalse();
        assertThat(elapsedMillis(start)).isLessThan(1_000);
        shedding.release();
    }

    private static long elapsedMillis(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }
}
