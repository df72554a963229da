package finance.twist.api.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class JwksSourceTest {

    /** The one behaviour for a malformed key in a set (docs/contracts/jwks.md). */
    @Test
    void aMalformedKeyIsSkippedAndTheRestOfTheSetIsUsed() throws Exception {
        ECKey good = new ECKeyGenerator(Curve.P_256).keyID("good").generate();
        ECKey other = new ECKeyGenerator(Curve.P_256).keyID("other").generate();
        java.util.Map<String, Object> offCurve =
                new java.util.LinkedHashMap<>(good.toPublicJWK().toJSONObject());
        offCurve.put("kid", "off-curve");
        offCurve.put("y", other.getY().toString());
        java.util.Map<String, Object> notBase64 =
                new java.util.LinkedHashMap<>(good.toPublicJWK().toJSONObject());
        notBase64.put("kid", "not-base64");
        notBase64.put("x", "!!!");
        java.util.Map<String, Object> noY =
                new java.util.LinkedHashMap<>(good.toPublicJWK().toJSONObject());
        noY.put("kid", "no-y");
        noY.remove("y");
        java.util.Map<String, Object> rsa = java.util.Map.of("kty", "RSA", "kid", "rsa", "n", "AQAB", "e", "AQAB");
        List<Object> keys = List.of(
                offCurve, notBase64, noY, "not a key", rsa, good.toPublicJWK().toJSONObject());
        byte[] document = finance.twist.common.json.Json.write(java.util.Map.of("keys", keys));

        java.util.Map<String, Es256Key> parsed = JwksSource.parse(document);

        assertThat(parsed).containsOnlyKeys("good");
        assertThatThrownBy(() -> JwksSource.parse("{\"keys\":{}}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no 'keys' array");
        assertThatThrownBy(() -> JwksSource.parse("not json".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void concurrentFirstRequestsWaitForOneSlowFetch() throws Exception {
        ECKey key = new ECKeyGenerator(Curve.P_256).keyID("k1").generate();
        byte[] document = new JWKSet(key.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
        AtomicInteger fetches = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/jwks", exchange -> {
            fetches.incrementAndGet();
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.sendResponseHeaders(200, document.length);
            exchange.getResponseBody().write(document);
            exchange.close();
        });
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.start();
        ExecutorService pool = Executors.newFixedThreadPool(20);
        try {
            JwksSource source = JwksSource.create(
                    new AccessTokenSettings(
                            URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/jwks"),
                            Optional.empty(),
                            "i",
                            "a",
                            Duration.ofMinutes(10),
                            Duration.ofSeconds(10)),
                    Clock.systemUTC());
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                results.add(pool.submit(() -> source.key("k1").isPresent()));
            }
            for (Future<Boolean> result : results) {
                assertThat(result.get()).isTrue();
            }
            assertThat(fetches.get()).isEqualTo(1);
            // an unknown kid right after does not fetch again (rate limited)
            assertThat(source.key("nope")).isEmpty();
            assertThat(fetches.get()).isEqualTo(1);
        } finally {
            pool.shutdownNow();
            server.stop(0);
        }
    }
}
