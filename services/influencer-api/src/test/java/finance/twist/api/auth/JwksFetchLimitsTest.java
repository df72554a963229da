package finance.twist.api.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * JWKS refresh backs off after failures and bounds the body (issue 21), against a real HTTP server
 * that answers 500, hangs, drips or sends a huge body; the server counts the requests it gets.
 */
class JwksFetchLimitsTest {

    private enum Mode {
        OK,
        FAIL,
        HUGE,
        DRIP
    }

    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicReference<Mode> mode = new AtomicReference<>(Mode.OK);
    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private HttpServer server;
    private byte[] document;

    @BeforeEach
    void start() throws Exception {
        ECKey key = new ECKeyGenerator(Curve.P_256).keyID("k1").generate();
        document = new JWKSet(key.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/jwks", this::serve);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void serve(HttpExchange exchange) throws IOException {
        requests.incrementAndGet();
        try (exchange) {
            switch (mode.get()) {
                case OK -> {
                    exchange.sendResponseHeaders(200, document.length);
                    exchange.getResponseBody().write(document);
                }
                case FAIL -> exchange.sendResponseHeaders(500, -1);
                case HUGE -> {
                    // a valid start, then 8 MiB more: the reader must stop at its bound
                    exchange.sendResponseHeaders(200, 0);
                    OutputStream out = exchange.getResponseBody();
                    out.write("{\"keys\":[],\"pad\":\"".getBytes(StandardCharsets.UTF_8));
                    byte[] block = new byte[64 * 1024];
                    java.util.Arrays.fill(block, (byte) 'a');
                    for (int i = 0; i < 128; i++) {
                        out.write(block);
                    }
                    out.write("\"}".getBytes(StandardCharsets.UTF_8));
                }
                case DRIP -> {
                    // headers at once, then one byte a second for ten seconds
                    exchange.sendResponseHeaders(200, 0);
                    OutputStream out = exchange.getResponseBody();
                    for (int i = 0; i < 10; i++) {
                        out.write(' ');
                        out.flush();
                        Thread.sleep(1000);
                    }
                }
            }
        } catch (IOException | InterruptedException e) {
            // the client gave up: what the limits are for
        }
    }

    private JwksSource source() {
        return JwksSource.create(
                new AccessTokenSettings(
                        URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/jwks"),
                        Optional.empty(),
                        "i",
                        "a",
                        Duration.ofMinutes(10),
                        Duration.ofSeconds(10)),
                clock);
    }

    @Test
    void failingRefreshesBackOffExponentiallyWhileTheCachedKeyKeepsWorking() {
        JwksSource source = source();
        assertThat(source.key("k1")).isPresent();
        assertThat(requests.get()).isEqualTo(1);

        mode.set(Mode.FAIL);
        clock.advance(Duration.ofMinutes(10)); // the set is stale: a refresh is due
        // 200 requests at the same instant: one refresh attempt, the cached key answers all
        for (int i = 0; i < 200; i++) {
            assertThat(source.key("k1")).isPresent();
        }
        assertThat(requests.get()).isEqualTo(2);

        // the waits double: 1 s, 2 s, 4 s, 8 s ... each step lets exactly one request through
        long[] waits = {1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300};
        for (long wait : waits) {
            int before = requests.get();
            clock.advance(Duration.ofSeconds(wait).minusMillis(1));
            for (int i = 0; i < 50; i++) {
                assertThat(source.key("k1")).isPresent();
            }
            assertThat(requests.get()).as("before the %d s wait is over", wait).isEqualTo(before);
            clock.advance(Duration.ofMillis(1));
            for (int i = 0; i < 50; i++) {
                assertThat(source.key("k1")).isPresent();
            }
            assertThat(requests.get()).as("after the %d s wait", wait).isEqualTo(before + 1);
        }
        // 13 requests in about 19 minutes of failures and 1,300 token checks; an unknown kid
        // does not get past the back-off either
        assertThat(source.key("unknown")).isEmpty();
        assertThat(requests.get()).isEqualTo(2 + waits.length);

        // recovery: the next attempt succeeds and the back-off is forgotten
        mode.set(Mode.OK);
        clock.advance(Duration.ofMinutes(5));
        assertThat(source.key("k1")).isPresent();
        int recovered = requests.get();
        clock.advance(Duration.ofMinutes(10));
        mode.set(Mode.FAIL);
        assertThat(source.key("k1")).isPresent();
        clock.advance(Duration.ofSeconds(1));
        assertThat(source.key("k1")).isPresent();
        assertThat(requests.get()).as("back to a 1 s first wait").isEqualTo(recovered + 2);
    }

    @Test
    void aHugeBodyIsRefusedAtTheBoundAndCountsAsAFailure() {
        JwksSource source = source();
        assertThat(source.key("k1")).isPresent();
        mode.set(Mode.HUGE);
        clock.advance(Duration.ofMinutes(10));
        long started = System.nanoTime();
        assertThat(source.key("k1")).as("the cached key stays").isPresent();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
        assertThat(requests.get()).isEqualTo(2);
        // a failure: the next attempt waits
        assertThat(source.key("k1")).isPresent();
        assertThat(requests.get()).isEqualTo(2);
        // a body at the bound's edge is still read: the limit is not below a real set
        assertThat(JwksSource.MAX_BODY_BYTES).isGreaterThan(document.length * 16);
    }

    @Test
    void aDrippingServerIsCutOffAtTheFetchTimeout() {
        mode.set(Mode.DRIP);
        JwksSource source = source();
        long started = System.nanoTime();
        assertThat(source.key("k1")).isEmpty();
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(took).isLessThan(Duration.ofMillis(JwksSource.FETCH_TIMEOUT_MS + 1500));
        assertThat(requests.get()).isEqualTo(1);
        // within the back-off (and the unknown-kid interval) nobody waits on the slow server again
        long again = System.nanoTime();
        assertThat(source.key("k1")).isEmpty();
        assertThat(Duration.ofNanos(System.nanoTime() - again)).isLessThan(Duration.ofMillis(200));
        assertThat(requests.get()).isEqualTo(1);
    }

    private static final class MutableClock extends Clock {
        private volatile Instant now;

        MutableClock(Instant start) {
            this.now = start;
        }

        void advance(Duration duration) {
            now = now.plus(duration);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
