package finance.twist.api;

import static org.assertj.core.api.Assertions.assertThat;

import finance.twist.common.crypto.RequestHmac;
import finance.twist.testing.TestDatabase;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** POST /internal/vau-rewards against real PostgreSQL: service HMAC, strict body, idempotency by vauId. */
@ExtendWith(TwistInfraExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VauRewardsIT {

    private static final String KEY = "test-edge-service-key-0123456789abcdef";
    private static final String PATH = "/internal/vau-rewards";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final ApiHarness api;

    VauRewardsIT(TestDatabase db, TestRedis redis) {
        api = new ApiHarness(db, redis, Map.of("edge.service.key", KEY));
    }

    @AfterAll
    void stop() {
        api.close();
    }

    @Test
    void creditsEachVauOnceAcrossRedeliveries() {
        String wallet = ApiHarness.newWallet();
        String body = batch(item(randomHex(), wallet, "5000000000"), item(randomHex(), wallet, "2500000000"));

        HttpResponse<String> first = deliver(body);
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.body()).isEqualTo("{\"credited\":2,\"duplicates\":0}");

        HttpResponse<String> again = deliver(body);
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(again.body()).isEqualTo("{\"credited\":0,\"duplicates\":2}");

        String token = api.token(wallet);
        assertThat(ApiHarness.field(api.get("/me/balance", token), "available")).isEqualTo("7500000000");
        api.assertLedgerConsistent();
        assertThat(api.metrics())
                .containsPattern("twist_vau_rewards_total\\{result=\"credited\"[^}]*} [1-9]")
                .containsPattern("twist_vau_rewards_total\\{result=\"duplicate\"[^}]*} [1-9]")
                .containsPattern("twist_ledger_transactions_total\\{kind=\"vau_reward\"[^}]*} [1-9]");
    }

    @Test
    void aVauRepeatedInsideOneBatchIsPaidOnce() {
        String wallet = ApiHarness.newWallet();
        String vauId = randomHex();
        HttpResponse<String> response =
                deliver(batch(item(vauId, wallet, "1000000000"), item(vauId, wallet, "1000000000")));
        assertThat(response.body()).isEqualTo("{\"credited\":1,\"duplicates\":1}");
        assertThat(ApiHarness.field(api.get("/me/balance", api.token(wallet)), "available"))
                .isEqualTo("1000000000");
    }

    @Test
    void concurrentRedeliveriesPayOnce() throws Exception {
        String wallet = ApiHarness.newWallet();
        String body = batch(item(randomHex(), wallet, "3000000000"));
        List<Future<HttpResponse<String>>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 10; i++) {
                results.add(pool.submit(() -> deliver(body)));
            }
        }
        int credited = 0;
        for (Future<HttpResponse<String>> result : results) {
            assertThat(result.get().statusCode()).isEqualTo(200);
            credited += Integer.parseInt(ApiHarness.field(result.get(), "credited"));
        }
        assertThat(credited).isEqualTo(1);
        assertThat(ApiHarness.field(api.get("/me/balance", api.token(wallet)), "available"))
                .isEqualTo("3000000000");
        api.assertLedgerConsistent();
    }

    @Test
    void rejectsAnythingButAFreshEdgeSignatureWithoutCrediting() {
        String wallet = ApiHarness.newWallet();
        String body = batch(item(randomHex(), wallet, "1000000000"));
        String now = String.valueOf(System.currentTimeMillis());
        String stale = String.valueOf(System.currentTimeMillis() - 6 * 60_000);

        assertThat(send(body, "edge", now, sign("wrong-key", now, body)).statusCode())
                .isEqualTo(401);
        assertThat(send(body, "edge", stale, sign(KEY, stale, body)).statusCode())
                .isEqualTo(401);
        assertThat(send(body, "merchant", now, sign(KEY, now, body)).statusCode())
                .isEqualTo(401);
        assertThat(send(body, null, null, null).statusCode()).isEqualTo(401);
        String tampered = body.replace("1000000000", "9000000000");
        HttpResponse<String> response = send(tampered, "edge", now, sign(KEY, now, body));
        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("Content-Type")).contains("application/problem+json");

        assertThat(api.queryLong("SELECT count(*) FROM vau_rewards v JOIN users u ON u.id = v.user_id"
                        + " WHERE u.wallet = '" + wallet + "'"))
                .isZero();
    }

    @Test
    void malformedBatchesAre400() {
        String wallet = ApiHarness.newWallet();
        List<String> tooMany = new ArrayList<>();
        for (int i = 0; i < 101; i++) {
            tooMany.add(item(randomHex(), wallet, "1"));
        }
        assertThat(deliver(batch(tooMany.toArray(String[]::new))).statusCode()).isEqualTo(400);
        assertThat(deliver("{\"rewards\":[]}").statusCode()).isEqualTo(400);
        assertThat(deliver("{\"rewards\":[" + item(randomHex(), wallet, "0") + "]}")
                        .statusCode())
                .isEqualTo(400);
        assertThat(deliver("{\"rewards\":[" + item(randomHex(), wallet, "1.5") + "]}")
                        .statusCode())
                .isEqualTo(400);
        assertThat(deliver("{\"rewards\":[" + item("not-hex", wallet, "1") + "]}")
                        .statusCode())
                .isEqualTo(400);
        assertThat(deliver("{\"rewards\":[],\"extra\":1}").statusCode()).isEqualTo(400);
        assertThat(deliver("not json").statusCode()).isEqualTo(400);
        api.assertLedgerConsistent();
    }

    private HttpResponse<String> deliver(String body) {
        String timestamp = String.valueOf(System.currentTimeMillis());
        return send(body, "edge", timestamp, sign(KEY, timestamp, body));
    }

    private HttpResponse<String> send(String body, String service, String timestamp, String signature) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(api.base + PATH))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (service != null) {
            request.header("X-Service-Id", service)
                    .header("X-Timestamp", timestamp)
                    .header("X-Signature", signature);
        }
        return ApiHarness.send(request.build());
    }

    private static String sign(String key, String timestamp, String body) {
        return RequestHmac.sign(
                key.getBytes(StandardCharsets.UTF_8), "POST", PATH, timestamp, body.getBytes(StandardCharsets.UTF_8));
    }

    private static String batch(String... items) {
        return "{\"rewards\":[" + String.join(",", items) + "]}";
    }

    private static String item(String vauId, String wallet, String amount) {
        return "{\"vauId\":\"" + vauId + "\",\"wallet\":\"" + wallet + "\",\"amount\":\"" + amount
                + "\",\"deviceId\":\"" + "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
                + "\",\"siteId\":\"site-news-001\",\"timestamp\":" + System.currentTimeMillis() + "}";
    }

    private static String randomHex() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
