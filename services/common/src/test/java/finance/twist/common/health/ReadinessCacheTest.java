package finance.twist.common.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Issue 21: a flood of /ready runs the checks once per cache time; draining is never cached. */
class ReadinessCacheTest {

    private final AtomicInteger calls = new AtomicInteger();
    private final ReadinessCheck slow = new ReadinessCheck() {
        @Override
        public String name() {
            return "db";
        }

        @Override
        public void check() throws InterruptedException {
            calls.incrementAndGet();
            Thread.sleep(100);
        }
    };

    @Test
    void concurrentAskersShareOneEvaluationWithinTheCacheTime() throws Exception {
        Readiness readiness = new Readiness(List.of(slow), Duration.ofSeconds(2), Duration.ofSeconds(30));
        List<Future<Readiness.Report>> reports = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 64; i++) {
                reports.add(pool.submit(readiness::evaluate));
            }
            for (Future<Readiness.Report> report : reports) {
                assertThat(report.get().ready()).isTrue();
            }
        }
        assertThat(calls).hasValue(1);

        readiness.startDraining();
        Readiness.Report draining = readiness.evaluate();
        assertThat(draining.ready()).isFalse();
        assertThat(draining.checks()).containsEntry("shutdown", "DOWN: draining");
    }

    @Test
    void withoutACacheTimeEveryCallEvaluates() {
        Readiness readiness = new Readiness(List.of(slow), Duration.ofSeconds(2));
        readiness.evaluate();
        readiness.evaluate();
        assertThat(calls).hasValue(2);
    }
}
