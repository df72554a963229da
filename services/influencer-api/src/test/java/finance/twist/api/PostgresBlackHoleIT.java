package finance.twist.api;

import static org.assertj.core.api.Assertions.assertThat;

import finance.twist.testing.EmbeddedServers;
import finance.twist.testing.HttpProbe;
import finance.twist.testing.TestDatabase;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 21, fail-fast: PostgreSQL black-holed (OwnPostgres.freeze: SIGSTOP, connections open,
 * nothing answers) with the production database timeouts of application.yaml. Within
 * {@link #DETECTED} of the freeze the database circuit (DatabaseCircuit) is open: from then on
 * {@code /ready} reports postgres down, and authenticated reads and writes answer 503 problem+json
 * with Retry-After, each within {@link #FAST} instead of the 5 s pool wait. After the thaw the same
 * service answers 200 again within {@link #RECOVERED}, no restart, and the ledger is exact.
 */
@ExtendWith(TwistInfraExtension.class)
class PostgresBlackHoleIT {

    /** Probe interval 1 s + three failed probes of 1 s, with room for a loaded machine. */
    private static final Duration DETECTED = Duration.ofSeconds(10);
    /** The bound for one 503 once the outage is known (docs/performance-abuse.md). */
    private static final Duration FAST = Duration.ofSeconds(1);

    private static final Duration RECOVERED = Duration.ofSeconds(10);

    private final TestRedis redis;

    PostgresBlackHoleIT(TestRedis redis) {
        this.redis = redis;
    }

    @Test
    void aFrozenDatabaseIsAFast503AndTheServiceRecoversByItself() throws Exception {
        Path data = Files.createTempDirectory("twist-pg-black-hole");
        int port = EmbeddedServers.freePort();
        EmbeddedPostgres pg = OwnPostgres.start(data, port);
        TestDatabase db = OwnPostgres.database(port);
        ApiHarness api = new ApiHarness(db, redis, Map.of());
        List<Long> frozen = List.of();
        try {
            String wallet = ApiHarness.newWallet();
            api.credit(wallet, 1_000_000_000L);
            String token = api.token(wallet);
            assertThat(api.get("/me/balance", token).statusCode()).isEqualTo(200);
            assertThat(HttpProbe.get(api.management + "/ready").statusCode()).isEqualTo(200);

            frozen = OwnPostgres.freeze(data);
            long frozenAt = System.nanoTime();
            awaitWithin(
                    frozenAt,
                    DETECTED,
                    "/ready reports the frozen database",
                    200,
                    () -> HttpProbe.get(api.management + "/ready").statusCode() == 503);
            System.out.println(
                    "postgres-black-hole: /ready 503 after " + (System.nanoTime() - frozenAt) / 1_000_000 + " ms");
            // /ready may see the pool time out first; the circuit opens after its own probes failed
            awaitWithin(
                    frozenAt,
                    DETECTED,
                    "the circuit opens",
                    200,
                    () -> api.metrics().matches("(?s).*\\btwist_db_circuit_open(\\{[^}]*})? 1\\.0.*"));
            System.out.println(
                    "postgres-black-hole: circuit open after " + (System.nanoTime() - frozenAt) / 1_000_000 + " ms");

            long slowest = 0;
            for (int i = 0; i < 10; i++) {
                long started = System.nanoTime();
                HttpResponse<String> read = api.get("/me/balance", token);
                HttpResponse<String> write = api.post(
                        "/admin/ledger/credit",
                        api.adminToken(),
                        "{\"wallet\":\"" + wallet + "\",\"amount\":\"1\",\"reason\":\"black hole\"}",
                        "Idempotency-Key",
                        UUID.randomUUID().toString());
                HttpResponse<String> ready = HttpProbe.get(api.management + "/ready");
                long took = (System.nanoTime() - started) / 1_000_000;
                slowest = Math.max(slowest, took);
                for (HttpResponse<String> response : List.of(read, write)) {
                    assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
                    assertThat(response.headers().firstValue("Content-Type")).contains("application/problem+json");
                    assertThat(response.body()).contains("\"type\":\"https://twist.finance/problems/unavailable\"");
                    assertThat(response.headers().firstValue("Retry-After")).isPresent();
                }
                assertThat(ready.statusCode()).isEqualTo(503);
                assertThat(ready.body()).contains("\"postgres\":\"DOWN");
                // all three together within the bound each has
                assertThat(took).as("read + write + /ready while frozen").isLessThan(FAST.toMillis());
            }
            System.out.println("postgres-black-hole: slowest read+write+/ready while known down " + slowest + " ms");

            OwnPostgres.thaw(frozen);
            frozen = List.of();
            long thawedAt = System.nanoTime();
            awaitWithin(
                    thawedAt,
                    RECOVERED,
                    "recovers, no restart",
                    100,
                    () -> api.get("/me/balance", token).statusCode() == 200);
            System.out.println("postgres-black-hole: thaw -> first 200 after "
                    + (System.nanoTime() - thawedAt) / 1_000_000 + " ms");
            assertThat(ApiHarness.field(api.get("/me/balance", token), "available"))
                    .isEqualTo("1000000000");
            awaitWithin(
                    System.nanoTime(),
                    RECOVERED,
                    "/ready reports ready again",
                    200,
                    () -> HttpProbe.get(api.management + "/ready").statusCode() == 200);
            api.credit(wallet, 1_000_000_000L);
            api.assertLedgerConsistent();
        } finally {
            if (!frozen.isEmpty()) {
                OwnPostgres.thaw(frozen);
            }
            api.close();
            pg.close();
            OwnPostgres.delete(data);
        }
    }

    /** Polls {@code done} every {@code pollMillis} until it holds, failing once {@code limit} has passed since {@code since}. */
    private static void awaitWithin(long since, Duration limit, String what, long pollMillis, BooleanSupplier done)
            throws InterruptedException {
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime() - since)
                    .as("%s within %s", what, limit)
                    .isLessThan(limit.toNanos());
            Thread.sleep(pollMillis);
        }
    }
}
